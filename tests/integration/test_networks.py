"""Network objects: predefined networks, create with IPAM, list filters, inspect, rm, prune."""

from __future__ import annotations

import contextlib
import http.server
import ipaddress
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    DockerCLI,
    import_busybox,
    remove_bridge,
    start_daemon,
    stop_daemon,
    wait_until,
)
from tests.conftest import free_port as _free_port


def _name() -> str:
    return f"net-{secrets.token_hex(4)}"


def test_predefined_networks(docker: DockerCLI) -> None:
    names = docker("network", "ls", "--format", "{{.Name}} {{.Driver}}").stdout.splitlines()
    assert {"bridge bridge", "host host", "none null"} <= set(names)
    refused = docker("network", "rm", "bridge", check=False)
    assert refused.returncode != 0
    assert "pre-defined network and cannot be removed" in refused.stderr


def test_create_inspect_remove(docker: DockerCLI) -> None:
    name = _name()
    docker("network", "create", "--subnet", "10.77.0.0/24", "--gateway", "10.77.0.254",
           "--ip-range", "10.77.0.128/25", "--label", "team=a", "--internal", name)
    try:
        info = docker("network", "inspect", name, "--format",
                      "{{json .IPAM.Config}} {{.Internal}} {{.Labels.team}}").stdout.strip()
        assert info == ('[{"Subnet":"10.77.0.0/24","IPRange":"10.77.0.128/25",'
                        '"Gateway":"10.77.0.254"}] true a')
        assert docker("network", "ls", "-q", "--filter", "label=team=a").stdout.split()
        custom = docker("network", "ls", "--filter", "type=custom", "--format",
                        "{{.Name}}").stdout.split()
        assert name in custom and "bridge" not in custom
        duplicate = docker("network", "create", name, check=False)
        assert duplicate.returncode != 0 and "already exists" in duplicate.stderr
    finally:
        docker("network", "rm", name)
    assert name not in docker("network", "ls", "--format", "{{.Name}}").stdout.split()


def test_default_subnets_do_not_overlap(docker: DockerCLI) -> None:
    first, second = _name(), _name()
    docker("network", "create", first)
    docker("network", "create", second)
    try:
        subnets = [docker("network", "inspect", n, "--format",
                          "{{(index .IPAM.Config 0).Subnet}}").stdout.strip()
                   for n in (first, second)]
        assert subnets[0] != subnets[1]
        assert all(s.startswith("172.") and s != "172.17.0.0/16" for s in subnets)
        clash = docker("network", "create", "--subnet", subnets[0], _name(), check=False)
        assert clash.returncode != 0 and "overlaps" in clash.stderr
    finally:
        docker("network", "rm", first, second)


def test_bad_requests_change_nothing(docker: DockerCLI) -> None:
    before = docker("network", "ls", "-q").stdout
    for args in (["--driver", "nosuchdriver"], ["--subnet", "10.0.0.300/24"],
                 ["-o", "com.docker.network.bridge.name=this-name-is-far-too-long"]):
        result = docker("network", "create", *args, _name(), check=False)
        assert result.returncode != 0, args
    assert docker("network", "ls", "-q").stdout == before


def test_prune_removes_unused_custom_networks(docker: DockerCLI) -> None:
    name = _name()
    docker("network", "create", "--label", f"prune={name}", name)
    out = docker("network", "prune", "-f", "--filter", f"label=prune={name}").stdout
    assert name in out
    assert name not in docker("network", "ls", "--format", "{{.Name}}").stdout.split()


def _links() -> str:
    import subprocess

    return subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout


def test_containers_on_a_user_network_reach_each_other(docker: DockerCLI, runtime: str) -> None:
    net, server = _name(), f"srv-{secrets.token_hex(4)}"
    docker("network", "create", "--subnet", "10.78.0.0/24", net)
    try:
        docker("run", "-d", "--name", server, "--runtime", runtime, "--network", net,
               "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")
        address = docker("inspect", "-f",
                         f'{{{{(index .NetworkSettings.Networks "{net}").IPAddress}}}}',
                         server).stdout.strip()
        assert address.startswith("10.78.0.")
        hostname = docker("exec", server, "hostname").stdout.strip()
        fetched = docker("run", "--rm", "--network", net, "busybox", "wget", "-qO-",
                         f"http://{address}/hostname").stdout.strip()
        assert fetched == hostname
        hosts = docker("exec", server, "cat", "/etc/hosts").stdout
        assert f"{address}\t{hostname}" in hosts
        listed = docker("network", "inspect", net, "--format",
                        "{{range .Containers}}{{.Name}} {{end}}").stdout.split()
        assert server in listed
        busy = docker("network", "rm", net, check=False)
        assert busy.returncode != 0 and "active endpoints" in busy.stderr
    finally:
        docker("rm", "-f", server, check=False)
        docker("network", "rm", net, check=False)
    assert "br-" not in _links() or net not in _links()


