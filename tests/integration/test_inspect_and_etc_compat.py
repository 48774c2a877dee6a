"""What inspect shows of a container's networks and sandbox, its name and /etc files, its mount
checks, and names on user networks, side by side with Docker 28's."""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Daemon, DockerCLI, inspect, wait_until


def _subnet() -> str:
    """A random /24 no route on the host covers (other sessions may run side by side)."""
    routes = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
    taken = [ipaddress.ip_network(line.split()[0], strict=False) for line in routes.splitlines()
             if line[:1].isdigit()]
    while True:
        subnet = ipaddress.ip_network(f"10.{140 + secrets.randbelow(40)}."
                                      f"{secrets.randbelow(256)}.0/24")
        if not any(subnet.overlaps(net) for net in taken):
            return str(subnet)


@pytest.fixture
def network(docker: DockerCLI) -> Iterator[str]:
    """A user-defined network with a subnet of its own; removed afterwards."""
    net = f"net-{secrets.token_hex(4)}"
    docker("network", "create", "--subnet", _subnet(), net)
    yield net
    docker("network", "rm", net, check=False)


def _networks(docker: DockerCLI, ref: str) -> dict[str, Any]:
    settings: dict[str, Any] = inspect(docker, ref)["NetworkSettings"]["Networks"]
    return settings


def _raw_networks(docker: DockerCLI, ref: str) -> list[str]:
    """The keys of NetworkSettings.Networks in the order the daemon sent them."""
    out = docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", ref).stdout
    return list(json.loads(out))  # the CLI keeps the daemon's order; json.loads too


# 1. NetworkSettings.Networks when there is no live endpoint

def test_created_and_stopped_containers_show_their_networks(docker: DockerCLI, name: str,
                                                            network: str,
                                                            cleanup: list[str]) -> None:
    plain, aliased = f"{name}-plain", f"{name}-aliased"
    cleanup += [plain, aliased]
    docker("create", "--name", plain, "busybox", "true")
    # Docker's template on a created container: the entry is there, with no address yet
    mac = docker("inspect", "-f", "{{.NetworkSettings.Networks.bridge.MacAddress}}|"
                 "{{.NetworkSettings.Networks.bridge.IPAddress}}", plain).stdout
    assert mac == "|\n"
    docker("create", "--name", aliased, "--network", network, "--network-alias", "web",
           "busybox", "sleep", "300")
    created = _networks(docker, aliased)
    assert list(created) == [network]
    assert created[network]["Aliases"] == ["web"]
    assert created[network]["IPAddress"] == "" and created[network]["EndpointID"] == ""
    listed = docker("ps", "-a", "--filter", f"name={name}", "--format",
                    "{{.Names}} {{.Networks}}").stdout.splitlines()
    assert sorted(listed) == sorted([f"{plain} bridge", f"{aliased} {network}"])
    docker("start", aliased)
    assert _networks(docker, aliased)[network]["IPAddress"] != ""
    docker("stop", "-t", "0", aliased)
    stopped = _networks(docker, aliased)
    assert list(stopped) == [network]
    assert stopped[network]["Aliases"] == ["web"] and stopped[network]["IPAddress"] == ""


