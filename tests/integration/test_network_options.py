"""Bridge driver options: the bridge's name and MTU, attachable, as Docker's."""

from __future__ import annotations

import secrets
import subprocess

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