def test_static_address_and_taken_address(docker: DockerCLI, name: str) -> None:
    net = _name()
    docker("network", "create", "--subnet", "10.79.0.0/24", net)
    try:
        docker("run", "-d", "--name", name, "--network", net, "--ip", "10.79.0.50",
               "busybox", "sleep", "300")
        assert docker("exec", name, "ip", "-4", "-o", "addr", "show", "eth0").stdout.split()[3] \
            == "10.79.0.50/24"
        clash = docker("run", "--rm", "--network", net, "--ip", "10.79.0.50", "busybox", "true",
                       check=False)
        assert clash.returncode != 0 and "already in use" in clash.stderr
        outside = docker("run", "--rm", "--network", net, "--ip", "10.80.0.5", "busybox",
                         "true", check=False)
        assert outside.returncode != 0
    finally:
        docker("rm", "-f", name, check=False)
        docker("network", "rm", net, check=False)


def test_network_teardown_leaves_nothing(docker: DockerCLI) -> None:
    import subprocess

    net = _name()
    out = docker("network", "create", net).stdout.strip()
    bridge = f"br-{out[:12]}"
    cid = docker("run", "-d", "--network", net, "busybox", "sleep", "300").stdout.strip()
    assert bridge in _links()
    docker("rm", "-f", cid)
    with open("/proc/mounts") as fh:
        assert f"/netns/{cid}" not in fh.read()
    docker("network", "rm", net)
    assert bridge not in _links()
    nat = subprocess.run(["iptables", "-t", "nat", "-S"], capture_output=True, text=True).stdout
    assert net not in nat


def test_names_resolve_on_user_networks(docker: DockerCLI, name: str) -> None:
    net = _name()
    docker("network", "create", net)
    try:
        docker("run", "-d", "--name", name, "--network", net, "--network-alias", "www",
               "busybox", "sleep", "300")
        address = docker("inspect", "-f",
                         f'{{{{(index .NetworkSettings.Networks "{net}").IPAddress}}}}',
                         name).stdout.strip()
        cid = docker("inspect", "-f", "{{.Id}}", name).stdout.strip()
        script = (f"grep -q 127.0.0.11 /etc/resolv.conf && for n in {name} www {cid[:12]}; "
                  f"do nslookup $n | grep -A1 \"Name:\" | tail -1; done")
        out = docker("run", "--rm", "--network", net, "busybox", "sh", "-c", script).stdout
        assert out.split().count(address) == 3, out
        renamed = f"{name}-renamed"
        docker("rename", name, renamed)
        out = docker("run", "--rm", "--network", net, "busybox", "nslookup", renamed).stdout
        assert address in out
        ping = docker("run", "--rm", "--network", net, "busybox", "ping", "-c", "1", "-W", "2",
                      renamed)
        assert "1 packets received" in ping.stdout
    finally:
        docker("rm", "-f", name, f"{name}-renamed", check=False)
        docker("network", "rm", net, check=False)


def test_default_bridge_has_no_embedded_dns(docker: DockerCLI) -> None:
    out = docker("run", "--rm", "busybox", "cat", "/etc/resolv.conf").stdout
    assert "127.0.0.11" not in out