@pytest.mark.parametrize("mode", ["host", "none"])
def test_host_and_none_containers_show_their_network(docker: DockerCLI, name: str,
                                                     mode: str, cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("create", "--name", name, "--network", mode, "busybox", "sleep", "300")
    assert list(_networks(docker, name)) == [mode]
    docker("start", name)
    assert list(_networks(docker, name)) == [mode]
    assert docker("inspect", "-f", f"{{{{.NetworkSettings.Networks.{mode}.IPAddress}}}}",
                  name).stdout == "\n"
    listed = docker("ps", "--filter", f"name={name}", "--format", "{{.Networks}}").stdout
    assert listed == f"{mode}\n"


def test_networks_are_sorted_by_name(docker: DockerCLI, name: str, cleanup: list[str]) -> None:
    first, second = f"zz-{secrets.token_hex(3)}", f"aa-{secrets.token_hex(3)}"
    docker("network", "create", "--subnet", _subnet(), first)
    docker("network", "create", "--subnet", _subnet(), second)
    cleanup.append(name)
    try:
        docker("create", "--name", name, "--network", first, "busybox", "sleep", "300")
        docker("network", "connect", second, name)
        assert _raw_networks(docker, name) == [second, first]  # created: configured ones
        docker("start", name)
        assert _raw_networks(docker, name) == [second, first]  # running: live ones
    finally:
        docker("rm", "-f", name, check=False)
        docker("network", "rm", first, second, check=False)


def test_container_mode_is_stored_with_the_full_id(docker: DockerCLI, name: str,
                                                   cleanup: list[str]) -> None:
    owner, joined = f"{name}-owner", f"{name}-joined"
    cleanup += [joined, owner]
    owner_id = docker("run", "-d", "--name", owner, "busybox", "sleep", "300").stdout.strip()
    docker("run", "-d", "--name", joined, "--network", f"container:{owner}", "busybox",
           "sleep", "300")
    info = inspect(docker, joined)
    assert info["HostConfig"]["NetworkMode"] == f"container:{owner_id}"
    assert info["NetworkSettings"]["Networks"] == {}
    assert info["NetworkSettings"]["SandboxKey"] == ""
    # the stored mode still finds the owner when the container starts again
    docker("restart", "-t", "0", joined)
    assert docker("exec", joined, "hostname").stdout == docker("exec", owner, "hostname").stdout


# 2. the sandbox

def test_sandbox_key_is_the_network_namespace(docker: DockerCLI, daemon: Daemon, name: str,
                                              network: str, cleanup: list[str]) -> None:
    cleanup.append(name)
    container_id = docker("run", "-d", "--name", name, "--network", network, "busybox",
                          "sleep", "300").stdout.strip()
    settings = inspect(docker, name)["NetworkSettings"]
    key = settings["SandboxKey"]
    assert key == str(daemon.exec_root / "netns" / container_id)
    assert re.fullmatch(r"[0-9a-f]{64}", settings["SandboxID"])
    assert inspect(docker, name)["NetworkSettings"]["SandboxID"] == settings["SandboxID"]
    address = settings["Networks"][network]["IPAddress"]
    seen = subprocess.run(["nsenter", f"--net={key}", "ip", "-4", "-o", "addr"],
                          capture_output=True, text=True, check=True).stdout
    assert f"inet {address}/" in seen
    docker("stop", "-t", "0", name)
    stopped = inspect(docker, name)["NetworkSettings"]
    assert (stopped["SandboxID"], stopped["SandboxKey"]) == ("", "")


def test_sandbox_key_of_a_container_without_networks(docker: DockerCLI, name: str,
                                                     cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "-d", "--name", name, "--network", "none", "busybox", "sleep", "300")
    key = inspect(docker, name)["NetworkSettings"]["SandboxKey"]
    links = subprocess.run(["nsenter", f"--net={key}", "ip", "-o", "link"],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(links) == 1 and ": lo:" in links[0]  # the container's, not the host's


# 3. the host's network is not the host's name

def test_host_network_has_a_name_of_its_own(docker: DockerCLI) -> None:
    out = docker("run", "--rm", "--network", "host", "--hostname", "hh", "busybox", "sh",
                 "-c", "hostname; cat /etc/hostname").stdout
    assert out == "hh\nhh\n"
    host = socket.gethostname()
    try:
        renamed = docker("run", "--rm", "--privileged", "--network", "host", "busybox", "sh",
                         "-c", "hostname skiff-uts-probe && hostname").stdout
        assert renamed == "skiff-uts-probe\n"
        assert socket.gethostname() == host
    finally:
        if socket.gethostname() != host:
            socket.sethostname(host)


# 4. domain name and /etc/hosts

def _own_line(docker: DockerCLI, *args: str) -> str:
    """The last line of /etc/hosts of a container run with ``args``, and its address."""
    out = docker("run", "--rm", *args, "busybox", "sh", "-c",
                 "tail -n 1 /etc/hosts; hostname -i").stdout.splitlines()
    line, address = out[0], out[-1].split()[0]
    assert line.startswith(address + "\t"), out
    return line.split("\t", 1)[1]


def test_domainname_is_the_kernels(docker: DockerCLI) -> None:
    out = docker("run", "--rm", "--hostname", "myhost", "--domainname", "example.org",
                 "busybox", "sh", "-c",
                 "hostname; cat /proc/sys/kernel/domainname; cat /etc/hostname").stdout
    assert out == "myhost\nexample.org\nmyhost\n"


def test_domainname_is_in_etc_hosts(docker: DockerCLI) -> None:
    assert _own_line(docker, "--hostname", "myhost", "--domainname", "example.org") == \
        "myhost.example.org myhost"


def test_a_dotted_hostname_also_gets_its_bare_name(docker: DockerCLI) -> None:
    assert _own_line(docker, "--hostname", "a.b.c") == "a.b.c a"
    assert _own_line(docker, "--hostname", "plain") == "plain"


def test_etc_hosts_on_the_host_network(docker: DockerCLI) -> None:
    with open("/etc/hosts") as fh:
        host = fh.read()
    assert docker("run", "--rm", "--network", "host", "busybox", "cat",
                  "/etc/hosts").stdout == host
    added = docker("run", "--rm", "--network", "host", "--add-host", "x:192.0.2.7", "busybox",
                   "cat", "/etc/hosts").stdout
    assert added == ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                     "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
                     "ff02::2\tip6-allrouters\n192.0.2.7\tx\n")


# 5. volume specifications

@pytest.mark.parametrize(("spec", "message"), [
    ("{vol}:/x:badmode", "invalid mode: badmode"),
    ("{vol}:/x:ro,rw", "invalid mode: ro,rw"),
    ("{vol}:/", "invalid volume specification: '{vol}:/': invalid mount config for type "
                "\"volume\": invalid specification: destination can't be '/'"),
    ("/tmp:/", "invalid volume specification: '/tmp:/': invalid mount config for type "
               "\"bind\": invalid specification: destination can't be '/'"),
    ("{vol}:/x:rshared", "invalid volume specification: '{vol}:/x:rshared': invalid mount "
                         "config for type \"volume\": field BindOptions must not be specified"),
])
def test_bad_volume_specifications_are_refused(docker: DockerCLI, spec: str,
                                               message: str) -> None:
    vol = f"vol-{secrets.token_hex(4)}"
    try:
        result = docker("create", "-v", spec.format(vol=vol), "busybox", "true", check=False)
        assert result.returncode != 0
        assert f"Error response from daemon: {message.format(vol=vol)}" in result.stderr
        assert vol not in docker("volume", "ls", "-q").stdout.split()
    finally:
        docker("volume", "rm", vol, check=False)


# 6. the engine's /etc files over a mount of /etc

def test_engine_files_stay_visible_over_a_volume_at_etc(docker: DockerCLI, name: str,
                                                        network: str,
                                                        cleanup: list[str]) -> None:
    server, vol = f"{name}-server", f"vol-{secrets.token_hex(4)}"
    cleanup.append(server)
    try:
        docker("run", "-d", "--name", server, "--network", network, "busybox", "sleep", "300")
        address = _networks(docker, server)[network]["IPAddress"]
        out = docker("run", "--rm", "--network", network, "--hostname", "inside", "-v",
                     f"{vol}:/etc", "busybox", "sh", "-c",
                     f"cat /etc/hostname; grep -c nameserver /etc/resolv.conf; "
                     f"grep -q inside /etc/hosts && echo named; nslookup {server}").stdout
        assert out.splitlines()[:3] == ["inside", "1", "named"], out
        assert address in out.split("Name:")[-1], out
    finally:
        docker("rm", "-f", server, check=False)
        docker("volume", "rm", vol, check=False)


def test_engine_files_stay_visible_over_a_bind_of_etc(docker: DockerCLI, tmp_path: Any) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "hostname").write_text("not-mine\n")
    out = docker("run", "--rm", "--hostname", "inside", "-v", f"{etc}:/etc", "busybox", "sh",
                 "-c", "cat /etc/hostname; grep -c nameserver /etc/resolv.conf").stdout
    assert out.splitlines()[0] == "inside"
    assert int(out.splitlines()[1]) >= 1
    assert (etc / "hostname").read_text() == "not-mine\n"  # the file is over it, not in it


