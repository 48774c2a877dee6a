"""``skiff network``, ``volume``, ``port`` and run's network flags against the docker CLI."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.conftest import Daemon, DockerCLI
from tests.integration.test_cli import SkiffCLI, same_output


@pytest.fixture(scope="module")
def skiff(daemon: Daemon) -> SkiffCLI:
    return SkiffCLI(daemon.host)


def _octet() -> int:
    return secrets.randbelow(200) + 20


@pytest.fixture
def subnet() -> str:
    return f"10.90.{_octet()}"


@pytest.fixture
def networks(docker: DockerCLI) -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    if names:
        docker("network", "rm", "-f", *names, check=False)


@pytest.fixture
def volumes(docker: DockerCLI) -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    if names:
        docker("volume", "rm", "-f", *names, check=False)


@pytest.fixture
def containers(docker: DockerCLI) -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    if names:
        docker("rm", "-f", *names, check=False)


def test_network_create_ls_inspect_rm(docker: DockerCLI, skiff: SkiffCLI, name: str,
                                      subnet: str, networks: list[str]) -> None:
    networks.append(name)
    created = skiff("network", "create", "--subnet", f"{subnet}.0/24", "--gateway",
                    f"{subnet}.254", "--ip-range", f"{subnet}.128/25", "--internal",
                    "--attachable", "--label", "team=a", "-o",
                    "com.docker.network.driver.mtu=1400", name).stdout.strip()
    assert len(created) == 64
    for args in (["network", "ls"], ["network", "ls", "--no-trunc"], ["network", "ls", "-q"],
                 ["network", "ls", "-f", f"name={name}", "--format", "{{json .}}"],
                 ["network", "ls", "--format", "table {{.Name}}\t{{.Internal}}\t{{.Labels}}"],
                 ["network", "inspect", name],
                 ["network", "inspect", "-f", "{{.Name}} {{.Internal}} {{.Attachable}} "
                  "{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}} "
                  "{{.Labels}} {{.Options}}", name],
                 ["network", "inspect", name, "nope-" + name],
                 ["network", "create", name],
                 ["network", "rm", "nope-" + name], ["network", "rm", "-f", "nope-" + name]):
        same_output(docker, skiff, *args)
    inspected = docker("network", "inspect", "-f", "{{.Internal}} {{.Attachable}} "
                       "{{range .IPAM.Config}}{{.Gateway}} {{.IPRange}}{{end}} "
                       "{{index .Labels \"team\"}}", name).stdout
    assert inspected == f"true true {subnet}.254 {subnet}.128/25 a\n"
    assert skiff("network", "rm", name).stdout == f"{name}\n"
    networks.clear()


def test_network_connect_disconnect_and_prune(docker: DockerCLI, skiff: SkiffCLI, name: str,
                                              subnet: str, networks: list[str],
                                              containers: list[str]) -> None:
    net = f"n-{name}"
    networks.append(net)
    containers.append(name)
    docker("network", "create", "--subnet", f"{subnet}.0/24", net)
    docker("run", "-d", "--name", name, "busybox", "sleep", "60")
    skiff("network", "connect", "--ip", f"{subnet}.77", "--alias", "web", net, name)
    template = (f"{{{{with index .NetworkSettings.Networks \"{net}\"}}}}{{{{.IPAddress}}}} "
                f"{{{{.Aliases}}}}{{{{end}}}}")
    assert docker("inspect", "-f", template, name).stdout == f"{subnet}.77 [web]\n"
    skiff("network", "disconnect", net, name)
    assert skiff("network", "disconnect", net, name, check=False).returncode == 1
    same_output(docker, skiff, "network", "disconnect", "-f", net, name)
    docker("rm", "-f", name)
    out = skiff("network", "prune", "-f").stdout
    assert out.startswith("Deleted Networks:\n") and f"\n{net}\n" in out
    assert skiff("network", "prune", "-f").stdout == ""
    prompt = skiff("network", "prune", input="n\n").stdout
    assert prompt == ("WARNING! This will remove all custom networks not used by at least one "
                      "container.\nAre you sure you want to continue? [y/N] ")


def test_volume_create_ls_inspect_rm(docker: DockerCLI, skiff: SkiffCLI, name: str,
                                     volumes: list[str]) -> None:
    volumes.append(name)
    assert skiff("volume", "create", "--label", "k=v", "-d", "local", name).stdout == \
        f"{name}\n"
    for args in (["volume", "ls"], ["volume", "ls", "-q"],
                 ["volume", "ls", "-f", f"name={name}", "--format", "{{json .}}"],
                 ["volume", "inspect", name],
                 ["volume", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Labels}} "
                  "{{.Mountpoint}}", name],
                 ["volume", "inspect", name, "nope-" + name],
                 ["volume", "rm", "nope-" + name], ["volume", "rm", "-f", "nope-" + name]):
        same_output(docker, skiff, *args)
    assert skiff("volume", "rm", name).stdout == f"{name}\n"
    volumes.clear()


def test_volume_prune(docker: DockerCLI, skiff: SkiffCLI, name: str,
                      volumes: list[str]) -> None:
    volumes.append(name)
    docker("volume", "create", name)
    anonymous = docker("volume", "create").stdout.strip()
    volumes.append(anonymous)
    out = skiff("volume", "prune", "-f").stdout
    assert f"\n{anonymous}\n" in out and f"\n{name}\n" not in out
    assert out.startswith("Deleted Volumes:\n")
    assert out.endswith("\nTotal reclaimed space: 0B\n")
    out = skiff("volume", "prune", "-af").stdout
    assert f"\n{name}\n" in out
    same_output(docker, skiff, "volume", "prune", "-f")


def test_port_and_run_publish(docker: DockerCLI, skiff: SkiffCLI, name: str,
                              containers: list[str]) -> None:
    containers.append(name)
    base = 20000 + secrets.randbelow(20000)
    skiff("run", "-d", "--name", name, "-p", f"{base}:80", "-p",
          f"127.0.0.1:{base + 1}-{base + 2}:81-82/udp", "--expose", "90", "busybox",
          "sleep", "60")
    for args in (["port", name], ["port", name, "80"], ["port", name, "81/udp"],
                 ["port", name, "90"], ["port", name, "99/tcp"], ["port", "nope-" + name]):
        same_output(docker, skiff, *args)
    assert skiff("port", name).stdout == (f"80/tcp -> 0.0.0.0:{base}\n"
                                          f"81/udp -> 127.0.0.1:{base + 1}\n"
                                          f"82/udp -> 127.0.0.1:{base + 2}\n")


def test_run_network_and_volume_flags(docker: DockerCLI, skiff: SkiffCLI, name: str,
                                      subnet: str, networks: list[str],
                                      volumes: list[str]) -> None:
    net, other = f"a-{name}", f"b-{name}"
    second = f"10.90.{(int(subnet.split('.')[2]) + 100) % 230 + 20}"
    networks.extend([net, other])
    volumes.append(name)
    docker("network", "create", "--subnet", f"{subnet}.0/24", net)
    docker("network", "create", "--subnet", f"{second}.0/24", other)
    out = skiff("run", "--rm", "--network", net, "--ip", f"{subnet}.50", "--network-alias",
                "db", "--dns-search", "example.com", "--dns-option", "ndots:2",
                "--add-host", "foo:1.2.3.4", "-v", f"{name}:/data", "--mount",
                f"type=volume,src={name},dst=/again", "busybox", "sh", "-c",
                "ip -4 addr show eth0 | grep -o 'inet [0-9.]*'; grep -E '^(search|options)' "
                "/etc/resolv.conf; grep foo /etc/hosts; echo hi > /data/x; cat /again/x"
                ).stdout
    assert out == (f"inet {subnet}.50\nsearch example.com\noptions ndots:2\n"
                   "1.2.3.4\tfoo\nhi\n")
    out = skiff("run", "--rm", "--network", net, "--network", other, "busybox", "sh", "-c",
                "ip -4 addr | grep -o 'inet 10[0-9.]*' | sort").stdout
    assert sorted(out.splitlines()) == sorted([f"inet {subnet}.2", f"inet {second}.2"])