def _fetch(port: int, host: str = "127.0.0.1") -> str:
    """GET /hostname from a published port, waiting for the server to start listening."""
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + 5
    while True:
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/hostname",
                                        timeout=5) as reply:
                return reply.read().decode().strip()
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_published_ports_answer_from_the_host(docker: DockerCLI, name: str) -> None:
    fixed = _free_port()
    other = f"{name}-all"
    docker("run", "-d", "--name", name, "-p", f"127.0.0.1:{fixed}:80", "busybox", "httpd",
           "-f", "-p", "80", "-h", "/etc")
    docker("run", "-d", "--name", other, "-P", "--expose", "80", "busybox", "httpd", "-f",
           "-p", "80", "-h", "/etc")
    try:
        hostname = docker("exec", name, "hostname").stdout.strip()
        assert _fetch(fixed) == hostname
        assert docker("port", name, "80/tcp").stdout.split() == [f"127.0.0.1:{fixed}"]
        mapped = docker("port", other, "80/tcp").stdout.split()
        random_port = int(mapped[0].rsplit(":", 1)[1])
        assert _fetch(random_port) == docker("exec", other, "hostname").stdout.strip()
        taken = docker("run", "--rm", "-p", f"127.0.0.1:{fixed}:80", "busybox", "true",
                       check=False)
        assert taken.returncode != 0 and "port is already allocated" in taken.stderr
    finally:
        docker("rm", "-f", name, other, check=False)
    import subprocess

    nat = subprocess.run(["iptables", "-t", "nat", "-S"], capture_output=True, text=True).stdout
    assert f"--dport {fixed}" not in nat


def test_invalid_port_specs_are_refused(docker: DockerCLI) -> None:
    for spec in ("70000:80", "127.0.0.1:abc:80"):
        result = docker("run", "--rm", "-p", spec, "busybox", "true", check=False)
        assert result.returncode != 0, spec


def test_connect_and_disconnect_a_running_container(docker: DockerCLI, name: str) -> None:
    net = _name()
    peer = f"{name}-peer"
    docker("network", "create", "--subnet", "10.81.0.0/24", net)
    try:
        docker("run", "-d", "--name", name, "busybox", "sleep", "300")
        docker("run", "-d", "--name", peer, "--network", net, "busybox", "sleep", "300")
        docker("network", "connect", "--alias", "joined", "--ip", "10.81.0.40", net, name)
        addresses = docker("exec", name, "ip", "-4", "-o", "addr").stdout
        assert "10.81.0.40/24" in addresses
        found = docker("exec", peer, "nslookup", "joined").stdout
        assert "10.81.0.40" in found
        assert docker("exec", peer, "ping", "-c", "1", "-W", "2", name).returncode == 0
        again = docker("network", "connect", net, name, check=False)
        assert again.returncode != 0 and "already exists" in again.stderr
        docker("network", "disconnect", net, name)
        assert "10.81.0.40" not in docker("exec", name, "ip", "-4", "-o", "addr").stdout
        gone = docker("exec", peer, "nslookup", "joined", check=False)
        assert "10.81.0.40" not in gone.stdout
    finally:
        docker("rm", "-f", name, peer, check=False)
        docker("network", "rm", net, check=False)


def _subnet() -> str:
    """A random /24 that no route on the host covers: a subnet another test session (or any
    daemon) on the machine uses at the same time would take this session's traffic."""
    routes = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
    taken = [ipaddress.ip_network(line.split()[0], strict=False) for line in routes.splitlines()
             if line[:1].isdigit()]
    while True:
        subnet = ipaddress.ip_network(f"10.{100 + secrets.randbelow(40)}."
                                      f"{secrets.randbelow(256)}.0/24")
        if not any(subnet.overlaps(net) for net in taken):
            return str(subnet)


def _host_address() -> str:
    """The host's own address on the interface of its default route (eth0, say)."""
    routes = json.loads(subprocess.run(["ip", "-j", "-4", "route", "show", "default"],
                                       capture_output=True, text=True).stdout or "[]")
    if not routes:
        pytest.skip("the host has no default route")
    links = json.loads(subprocess.run(["ip", "-j", "-4", "addr", "show", "dev",
                                       routes[0]["dev"]], capture_output=True, text=True).stdout)
    addresses = [a["local"] for link in links for a in link.get("addr_info", [])]
    if not addresses:
        pytest.skip(f"no IPv4 address on {routes[0]['dev']}")
    return str(addresses[0])


@contextlib.contextmanager
def _serve_on_host(address: str) -> Iterator[tuple[int, list[str]]]:
    """An HTTP server on the host at ``address``: yields its port and the clients it served."""
    clients: list[str] = []

    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            clients.append(self.client_address[0])
            body = b"hello from the host\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.HTTPServer((address, 0), Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1]), clients
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _wget(docker: DockerCLI, network: str, *urls: str, runtime: str = "crun") -> list[str]:
    """Fetch ``urls`` from a new container on ``network`` (retrying while a server starts)."""
    script = "; ".join(f"timeout 10 sh -c 'until wget -qO- {url} 2>/dev/null; do sleep 0.1; "
                       f"done'" for url in urls)
    out = docker("run", "--rm", "--runtime", runtime, "--network", network, "busybox", "sh",
                 "-c", script).stdout
    return out.splitlines()


