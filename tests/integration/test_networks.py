"""Network objects: predefined networks, create with IPAM, list filters, inspect, rm, prune."""

from __future__ import annotations

import secrets

from tests.conftest import DockerCLI


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


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fetch(port: int) -> str:
    """GET /hostname from a published port, waiting for the server to start listening."""
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + 5
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/hostname",
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
