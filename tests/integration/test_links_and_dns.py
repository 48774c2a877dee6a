"""Legacy links, --dns servers behind the embedded DNS, and host-gateway, as Docker's."""

from __future__ import annotations

import http.server
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dnslib

from tests.conftest import DockerCLI, inspect


def _address(docker: DockerCLI, ref: str, network: str = "bridge") -> str:
    return docker("inspect", "-f",
                  f'{{{{(index .NetworkSettings.Networks "{network}").IPAddress}}}}',
                  ref).stdout.strip()


def _subnet() -> str:
    return f"10.{150 + secrets.randbelow(50)}.{secrets.randbelow(250)}"


def test_links_on_the_default_bridge(docker: DockerCLI, name: str) -> None:
    server, parent = f"{name}-srv", f"{name}-app"
    docker("run", "-d", "--name", server, "-e", "SECRET=s3", "--expose", "80", "busybox",
           "httpd", "-f", "-p", "80", "-h", "/etc")
    try:
        address = _address(docker, server)
        hostname = docker("exec", server, "hostname").stdout.strip()
        docker("run", "-d", "--name", parent, "--link", f"{server}:db", "busybox",
               "sleep", "300")
        env = docker("exec", parent, "env").stdout.splitlines()
        assert f"DB_PORT=tcp://{address}:80" in env
        assert f"DB_PORT_80_TCP_ADDR={address}" in env
        assert "DB_PORT_80_TCP_PROTO=tcp" in env
        assert f"DB_NAME=/{parent}/db" in env
        assert "DB_ENV_SECRET=s3" in env
        assert not any(e.startswith("DB_ENV_PATH=") for e in env)
        hosts = docker("exec", parent, "cat", "/etc/hosts").stdout
        assert f"{address}\tdb {hostname} {server}\n" in hosts
        fetched = docker("exec", parent, "wget", "-qO-", "http://db/hostname").stdout.strip()
        assert fetched == hostname
        assert inspect(docker, parent)["HostConfig"]["Links"] == [f"/{server}:/{parent}/db"]
        names = docker("ps", "--no-trunc", "--filter", f"name={server}",
                       "--format", "{{.Names}}").stdout.strip()
        assert set(names.split(",")) == {server, f"{parent}/db"}
        docker("stop", "-t", "0", parent, server)
        refused = docker("start", parent, check=False)
        assert refused.returncode != 0
        assert f"Cannot link to a non running container: /{server} AS /{parent}/db" \
            in refused.stderr
    finally:
        docker("rm", "-f", parent, server, check=False)


def test_link_to_a_missing_container_is_refused(docker: DockerCLI, name: str) -> None:
    result = docker("create", "--name", name, "--link", f"{name}-nosuch:x", "busybox", "true",
                    check=False)
    assert result.returncode != 0
    assert f"could not get container for {name}-nosuch" in result.stderr
    assert docker("ps", "-aq", "--filter", f"name={name}").stdout.strip() == ""
    bad = docker("create", "--network", "host", "--link", "a:b", "busybox", "true",
                 check=False)
    assert bad.returncode != 0 and "can't be used with links" in bad.stderr


def test_links_on_a_user_network_are_private_aliases(docker: DockerCLI, name: str) -> None:
    net, server = f"net-{name}", f"{name}-srv"
    docker("network", "create", net)
    try:
        docker("run", "-d", "--name", server, "--network", net, "busybox", "sleep", "300")
        address = _address(docker, server, net)
        linked = docker("run", "--rm", "--network", net, "--link", f"{server}:db", "busybox",
                        "nslookup", "db").stdout
        assert address in linked
        unlinked = docker("run", "--rm", "--network", net, "busybox", "nslookup", "db",
                          check=False).stdout
        assert address not in unlinked
    finally:
        docker("rm", "-f", server, check=False)
        docker("network", "rm", net, check=False)