def test_udp_published_port(docker: DockerCLI, name: str) -> None:
    port = _free_port(socket.SOCK_DGRAM)
    # busybox's nc has no -u: the host's python listens, chrooted into the host's root file
    # system (read-only; not recursive, so no other mount on the host is held by the
    # container) but in the container's network namespace
    python = os.path.realpath(sys.executable)
    if any(os.stat(path).st_dev != os.stat("/").st_dev for path in (python, "/usr/lib")):
        pytest.skip("the host's python is not on its root file system")
    listener = ("import socket\n"
                "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                "s.bind(('0.0.0.0', 5000))\n"
                "print('ready', flush=True)\n"
                "while True:\n"
                "    print(s.recv(100).decode(), flush=True)\n")
    docker("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:5000/udp", "--mount",
           "type=bind,source=/,target=/host,readonly,bind-nonrecursive", "busybox", "chroot",
           "/host", python, "-c", listener)
    try:
        assert docker("port", name).stdout.strip() == f"5000/udp -> 127.0.0.1:{port}"
        assert docker("port", name, "5000/udp").stdout.split() == [f"127.0.0.1:{port}"]
        assert docker("port", name, "5000/tcp", check=False).returncode != 0
        wait_until(lambda: "ready" in docker("logs", name).stdout, what="the udp listener")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:

            def received() -> bool:
                sock.sendto(b"datagram from the host", ("127.0.0.1", port))
                time.sleep(0.1)
                return "datagram from the host" in docker("logs", name).stdout

            wait_until(received, what="the datagram in the container's log")
        taken = docker("run", "--rm", "-p", f"127.0.0.1:{port}:5000/udp", "busybox", "true",
                       check=False)
        assert taken.returncode != 0 and "port is already allocated" in taken.stderr
    finally:
        docker("rm", "-f", name, check=False)
    nat = subprocess.run(["iptables", "-t", "nat", "-S"], capture_output=True, text=True).stdout
    assert f"--dport {port} " not in nat


def test_internal_network_reaches_nothing_outside(docker: DockerCLI, name: str) -> None:
    address = _host_address()
    internal, public = _name(), _name()
    docker("network", "create", "--internal", "--subnet", _subnet(), internal)
    docker("network", "create", "--subnet", _subnet(), public)
    try:
        with _serve_on_host(address) as (port, clients):
            url = f"http://{address}:{port}/"
            assert _wget(docker, public, url) == ["hello from the host"]
            assert len(clients) == 1
            blocked = docker("run", "--rm", "--network", internal, "busybox", "timeout", "5",
                             "wget", "-qO-", url, check=False)
            assert blocked.returncode != 0 and blocked.stdout == ""
            assert len(clients) == 1
        routes = docker("run", "--rm", "--network", internal, "busybox", "ip", "route").stdout
        assert "default" not in routes
        # on the internal network itself, containers still find and reach each other
        docker("run", "-d", "--name", name, "--network", internal, "busybox", "httpd", "-f",
               "-p", "80", "-h", "/etc")
        hostname = docker("exec", name, "hostname").stdout.strip()
        assert _wget(docker, internal, f"http://{name}/hostname") == [hostname]
    finally:
        docker("rm", "-f", name, check=False)
        docker("network", "rm", internal, public, check=False)


def test_network_container_mode_shares_the_namespace(docker: DockerCLI, name: str,
                                                     runtime: str) -> None:
    joined = f"{name}-joined"
    docker("run", "-d", "--name", name, "--runtime", runtime, "busybox", "sh", "-c",
           "echo shared > /tmp/index.html && exec httpd -f -p 127.0.0.1:8080 -h /tmp")
    try:
        docker("run", "-d", "--name", joined, "--runtime", runtime, "--network",
               f"container:{name}", "busybox", "sleep", "300")

        def namespace_and_addresses(container: str) -> list[str]:
            out = docker("exec", container, "sh", "-c",
                         "readlink /proc/self/ns/net; ip -4 -o addr").stdout
            return [" ".join(line.split()[:4]) for line in out.splitlines()]

        ours = namespace_and_addresses(joined)
        assert ours == namespace_and_addresses(name)
        assert any(line.startswith("2: eth0 inet ") for line in ours), ours
        fetched = docker("exec", joined, "timeout", "10", "sh", "-c",
                         "until wget -qO- http://127.0.0.1:8080/ 2>/dev/null; do sleep 0.1; "
                         "done").stdout
        assert fetched == "shared\n"
        refused = docker("network", "connect", "bridge", joined, check=False)
        assert refused.returncode != 0
    finally:
        docker("rm", "-f", joined, name, check=False)


