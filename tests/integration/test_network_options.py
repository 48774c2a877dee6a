"""Bridge driver options: the bridge's name and MTU, attachable, as Docker's."""

from __future__ import annotations

import json
import secrets
import subprocess
from typing import Any

import docker as docker_py
import pytest

from tests.conftest import DockerCLI


def test_bridge_name_and_mtu_options(docker: DockerCLI, name: str) -> None:
    net, bridge = f"net-{name}", f"skt{secrets.token_hex(3)}"
    docker("network", "create", "--attachable", "-o", "com.docker.network.driver.mtu=1400",
           "-o", f"com.docker.network.bridge.name={bridge}", net)
    try:
        info = docker("network", "inspect", net, "--format",
                      "{{.Attachable}} {{index .Options \"com.docker.network.driver.mtu\"}}"
                      ).stdout.split()
        assert info == ["true", "1400"]
        docker("run", "-d", "--name", name, "--network", net, "busybox", "sleep", "300")
        link = docker("exec", name, "ip", "-o", "link", "show", "eth0").stdout
        assert "mtu 1400" in link
        shown = subprocess.run(["ip", "-o", "link", "show", bridge], capture_output=True,
                               text=True)
        assert shown.returncode == 0 and "mtu 1400" in shown.stdout
    finally:
        docker("rm", "-f", name, check=False)
        docker("network", "rm", net, check=False)
    gone = subprocess.run(["ip", "link", "show", bridge], capture_output=True)
    assert gone.returncode != 0


def test_bad_mtu_is_refused(docker: DockerCLI, name: str) -> None:
    for mtu in ("abc", "10", "70000"):
        result = docker("network", "create", "-o", f"com.docker.network.driver.mtu={mtu}",
                        f"net-{name}", check=False)
        assert result.returncode != 0, mtu
    assert f"net-{name}" not in docker("network", "ls", "--format", "{{.Name}}").stdout.split()


def test_loopback_is_up_in_every_network_mode(docker: DockerCLI, name: str) -> None:
    net = f"net-{name}"
    docker("network", "create", net)
    try:
        for mode in ("bridge", net, "none"):
            out = docker("run", "--rm", "--network", mode, "busybox", "sh", "-c",
                         "ip -o link show lo; ping -c 1 -W 2 127.0.0.1 >/dev/null && echo ok"
                         ).stdout
            assert "<LOOPBACK,UP,LOWER_UP>" in out and out.rstrip().endswith("ok"), mode
    finally:
        docker("network", "rm", net, check=False)


def _ip(docker: DockerCLI, ref: str, network: str) -> str:
    return docker("inspect", "-f",
                  f'{{{{(index .NetworkSettings.Networks "{network}").IPAddress}}}}',
                  ref).stdout.strip()


def _pings(docker: DockerCLI, ref: str, address: str) -> bool:
    return docker("exec", ref, "ping", "-c", "1", "-W", "1", address,
                  check=False).returncode == 0


def test_networks_are_isolated_from_each_other(docker: DockerCLI, name: str) -> None:
    first, second = f"net-{name}-a", f"net-{name}-b"
    a1, a2, b1, d1 = (f"{name}-{x}" for x in ("a1", "a2", "b1", "d1"))
    bridges = ["br-" + docker("network", "create", net).stdout.strip()[:12]
               for net in (first, second)]
    try:
        for ref, net in ((a1, first), (a2, first), (b1, second), (d1, "bridge")):
            docker("run", "-d", "--name", ref, "--network", net, "busybox", "sleep", "300")
        assert _pings(docker, a1, _ip(docker, a2, first))  # same network: open
        assert not _pings(docker, a1, _ip(docker, b1, second))
        assert not _pings(docker, b1, _ip(docker, a1, first))
        assert not _pings(docker, d1, _ip(docker, a1, first))  # default bridge apart too
        assert not _pings(docker, a1, _ip(docker, d1, "bridge"))
    finally:
        docker("rm", "-f", a1, a2, b1, d1, check=False)
        docker("network", "rm", first, second, check=False)
    rules = subprocess.run(["iptables", "-S"], capture_output=True, text=True).stdout
    assert not any(bridge in rules for bridge in bridges)  # the networks took their rules


