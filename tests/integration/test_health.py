"""Healthchecks: starting → healthy → unhealthy, timeouts, events, ps, on-failure actions."""

from __future__ import annotations

import json
import time

from tests.conftest import DockerCLI


def _health(docker: DockerCLI, name: str) -> dict:  # type: ignore[type-arg]
    out = docker("inspect", "-f", "{{json .State.Health}}", name).stdout
    return json.loads(out) if out.strip() != "null" else {}


def _wait_status(docker: DockerCLI, name: str, status: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while _health(docker, name).get("Status") != status:
        assert time.monotonic() < deadline, f"never {status}: {_health(docker, name)}"
        time.sleep(0.05)


def test_healthy_then_unhealthy(docker: DockerCLI, name: str) -> None:
    since = str(time.time())
    docker("run", "-d", "--name", name, "--health-cmd", "test -e /tmp/ok",
           "--health-interval", "200ms", "--health-retries", "2", "busybox", "sh", "-c",
           "touch /tmp/ok; sleep 300")
    try:
        assert _health(docker, name)["Status"] in ("starting", "healthy")
        _wait_status(docker, name, "healthy")
        assert "(healthy)" in docker("ps", "-f", f"name={name}", "--format",
                                     "{{.Status}}").stdout
        docker("exec", name, "rm", "/tmp/ok")
        _wait_status(docker, name, "unhealthy")
        health = _health(docker, name)
        assert health["FailingStreak"] >= 2
        assert health["Log"][-1]["ExitCode"] == 1
        assert len(health["Log"]) <= 5
        ids = docker("ps", "-q", "--no-trunc", "-f", "health=unhealthy").stdout.split()
        assert docker("inspect", "-f", "{{.Id}}", name).stdout.strip() in ids
        events = docker("events", "--since", since, "--until", str(time.time()),
                        "--filter", f"container={name}", "--format", "{{.Action}}").stdout
        assert "health_status: healthy" in events
        assert "health_status: unhealthy" in events
    finally:
        docker("rm", "-f", name, check=False)


def test_timeout_is_honoured(docker: DockerCLI, name: str) -> None:
    docker("run", "-d", "--name", name, "--health-cmd", "sleep 30", "--health-interval",
           "200ms", "--health-timeout", "300ms", "--health-retries", "1", "busybox",
           "sleep", "300")
    try:
        started = time.monotonic()
        _wait_status(docker, name, "unhealthy")
        assert time.monotonic() - started < 5
        assert "exceeded timeout" in _health(docker, name)["Log"][-1]["Output"]
    finally:
        docker("rm", "-f", name, check=False)


def test_no_healthcheck_has_no_health(docker: DockerCLI, name: str) -> None:
    docker("run", "-d", "--name", name, "busybox", "sleep", "300")
    try:
        assert _health(docker, name) == {}
        names = docker("ps", "-f", "health=none", "--format", "{{.Names}}").stdout.split()
        assert name in names
    finally:
        docker("rm", "-f", name, check=False)


def test_unhealthy_action_kill(docker: DockerCLI, name: str) -> None:
    docker("run", "-d", "--name", name, "--label", "io.skiff.health-on-failure=kill",
           "--health-cmd", "false", "--health-interval", "200ms", "--health-retries", "1",
           "busybox", "sleep", "300")
    try:
        deadline = time.monotonic() + 10
        while docker("inspect", "-f", "{{.State.Status}}", name).stdout.strip() != "exited":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip() == "137"
    finally:
        docker("rm", "-f", name, check=False)