def test_container_mode_takes_the_owners_name_and_files(docker: DockerCLI, name: str) -> None:
    net, owner, peer, joined = _name(), f"{name}-owner", f"{name}-peer", f"{name}-joined"
    docker("network", "create", "--subnet", _subnet(), net)
    try:
        docker("run", "-d", "--name", owner, "--network", net, "--hostname", "ownerhost",
               "busybox", "sleep", "300")
        docker("run", "-d", "--name", peer, "--network", net, "busybox", "sleep", "300")
        docker("run", "-d", "--name", joined, "--network", f"container:{owner}", "busybox",
               "sleep", "300")
        assert docker("exec", joined, "hostname").stdout.strip() == "ownerhost"
        for path in ("/etc/hosts", "/etc/resolv.conf", "/etc/hostname"):
            assert docker("exec", joined, "cat", path).stdout == \
                docker("exec", owner, "cat", path).stdout, path
        peer_address = docker("inspect", "-f",
                              f'{{{{(index .NetworkSettings.Networks "{net}").IPAddress}}}}',
                              peer).stdout.strip()
        assert peer_address in docker("exec", joined, "nslookup", peer).stdout
        assert docker("inspect", "-f", "{{.Config.Hostname}} {{.HostsPath}}", joined).stdout \
            == docker("inspect", "-f", "{{.Config.Hostname}} {{.HostsPath}}", owner).stdout
    finally:
        docker("rm", "-f", joined, peer, owner, check=False)
        docker("network", "rm", net, check=False)


def test_container_mode_refuses_options_of_its_own(docker: DockerCLI, name: str) -> None:
    docker("run", "-d", "--name", name, "busybox", "sleep", "300")
    try:
        mode = f"container:{name}"
        for args, message in ((["--hostname", "x"], "hostname and the network mode"),
                              (["-p", "8080:80"], "port publishing"),
                              (["--expose", "80"], "port exposing"),
                              (["--dns", "192.0.2.1"], "dns and the network mode"),
                              (["--add-host", "a:192.0.2.1"], "custom host-to-IP mapping"),
                              (["--link", f"{name}:x"], "can't be used with links")):
            result = docker("create", "--network", mode, *args, "busybox", "true",
                            check=False)
            assert result.returncode != 0 and message in result.stderr, args
        missing = docker("create", "--network", f"container:{name}-nosuch", "busybox", "true",
                         check=False)
        assert missing.returncode != 0
        assert f"No such container: {name}-nosuch" in missing.stderr
        assert "Unable to find image" not in missing.stderr
        nonet = docker("create", "--network", f"{name}-nosuchnet", "busybox", "true",
                       check=False)
        assert nonet.returncode != 0 and f"network {name}-nosuchnet not found" in nonet.stderr
        assert "Unable to find image" not in nonet.stderr
    finally:
        docker("rm", "-f", name, check=False)