def test_icc_and_masquerade_options(docker: DockerCLI, name: str) -> None:
    net, subnet = f"net-{name}", f"10.{150 + secrets.randbelow(50)}.{secrets.randbelow(250)}"
    docker("network", "create", "--subnet", f"{subnet}.0/24",
           "-o", "com.docker.network.bridge.enable_icc=false",
           "-o", "com.docker.network.bridge.enable_ip_masquerade=false", net)
    first, second = f"{name}-1", f"{name}-2"
    try:
        for ref in (first, second):
            docker("run", "-d", "--name", ref, "--network", net, "busybox", "sleep", "300")
        assert not _pings(docker, first, _ip(docker, second, net))
        nat = subprocess.run(["iptables", "-t", "nat", "-S"], capture_output=True,
                             text=True).stdout
        assert f"{subnet}.0/24" not in nat
    finally:
        docker("rm", "-f", first, second, check=False)
        docker("network", "rm", net, check=False)


def test_mac_address_is_applied_and_checked(docker: DockerCLI, client: Any) -> None:
    out = docker("run", "--rm", "--mac-address", "02:11:22:33:44:55", "busybox", "ip", "-o",
                 "link", "show", "eth0").stdout
    assert "link/ether 02:11:22:33:44:55" in out
    with pytest.raises(docker_py.errors.APIError) as bad:
        client.api.create_container("busybox", ["true"], mac_address="02:11:22")
    assert bad.value.status_code == 400 and "invalid MAC address" in str(bad.value)


def test_host_and_none_refuse_connect_and_disconnect(docker: DockerCLI, name: str) -> None:
    net = f"net-{name}"
    docker("network", "create", net)
    try:
        docker("run", "-d", "--name", f"{name}-h", "--network", "host", "busybox", "sleep",
               "300")
        docker("run", "-d", "--name", f"{name}-n", "--network", "none", "busybox", "sleep",
               "300")
        off_host = docker("network", "disconnect", "host", f"{name}-h", check=False)
        assert off_host.returncode != 0 and "disconnected from host network" in off_host.stderr
        to_net = docker("network", "connect", net, f"{name}-n", check=False)
        assert to_net.returncode != 0 and "private (none) mode" in to_net.stderr
    finally:
        docker("rm", "-f", f"{name}-h", f"{name}-n", check=False)
        docker("network", "rm", net, check=False)


def test_aux_addresses_ipam_options_and_what_needs_a_swarm(docker: DockerCLI,
                                                           name: str) -> None:
    net, prefix = f"net-{name}", f"10.{150 + secrets.randbelow(50)}.{secrets.randbelow(250)}"
    docker("network", "create", "--subnet", f"{prefix}.0/29", "--aux-address",
           f"router={prefix}.2", "--ipam-opt", "team=a", net)
    try:
        info = json.loads(docker("network", "inspect", net, "--format", "{{json .IPAM}}").stdout)
        assert info["Config"][0]["AuxiliaryAddresses"] == {"router": f"{prefix}.2"}
        assert info["Options"] == {"team": "a"}
        docker("run", "-d", "--name", name, "--network", net, "busybox", "sleep", "300")
        assert _ip(docker, name, net) == f"{prefix}.3"  # .1 the gateway, .2 reserved
    finally:
        docker("rm", "-f", name, check=False)
        docker("network", "rm", net, check=False)
    for args, message in ((["--scope", "swarm"], "swarm is not active"),
                          (["--ingress"], "Ingress network"),
                          (["--config-only"], "configuration-only")):
        refused = docker("network", "create", *args, f"net-{name}-x", check=False)
        assert refused.returncode != 0 and message in refused.stderr, args


def test_published_ports_on_the_host_network_are_a_warning(docker: DockerCLI,
                                                           name: str) -> None:
    created = docker("create", "--name", name, "--network", "host", "-p", "8080:80",
                     "busybox", "true")
    try:
        assert "WARNING: Published ports are discarded when using host network mode" in \
            created.stderr
    finally:
        docker("rm", "-f", name, check=False)