# 7. /.dockerenv and /etc/mtab

def test_dockerenv_and_mtab(docker: DockerCLI, name: str, runtime: str,
                            cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "-d", "--name", name, "--runtime", runtime, "busybox", "sleep", "300")
    out = docker("exec", name, "sh", "-c", "stat -c '%F %s %a' /.dockerenv; "
                 "readlink /etc/mtab; grep -c ' / ' /etc/mtab").stdout.splitlines()
    assert out[0] in ("regular empty file 0 755", "regular file 0 755"), out
    assert out[1] == "/proc/mounts" and int(out[2]) >= 1
    assert docker("diff", name).stdout == ""
    docker("exec", name, "touch", "/made")
    assert docker("diff", name).stdout == "A /made\n"
    assert "dockerenv" in docker("export", name, text=False).stdout.decode(errors="replace")


# 8. endpoint settings at create

def _create_refused(client: Any, name: str, mode: str, endpoint: dict[str, Any]) -> Any:
    """The error of a create through docker-py (an SDK sends what the CLI would not)."""
    import docker as docker_py

    api = client.api
    with pytest.raises(docker_py.errors.APIError) as raised:
        api.create_container("busybox", "true", name=name,
                             host_config=api.create_host_config(network_mode=mode),
                             networking_config={"EndpointsConfig": {mode: endpoint}})
    return raised.value


