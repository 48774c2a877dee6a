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