@contextmanager
def _dns_server(address: str, answer: str) -> Iterator[list[str]]:
    """A one-name DNS server on ``address``:53; yields the names it was asked."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 53))
    sock.settimeout(0.2)
    asked: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dnslib.DNSRecord.parse(data)
            asked.append(str(query.q.qname))
            reply = query.reply()
            if query.q.qtype == dnslib.QTYPE.A:
                reply.add_answer(dnslib.RR(query.q.qname, dnslib.QTYPE.A,
                                           rdata=dnslib.A(answer), ttl=5))
            sock.sendto(reply.pack(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield asked
    finally:
        stop.set()
        thread.join()
        sock.close()


def test_dns_servers_answer_external_names_on_user_networks(docker: DockerCLI,
                                                            name: str) -> None:
    net, prefix = f"net-{name}", _subnet()
    docker("network", "create", "--subnet", f"{prefix}.0/24", net)
    try:
        # the network's bridge (and its gateway address) exists once a container is on it
        docker("run", "-d", "--name", name, "--network", net, "busybox", "sleep", "300")
        gateway = f"{prefix}.1"
        with _dns_server(gateway, "192.0.2.77") as asked:
            out = docker("run", "--rm", "--network", net, "--dns", gateway,
                         "--dns-search", "example.test", "--dns-option", "timeout:2",
                         "busybox", "sh", "-c",
                         "cat /etc/resolv.conf; nslookup probe.skiff.test").stdout
            assert "nameserver 127.0.0.11" in out and f"nameserver {gateway}" not in out
            assert "search example.test" in out
            assert "options timeout:2 ndots:0" in out
            assert "192.0.2.77" in out
            assert "probe.skiff.test." in asked
            # container names are still answered by skiff, never asked upstream
            own = docker("run", "--rm", "--network", net, "--dns", gateway, "busybox",
                         "nslookup", name).stdout
            assert _address(docker, name, net) in own
            assert f"{name}." not in asked
    finally:
        docker("rm", "-f", name, check=False)
        docker("network", "rm", net, check=False)


def test_dns_on_the_default_bridge_goes_into_resolv_conf(docker: DockerCLI) -> None:
    out = docker("run", "--rm", "--dns", "192.0.2.53", "--dns-option", "timeout:1",
                 "busybox", "cat", "/etc/resolv.conf").stdout
    assert "nameserver 192.0.2.53" in out.splitlines()
    assert "options timeout:1" in out


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello from the host\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_host_gateway_reaches_the_host(docker: DockerCLI) -> None:
    gateway = docker("network", "inspect", "bridge", "--format",
                     "{{(index .IPAM.Config 0).Gateway}}").stdout.strip()
    server = http.server.ThreadingHTTPServer(("0.0.0.0", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        out = docker("run", "--rm", "--add-host", "outside:host-gateway", "busybox", "sh",
                     "-c", f"cat /etc/hosts; wget -qO- http://outside:{port}/").stdout
        assert f"{gateway}\toutside\n" in out
        assert "hello from the host" in out
    finally:
        server.shutdown()
        server.server_close()


def test_reverse_lookups_and_queries_over_tcp(docker: DockerCLI, name: str) -> None:
    import subprocess
    import sys

    net = f"net-{name}"
    peer = f"{name}-peer"
    docker("network", "create", "--subnet", f"{_subnet()}.0/24", net)
    try:
        docker("run", "-d", "--name", name, "--network", net, "busybox", "sleep", "300")
        docker("run", "-d", "--name", peer, "--network", net, "busybox", "sleep", "300")
        address = _address(docker, peer, net)
        reverse = docker("exec", name, "nslookup", address).stdout
        assert f"{peer}.{net}" in reverse
        # TCP, as resolvers fall back to after a truncated reply: ask from inside the
        # container's network namespace with the host's Python
        pid = docker("inspect", "-f", "{{.State.Pid}}", name).stdout.strip()
        script = (
            "import dnslib, socket\n"
            f"q = dnslib.DNSRecord.question({peer!r}).pack()\n"
            "s = socket.create_connection(('127.0.0.11', 53), timeout=5)\n"
            "s.sendall(len(q).to_bytes(2, 'big') + q)\n"
            "size = int.from_bytes(s.recv(2), 'big')\n"
            "data = b''\n"
            "while len(data) < size:\n"
            "    data += s.recv(size - len(data))\n"
            "print(dnslib.DNSRecord.parse(data).short())\n")
        out = subprocess.run(["nsenter", "-t", pid, "-n", sys.executable, "-c", script],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == address
    finally:
        docker("rm", "-f", name, peer, check=False)
        docker("network", "rm", net, check=False)


def test_external_names_go_to_the_hosts_resolvers(docker: DockerCLI, name: str) -> None:
    import pytest

    external = "deb.debian.org"  # a name this host's resolvers answer (its package mirror)
    try:
        expected = socket.gethostbyname(external)
    except OSError:
        pytest.skip(f"the host cannot resolve {external}")
    net = f"net-{name}"
    docker("network", "create", net)
    try:
        out = docker("run", "--rm", "--network", net, "busybox", "nslookup", external).stdout
        assert expected in out
    finally:
        docker("network", "rm", net, check=False)
