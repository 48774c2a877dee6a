"""skiff's firewall rules beside other managers: any FORWARD policy, foreign rules left alone,
flushed rules restored, and (under scripts/beside-dockerd) a real dockerd on the same host."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import signal
import subprocess
from collections.abc import Iterator

import pytest

from tests.conftest import Daemon, DockerCLI, UnixHTTPConnection, wait_until
from tests.integration.test_networks import _free_port, _host_address, _name, _subnet

BESIDE = os.environ.get("SKIFF_BESIDE_DOCKERD", "")


def _iptables(*args: str, check: bool = True) -> str:
    result = subprocess.run(["iptables", "-w", *args], capture_output=True, text=True,
                            timeout=30)
    if check and result.returncode != 0:
        raise AssertionError(f"iptables {' '.join(args)}: {result.stderr}")
    return result.stdout


def _saved() -> list[str]:
    """Every rule and chain of filter and nat, without counters."""
    out = subprocess.run(["iptables-save"], capture_output=True, text=True, timeout=30).stdout
    return [re.sub(r" \[\d+:\d+\]$", "", line) for line in out.splitlines()
            if line and not line.startswith("#")]


def _curl(url: str) -> str:
    result = subprocess.run(["curl", "-sS", "--max-time", "5", "--retry", "20",
                             "--retry-connrefused", "--retry-delay", "0", url],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"curl {url}: {result.stderr.strip()}"
    return result.stdout.strip()


def _info(daemon: Daemon) -> dict[str, object]:
    conn = UnixHTTPConnection(str(daemon.socket))
    conn.request("GET", "/info")
    info: dict[str, object] = json.loads(conn.getresponse().read())
    conn.close()
    return info


def _bridge(docker: DockerCLI, net: str) -> str:
    return "br-" + docker("network", "inspect", "-f", "{{.Id}}", net).stdout.strip()[:12]


def _in_container(docker: DockerCLI, network: str, script: str) -> subprocess.CompletedProcess[str]:
    return docker("run", "--rm", "--network", network, "busybox", "sh", "-c", script,
                  check=False)


@pytest.fixture
def forward_drop() -> Iterator[None]:
    """FORWARD's policy DROP (dockerd's, ufw's and firewalld's default) for one test."""
    before = next(line.split()[2] for line in _iptables("-S", "FORWARD").splitlines()
                  if line.startswith("-P FORWARD"))
    _iptables("-P", "FORWARD", "DROP")
    yield
    _iptables("-P", "FORWARD", before)


@pytest.fixture
def web(docker: DockerCLI) -> Iterator[tuple[str, str, int, int]]:
    """A web server on a network of its own: (network, container, 127.0.0.1 port, any port)."""
    net, server = _name(), f"web-{secrets.token_hex(3)}"
    local, anywhere = _free_port(), _free_port(host="0.0.0.0")
    docker("network", "create", "--subnet", _subnet(), net)
    try:
        docker("run", "-d", "--name", server, "--network", net, "--network-alias", "web",
               "-p", f"127.0.0.1:{local}:80", "-p", f"{anywhere}:80", "busybox", "sh", "-c",
               f"echo {server} > /index.html; exec httpd -f -p 80 -h /")
        yield net, server, local, anywhere
    finally:
        docker("rm", "-f", server, check=False)
        docker("network", "rm", net, check=False)


def test_networking_works_with_forward_policy_drop(docker: DockerCLI, forward_drop: None,
                                                   web: tuple[str, str, int, int]) -> None:
    net, server, local, anywhere = web
    address = _host_address()
    # by name on the network, and the page
    reached = _in_container(docker, net, "ping -c1 -W5 web >/dev/null && timeout 10 sh -c "
                            "'until wget -qO- http://web/; do sleep 0.2; done'")
    assert reached.returncode == 0 and reached.stdout.strip() == server, reached.stderr
    # published ports from the host: on 127.0.0.1 and on the host's own address
    assert _curl(f"http://127.0.0.1:{local}/") == server
    assert _curl(f"http://{address}:{anywhere}/") == server
    # from the container itself (hairpin), from another network and from the default bridge
    hairpin = docker("exec", server, "timeout", "10", "wget", "-qO-",
                     f"http://{address}:{anywhere}/")
    assert hairpin.stdout.strip() == server
    other = _name()
    docker("network", "create", "--subnet", _subnet(), other)
    try:
        ip = docker("inspect", "-f", f"{{{{(index .NetworkSettings.Networks \"{net}\")"
                    f".IPAddress}}}}", server).stdout.strip()
        crossed = _in_container(docker, other, f"timeout 10 wget -qO- "
                                f"http://{address}:{anywhere}/; echo; "
                                f"timeout 2 wget -qO- http://{ip}/ || echo kept-apart")
        assert crossed.stdout.split() == [server, "kept-apart"]
    finally:
        docker("network", "rm", other)
    outside = _in_container(docker, "bridge", f"timeout 10 wget -qO- "
                            f"http://{address}:{anywhere}/")
    assert outside.stdout.strip() == server


def test_rules_of_others_are_left_alone(docker: DockerCLI) -> None:
    tag = f"not-skiff-{secrets.token_hex(3)}"
    chain = f"OTHER-{secrets.token_hex(3).upper()}"
    foreign = [("filter", ["-N", chain]),
               ("filter", ["-A", chain, "-m", "comment", "--comment", tag, "-j", "RETURN"]),
               ("filter", ["-I", "FORWARD", "1", "-m", "comment", "--comment", tag, "-j", chain]),
               ("nat", ["-A", "POSTROUTING", "-s", "192.0.2.0/24", "-m", "comment", "--comment",
                        tag, "-j", "RETURN"])]
    for table, rule in foreign:
        _iptables("-t", table, *rule)
    try:
        before = [line for line in _saved() if tag in line or chain in line]
        net, name = _name(), f"t-{secrets.token_hex(3)}"
        docker("network", "create", "--subnet", _subnet(), net)
        bridge = _bridge(docker, net)
        docker("run", "-d", "--name", name, "--network", net, "-p", f"{_free_port()}:80",
               "busybox", "httpd", "-f", "-p", "80")
        assert any(f"skiff:{bridge}:" in line for line in _saved())
        docker("rm", "-f", name)
        docker("network", "rm", net)
        after = _saved()
        assert [line for line in after if tag in line or chain in line] == before
        assert not [line for line in after if bridge in line]
    finally:
        _iptables("-t", "nat", "-D", *foreign[3][1][1:], check=False)
        _iptables("-D", "FORWARD", "-m", "comment", "--comment", tag, "-j", chain, check=False)
        _iptables("-F", chain, check=False)
        _iptables("-X", chain, check=False)


def _flush_skiff_rules(bridge: str) -> None:
    """What another manager's reload does to skiff's filter rules: the jump from FORWARD and the
    bridge's accepts are gone (those of other daemons' bridges on this host are left alone)."""
    for rule in _iptables("-S", "SKIFF-FORWARD").splitlines():
        if f"skiff:{bridge}:" in rule:
            _iptables("-D", *shlex.split(rule)[1:])
    _iptables("-D", "FORWARD", "-m", "comment", "--comment", "skiff", "-j", "SKIFF-FORWARD")


def _warnings(daemon: Daemon) -> list[str]:
    return [str(w) for w in _info(daemon).get("Warnings") or []]  # type: ignore[attr-defined]


def test_flushed_rules_come_back_at_the_next_start(daemon: Daemon, docker: DockerCLI,
                                                   forward_drop: None,
                                                   web: tuple[str, str, int, int]) -> None:
    net, server, local, _anywhere = web
    bridge = _bridge(docker, net)
    _flush_skiff_rules(bridge)
    warned = [w for w in _warnings(daemon) if "firewall rules are missing" in w]
    assert warned and bridge in warned[0] and "FORWARD policy DROP" in warned[0]
    assert _in_container(docker, net, "timeout 10 wget -qO- http://web/").stdout.strip() == \
        server  # that container's start put the rules back
    assert not [w for w in _warnings(daemon) if "firewall rules are missing" in w]
    assert _curl(f"http://127.0.0.1:{local}/") == server


def test_sighup_restores_the_rules(daemon: Daemon, docker: DockerCLI, forward_drop: None,
                                   web: tuple[str, str, int, int]) -> None:
    net, server, _local, _anywhere = web
    bridge = _bridge(docker, net)
    _flush_skiff_rules(bridge)
    daemon.process.send_signal(signal.SIGHUP)
    wait_until(lambda: f"skiff:{bridge}:out" in _iptables("-S", "SKIFF-FORWARD") and
               "SKIFF-FORWARD" in _iptables("-S", "FORWARD"), what="the rules after SIGHUP")
    reached = docker("exec", server, "timeout", "10", "wget", "-qO-", "http://web/")
    assert reached.stdout.strip() == server
    assert not [w for w in _warnings(daemon) if "firewall rules are missing" in w]


def test_sighup_puts_the_jump_back_above_rules_inserted_later(daemon: Daemon,
                                                             docker: DockerCLI) -> None:
    tag = f"not-skiff-{secrets.token_hex(3)}"
    foreign = ["-s", "192.0.2.1/32", "-m", "comment", "--comment", tag, "-j", "DROP"]
    _iptables("-I", "FORWARD", "1", *foreign)  # as dockerd does with its jumps when it starts
    try:
        daemon.process.send_signal(signal.SIGHUP)
        def first_rule() -> str:
            return next(r for r in _iptables("-S", "FORWARD").splitlines() if r.startswith("-A"))

        wait_until(lambda: first_rule().endswith("-j SKIFF-FORWARD"),
                   what="skiff's jump first after SIGHUP")
        rules = _iptables("-S", "FORWARD")
        assert rules.count("-j SKIFF-FORWARD") == 1 and tag in rules  # moved, theirs kept
    finally:
        _iptables("-D", "FORWARD", *foreign)


def test_info_reports_the_kernel_s_forwarding_settings(daemon: Daemon) -> None:
    info = _info(daemon)

    def sysctl(name: str) -> bool:
        try:
            with open(f"/proc/sys/net/{name}") as fh:
                return fh.read().strip() == "1"
        except OSError:
            return False

    assert info["IPv4Forwarding"] is sysctl("ipv4/ip_forward") is True  # skiffd turned it on
    assert info["BridgeNfIptables"] is sysctl("bridge/bridge-nf-call-iptables")
    assert info["BridgeNfIp6tables"] is sysctl("bridge/bridge-nf-call-ip6tables")
    warnings = [str(w) for w in info.get("Warnings") or []]  # type: ignore[attr-defined]
    assert ("WARNING: bridge-nf-call-iptables is disabled" in warnings) is \
        (not info["BridgeNfIptables"])


@pytest.mark.skipif(not BESIDE, reason="only beside a running dockerd (scripts/beside-dockerd)")
def test_both_engines_work_side_by_side(docker: DockerCLI) -> None:
    from tests.conftest import BUSYBOX_TAR

    reference = DockerCLI(BESIDE)

    def dockerd_rules() -> list[str]:
        return [line for line in _saved() if not re.search(r"skiff|CNI", line, re.I)]

    if "busybox:latest" not in reference("images", "--format",
                                         "{{.Repository}}:{{.Tag}}").stdout.split():
        reference("import", "--change", 'CMD ["sh"]', str(BUSYBOX_TAR), "busybox")
    theirs, their_server, their_port = _name(), f"d-{secrets.token_hex(3)}", _free_port()
    ours, our_server, our_port = _name(), f"s-{secrets.token_hex(3)}", _free_port()
    page = "echo $(hostname) > /index.html; exec httpd -f -p 80 -h /"
    reference("network", "create", theirs)
    try:
        reference("run", "-d", "--name", their_server, "--hostname", their_server, "--network",
                  theirs, "-p", f"127.0.0.1:{their_port}:80", "busybox", "sh", "-c", page)
        assert _curl(f"http://127.0.0.1:{their_port}/") == their_server
        before = dockerd_rules()
        assert "-P FORWARD DROP" in _iptables("-S", "FORWARD")  # dockerd's default

        # skiff's side: a user network by name, and a published port fetched from the host
        docker("network", "create", ours)
        docker("run", "-d", "--name", our_server, "--hostname", our_server, "--network", ours,
               "--network-alias", "web", "-p", f"127.0.0.1:{our_port}:80", "busybox", "sh",
               "-c", page)
        got = docker("run", "--rm", "--network", ours, "busybox", "timeout", "10", "wget",
                     "-qO-", "http://web/").stdout.strip()
        assert got == our_server
        assert _curl(f"http://127.0.0.1:{our_port}/") == our_server

        # dockerd's side still works meanwhile
        got = reference("run", "--rm", "--network", theirs, "busybox", "timeout", "10", "wget",
                        "-qO-", f"http://{their_server}/").stdout.strip()
        assert got == their_server
        assert _curl(f"http://127.0.0.1:{their_port}/") == their_server

        # and once skiff's containers and networks are gone, nothing of dockerd's changed
        docker("rm", "-f", our_server)
        docker("network", "rm", ours)
        assert dockerd_rules() == before
        assert _curl(f"http://127.0.0.1:{their_port}/") == their_server
    finally:
        docker("rm", "-f", our_server, check=False)
        docker("network", "rm", ours, check=False)
        reference("rm", "-f", their_server, check=False)
        reference("network", "rm", theirs, check=False)
