"""``docker stats`` and docker-py's ``stats()`` against skiffd: CPU, memory against the limit,
network and PIDs from the container's cgroup and namespace, in Docker's JSON shape."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import DockerCLI


@pytest.fixture
def busy(docker: DockerCLI) -> Iterator[str]:
    name = f"stats-busy-{time.monotonic_ns()}"
    docker("run", "-d", "--init", "--name", name, "-m", "64m", "busybox", "sh", "-c",
           "while :; do :; done")
    yield name
    docker("rm", "-f", name, check=False)


def test_docker_stats_no_stream(docker: DockerCLI, busy: str) -> None:
    time.sleep(1)
    row = json.loads(docker("stats", "--no-stream", "--format", "{{json .}}", busy).stdout)
    assert row["Name"] == busy
    assert float(row["CPUPerc"].rstrip("%")) > 50  # a shell spinning on one CPU
    usage, limit = row["MemUsage"].split(" / ")
    assert limit == "64MiB" and usage.endswith("B") and not usage.startswith("0B")
    assert row["PIDs"] == "2"  # the init and the shell
    assert row["NetIO"].endswith("B")


def test_docker_py_stats(client: Any, busy: str) -> None:
    container = client.containers.get(busy)
    one = container.stats(stream=False)
    assert one["id"] == container.id and one["name"] == "/" + busy
    assert one["memory_stats"]["limit"] == 64 * 1024 * 1024
    assert one["memory_stats"]["usage"] > 0 and "stats" in one["memory_stats"]
    cpu, pre = one["cpu_stats"], one["precpu_stats"]
    assert cpu["cpu_usage"]["total_usage"] > pre["cpu_usage"]["total_usage"] > 0
    assert cpu["system_cpu_usage"] > pre["system_cpu_usage"]
    assert cpu["online_cpus"] >= 1 and one["pids_stats"]["current"] == 2
    assert "eth0" in one["networks"]
    shot = container.stats(stream=False, one_shot=True)
    assert shot["precpu_stats"]["cpu_usage"]["total_usage"] > 0  # the sample kept before
    stream = container.stats(stream=True, decode=True)
    first, second = next(stream), next(stream)
    stream.close()
    gap = (time.mktime(time.strptime(second["read"][:19], "%Y-%m-%dT%H:%M:%S")) -
           time.mktime(time.strptime(first["read"][:19], "%Y-%m-%dT%H:%M:%S")))
    assert 0 <= gap <= 2
    assert second["precpu_stats"]["cpu_usage"]["total_usage"] == \
        first["cpu_stats"]["cpu_usage"]["total_usage"]


def test_stats_of_a_stopped_container_and_a_missing_one(docker: DockerCLI,
                                                        client: Any) -> None:
    name = f"stats-stopped-{time.monotonic_ns()}"
    docker("create", "--name", name, "busybox", "true")
    try:
        stopped = client.containers.get(name).stats(stream=False)
        assert stopped["read"] == "0001-01-01T00:00:00Z"
        assert stopped["cpu_stats"]["cpu_usage"]["total_usage"] == 0
    finally:
        docker("rm", "-f", name)
    missing = docker("stats", "--no-stream", "no-such-container", check=False)
    assert missing.returncode != 0 and "No such container" in missing.stderr


def test_skiff_stats_and_compose_stats_by_service(daemon: Any, tmp_path: Any,
                                                  docker: DockerCLI) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "DOCKER_HOST": daemon.host}
    project = f"st{time.monotonic_ns() % 10**6}"
    (tmp_path / "compose.yaml").write_text(
        "services:\n  spin:\n    image: busybox\n    init: true\n    scale: 2\n"
        "    command: [sh, -c, 'while :; do :; done']\n")
    compose = [sys.executable, "-m", "skiff.cli.main", "compose", "-p", project]
    try:
        subprocess.run([*compose, "up", "-d"], cwd=tmp_path, env=env, check=True,
                       capture_output=True, timeout=120)
        time.sleep(1)
        out = subprocess.run([*compose, "stats", "--no-stream", "--by-service", "--format",
                              "{{.Name}} {{.PIDs}} {{.CPUPerc}}"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=60).stdout
        name, pids, cpu = out.split()
        assert (name, pids) == ("spin", "4")  # two replicas of init and shell
        assert float(cpu.rstrip("%")) > 100  # two spinning shells on two CPUs
        table = subprocess.run([sys.executable, "-m", "skiff.cli.main", "stats",
                                "--no-stream"], env=env, capture_output=True, text=True,
                               timeout=60).stdout.splitlines()
        assert table[0].split()[:4] == ["CONTAINER", "ID", "NAME", "CPU"]
        assert sum(f"{project}-spin-" in line for line in table) == 2
    finally:
        subprocess.run([*compose, "down", "-t", "1"], cwd=tmp_path, env=env,
                       capture_output=True, timeout=120)