def test_wget_by_name_and_alias(docker: DockerCLI, name: str, runtime: str) -> None:
    net = _name()
    docker("network", "create", "--subnet", _subnet(), net)
    try:
        docker("run", "-d", "--name", name, "--runtime", runtime, "--network", net,
               "--network-alias", "web", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")
        hostname = docker("exec", name, "hostname").stdout.strip()
        fetched = _wget(docker, net, f"http://{name}/hostname", "http://web/hostname",
                        runtime=runtime)
        assert fetched == [hostname, hostname]
    finally:
        docker("rm", "-f", name, check=False)
        docker("network", "rm", net, check=False)


def test_published_port_on_the_host_address_and_hairpin(docker: DockerCLI, name: str) -> None:
    address = _host_address()
    port = _free_port(host="0.0.0.0")
    net = _name()
    docker("network", "create", "--subnet", _subnet(), net)
    try:
        docker("run", "-d", "--name", name, "-p", f"{port}:80", "busybox", "httpd", "-f", "-p",
               "80", "-h", "/etc")
        hostname = docker("exec", name, "hostname").stdout.strip()
        assert _fetch(port, host=address) == hostname
        assert _fetch(port) == hostname
        url = f"http://{address}:{port}/hostname"
        # from the server's own bridge (hairpin) and from another network
        assert _wget(docker, "bridge", url) == [hostname]
        assert _wget(docker, net, url) == [hostname]
    finally:
        docker("rm", "-f", name, check=False)
        docker("network", "rm", net, check=False)


def test_live_restore_keeps_networking(private_root: Path) -> None:
    running = [start_daemon(private_root)]
    cli = DockerCLI(running[0].host)
    net, subnet, port = _name(), _subnet(), _free_port()
    bridge = "?"
    try:
        import_busybox(running[0])
        bridge = "br-" + cli("network", "create", "--subnet", subnet, net).stdout.strip()[:12]
        server_id = cli("run", "-d", "--name", "web", "--network", net, "-p",
                        f"127.0.0.1:{port}:80", "busybox", "httpd", "-f", "-p", "80", "-h",
                        "/etc").stdout.strip()
        hostname = cli("exec", "web", "hostname").stdout.strip()
        assert _fetch(port) == hostname
        stop_daemon(running.pop(), signal.SIGKILL)
        assert _fetch(port) == hostname  # the data plane does not need skiffd
        running.append(start_daemon(private_root))
        assert _fetch(port) == hostname
        assert _wget(cli, net, "http://web/hostname") == [hostname]
        taken = cli("run", "--rm", "--network", net, "-p", f"127.0.0.1:{port}:80", "busybox",
                    "true", check=False)
        assert taken.returncode != 0 and "port is already allocated" in taken.stderr
        cli("rm", "-f", "web")
        cli("network", "rm", net)
        assert bridge not in _links()
        rules = subprocess.run(["iptables", "-t", "nat", "-S"], capture_output=True,
                               text=True).stdout
        assert bridge not in rules and server_id not in rules and f"--dport {port} " not in rules
        with open("/proc/mounts") as fh:
            assert str(private_root) not in fh.read()
    finally:
        if not running:  # killed, and the restart failed: one more try, to clean up
            with contextlib.suppress(RuntimeError):
                running.append(start_daemon(private_root))
        cli("rm", "-f", "web", check=False)
        cli("network", "rm", net, check=False)
        for daemon in running:
            stop_daemon(daemon)
        remove_bridge(bridge)  # nothing left to do unless the daemons failed


def test_networking_of_a_container_that_died_while_skiffd_was_down(
        private_root: Path) -> None:
    running = [start_daemon(private_root)]
    cli = DockerCLI(running[0].host)
    net, subnet, port = _name(), _subnet(), _free_port()
    bridge = "?"
    try:
        import_busybox(running[0])
        bridge = "br-" + cli("network", "create", "--subnet", subnet, net).stdout.strip()[:12]
        server_id = cli("run", "-d", "--name", "web", "--network", net, "-p",
                        f"127.0.0.1:{port}:80", "busybox", "httpd", "-f", "-p", "80", "-h",
                        "/etc").stdout.strip()
        pid = int(cli("inspect", "-f", "{{.State.Pid}}", "web").stdout)
        stop_daemon(running.pop(), signal.SIGKILL)
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not os.path.exists(f"/proc/{pid}"), what="the container to die")
        running.append(start_daemon(private_root))
        state = cli("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "web").stdout
        assert state.split() == ["exited", "137"]
        rules = subprocess.run(["iptables", "-t", "nat", "-S"], capture_output=True,
                               text=True).stdout
        assert server_id not in rules and f"--dport {port} " not in rules
        with open("/proc/mounts") as fh:
            assert f"netns/{server_id}" not in fh.read()
        assert cli("network", "inspect", net, "--format",
                   "{{len .Containers}}").stdout.strip() == "0"
        with socket.socket() as sock:  # the host port is free again
            sock.bind(("127.0.0.1", port))
        cli("start", "web")  # and the container gets it all back
        assert _fetch(port) == cli("exec", "web", "hostname").stdout.strip()
    finally:
        if not running:
            with contextlib.suppress(RuntimeError):
                running.append(start_daemon(private_root))
        cli("rm", "-f", "web", check=False)
        cli("network", "rm", net, check=False)
        for daemon in running:
            stop_daemon(daemon)
        remove_bridge(bridge)


def _free_port_pair() -> int:
    """A port P such that P and P + 1 are both free on 127.0.0.1."""
    while True:
        first = _free_port()
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", first + 1))
            except OSError:
                continue
        return first


def test_port_ranges_and_ports_released_on_stop(docker: DockerCLI, name: str) -> None:
    port = _free_port_pair()
    docker("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}-{port + 1}:80-81", "busybox",
           "sh", "-c", "httpd -p 80 -h /etc && exec httpd -f -p 81 -h /etc")
    try:
        hostname = docker("exec", name, "hostname").stdout.strip()
        assert docker("port", name, "80/tcp").stdout.split() == [f"127.0.0.1:{port}"]
        assert docker("port", name, "81/tcp").stdout.split() == [f"127.0.0.1:{port + 1}"]
        assert _fetch(port) == hostname and _fetch(port + 1) == hostname
        docker("stop", "-t", "1", name)
        nat = subprocess.run(["iptables", "-t", "nat", "-S"], capture_output=True,
                             text=True).stdout
        assert f"--dport {port}" not in nat and f"--dport {port + 1}" not in nat
        assert docker("port", name).stdout.strip() == ""
        with socket.socket() as sock:  # skiffd let go of the host port
            sock.bind(("127.0.0.1", port))
        docker("start", name)
        assert _fetch(port) == hostname
    finally:
        docker("rm", "-f", name, check=False)


def test_a_failed_connect_leaves_nothing_attached(docker: DockerCLI, name: str) -> None:
    net, subnet, bridge = _name(), _subnet(), f"skt{secrets.token_hex(3)}"
    prefix = subnet.rsplit(".", 1)[0]
    docker("network", "create", "--subnet", subnet, "-o",
           f"com.docker.network.bridge.name={bridge}", net)
    # a link that is no bridge takes the bridge's name: the bridge plugin fails half way
    subprocess.run(["ip", "link", "add", bridge, "type", "veth", "peer", "name", f"{bridge}p"],
                   check=True)
    try:
        docker("run", "-d", "--name", name, "busybox", "sleep", "300")
        before = docker("exec", name, "ip", "-o", "link").stdout
        failed = docker("network", "connect", "--ip", f"{prefix}.5", net, name, check=False)
        assert failed.returncode != 0
        assert docker("network", "inspect", net, "--format",
                      "{{len .Containers}}").stdout.strip() == "0"
        assert docker("exec", name, "ip", "-o", "link").stdout == before
        assert net not in docker("inspect", name, "--format",
                                 "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}"
                                 ).stdout.split()
        subprocess.run(["ip", "link", "delete", bridge], check=True)
        # the address was given back: the container can have it now
        docker("network", "connect", "--ip", f"{prefix}.5", net, name)
        assert f"{prefix}.5/" in docker("exec", name, "ip", "-4", "-o", "addr").stdout
    finally:
        subprocess.run(["ip", "link", "delete", bridge], capture_output=True)
        docker("rm", "-f", name, check=False)
        docker("network", "rm", net, check=False)


def test_connect_skips_interface_names_the_container_took(docker: DockerCLI, name: str) -> None:
    net = _name()
    docker("network", "create", "--subnet", _subnet(), net)
    try:
        docker("run", "-d", "--name", name, "--cap-add", "NET_ADMIN", "busybox", "sh", "-c",
               "ip link add eth1 type bridge && exec sleep 300")
        wait_until(lambda: "eth1" in docker("exec", name, "ip", "-o", "link").stdout)
        docker("network", "connect", net, name)
        links = docker("exec", name, "ip", "-o", "link").stdout
        assert "eth1:" in links and "eth2@" in links
    finally:
        docker("rm", "-f", name, check=False)
        docker("network", "rm", net, check=False)


def test_a_link_that_is_not_a_bridge_is_never_taken_for_one(docker: DockerCLI) -> None:
    refused = docker("network", "create", "-o", "com.docker.network.bridge.name=lo", _name(),
                     check=False)
    assert refused.returncode != 0 and "another kind" in refused.stderr


def test_published_ports_follow_a_disconnect_and_leave_with_the_container(
        docker: DockerCLI, name: str) -> None:
    first, second, port = _name(), _name(), _free_port()
    docker("network", "create", "--subnet", _subnet(), first)
    docker("network", "create", "--subnet", _subnet(), second)
    try:
        cid = docker("run", "-d", "--name", name, "--network", first, "-p",
                     f"127.0.0.1:{port}:80", "busybox", "httpd", "-f", "-p", "80", "-h",
                     "/etc").stdout.strip()
        hostname = docker("exec", name, "hostname").stdout.strip()
        assert _fetch(port) == hostname
        docker("network", "connect", second, name)
        docker("network", "disconnect", first, name)
        assert _fetch(port) == hostname  # as Docker: the mapping moved to what is left
        docker("rm", "-f", name)
        nat = subprocess.run(["iptables", "-t", "nat", "-S"], capture_output=True,
                             text=True).stdout
        assert f"--dport {port}" not in nat and cid not in nat
    finally:
        docker("rm", "-f", name, check=False)
        docker("network", "rm", first, second, check=False)


def test_connect_from_the_default_bridge_brings_names_and_hosts_lines(
        docker: DockerCLI, name: str) -> None:
    net, peer = _name(), f"{name}-peer"
    docker("network", "create", "--subnet", _subnet(), net)
    try:
        docker("run", "-d", "--name", peer, "--network", net, "busybox", "sleep", "300")
        docker("run", "-d", "--name", name, "busybox", "sleep", "300")
        assert "127.0.0.11" not in docker("exec", name, "cat", "/etc/resolv.conf").stdout
        docker("network", "connect", net, name)
        assert "nameserver 127.0.0.11" in docker("exec", name, "cat",
                                                 "/etc/resolv.conf").stdout
        peer_ip = docker("inspect", "-f",
                         f'{{{{(index .NetworkSettings.Networks "{net}").IPAddress}}}}',
                         peer).stdout.strip()
        assert peer_ip in docker("exec", name, "nslookup", peer).stdout
        own_ip = docker("inspect", "-f",
                        f'{{{{(index .NetworkSettings.Networks "{net}").IPAddress}}}}',
                        name).stdout.strip()
        hostname = docker("exec", name, "hostname").stdout.strip()
        assert f"{own_ip}\t{hostname}" in docker("exec", name, "cat", "/etc/hosts").stdout
        docker("network", "disconnect", net, name)
        assert own_ip not in docker("exec", name, "cat", "/etc/hosts").stdout
    finally:
        docker("rm", "-f", name, peer, check=False)
        docker("network", "rm", net, check=False)


def test_network_inspect_follows_a_rename(docker: DockerCLI, name: str) -> None:
    net, renamed = _name(), f"{name}-renamed"
    docker("network", "create", "--subnet", _subnet(), net)
    try:
        docker("run", "-d", "--name", name, "--network", net, "busybox", "sleep", "300")
        docker("rename", name, renamed)
        listed = json.loads(docker("network", "inspect", net, "--format",
                                   "{{json .Containers}}").stdout)
        assert [sorted(e) for e in listed.values()] == [
            ["EndpointID", "IPv4Address", "IPv6Address", "MacAddress", "Name"]]
        assert [e["Name"] for e in listed.values()] == [renamed]
        dns_names = docker("inspect", "-f",
                           f'{{{{json (index .NetworkSettings.Networks "{net}").DNSNames}}}}',
                           renamed).stdout
        assert renamed in json.loads(dns_names) and name not in json.loads(dns_names)
    finally:
        docker("rm", "-f", renamed, name, check=False)
        docker("network", "rm", net, check=False)


def test_unnamed_host_ports_come_in_order_from_the_ephemeral_range(docker: DockerCLI,
                                                                   name: str) -> None:
    low, high = (int(x) for x in
                 Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    first, second = f"{name}-1", f"{name}-2"
    try:
        for ref in (first, second):
            docker("run", "-d", "--name", ref, "-p", "127.0.0.1::80", "busybox", "sleep", "300")
        ports = [int(docker("port", ref, "80/tcp").stdout.split(":")[-1])
                 for ref in (first, second)]
        assert all(low <= p <= high for p in ports), ports
        assert ports[1] > ports[0], ports  # as Docker's allocator: the next one up
        for between in range(ports[0] + 1, ports[1]):  # skipped only if taken
            with socket.socket() as sock, contextlib.suppress(OSError):
                sock.bind(("127.0.0.1", between))
                raise AssertionError(f"port {between} was free but skipped")
    finally:
        docker("rm", "-f", first, second, check=False)