@pytest.mark.parametrize(("mode", "endpoint", "message"), [
    ("bridge", {"IPAMConfig": {"IPv4Address": "172.17.0.9"}},
     "user specified IP address is supported on user defined networks only"),
    ("host", {"IPAMConfig": {"IPv4Address": "192.0.2.9"}},
     "user specified IP address is supported on user defined networks only"),
    ("none", {"Aliases": ["web"]},
     "network-scoped alias is supported only for containers in user defined networks"),
    ("bridge", {"Aliases": ["web"]},
     "network-scoped alias is supported only for containers in user defined networks"),
])
def test_static_addresses_and_aliases_need_a_user_network(client: Any, name: str, mode: str,
                                                          endpoint: dict[str, Any],
                                                          message: str,
                                                          cleanup: list[str]) -> None:
    cleanup.append(name)
    error = _create_refused(client, name, mode, endpoint)
    assert error.status_code == 400
    assert error.explanation == (f"invalid config for network {mode}: invalid endpoint "
                                 f"settings:\n{message}")


def test_static_address_needs_a_configured_subnet(docker: DockerCLI, name: str) -> None:
    net = f"net-{secrets.token_hex(4)}"
    docker("network", "create", net)  # its subnet chosen by skiff, not the user
    try:
        result = docker("create", "--name", name, "--network", net, "--ip", "172.30.5.5",
                        "busybox", "true", check=False)
        assert result.returncode != 0
        assert ("user specified IP address is supported only when connecting to networks "
                "with user configured subnets") in result.stderr
    finally:
        docker("rm", "-f", name, check=False)
        docker("network", "rm", net, check=False)


# 9. network create: gateways Docker cannot allocate

@pytest.mark.parametrize(("subnet", "gateway", "message"), [
    ("{p}.0/24", "{p}.0", "failed to allocate gateway ({p}.0): Address already in use"),
    ("{p}.0/24", "{p}.255", "failed to allocate gateway ({p}.255): Address already in use"),
    ("{p}.0/31", "", "failed to allocate gateway (): No available addresses on this pool"),
    ("{p}.4/32", "", "failed to allocate gateway (): No available addresses on this pool"),
])
def test_network_create_refuses_unusable_gateways(docker: DockerCLI, subnet: str,
                                                  gateway: str, message: str) -> None:
    prefix = _subnet().rsplit(".", 1)[0]
    net = f"net-{secrets.token_hex(4)}"
    args = ["--subnet", subnet.format(p=prefix)]
    if gateway:
        args += ["--gateway", gateway.format(p=prefix)]
    result = docker("network", "create", *args, net, check=False)
    try:
        assert result.returncode != 0
        assert f"Error response from daemon: {message.format(p=prefix)}" in result.stderr
        assert net not in docker("network", "ls", "--format", "{{.Name}}").stdout.split()
    finally:
        docker("network", "rm", net, check=False)


# 10. <container>.<network> from the embedded DNS

def test_container_dot_network_resolves(docker: DockerCLI, name: str, network: str,
                                        cleanup: list[str]) -> None:
    server, client = f"{name}-server", f"{name}-client"
    cleanup += [client, server]
    docker("run", "-d", "--name", server, "--network", network, "--network-alias", "db",
           "busybox", "sleep", "300")
    docker("run", "-d", "--name", client, "--network", network, "busybox", "sleep", "300")
    address = _networks(docker, server)[network]["IPAddress"]
    for query in (f"{server}.{network}", f"db.{network}"):
        found = wait_until(lambda q=query: docker("exec", client, "nslookup", q,
                                                  check=False).stdout)
        assert address in found.split("Name:")[-1], (query, found)
    missing = docker("exec", client, "nslookup", f"{server}.no-such-net", check=False)
    assert address not in missing.stdout
    assert docker("exec", client, "ping", "-c", "1", "-W", "2",
                  f"{server}.{network}").returncode == 0

