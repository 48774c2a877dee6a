"""Restart policies: no, on-failure[:N], always, unless-stopped, with backoff and stop."""

from __future__ import annotations

import time
from pathlib import Path

from tests.conftest import DockerCLI, import_busybox, start_daemon, stop_daemon


def _state(docker: DockerCLI, name: str) -> tuple[str, int]:
    status, count = docker("inspect", "-f", "{{.State.Status}} {{.RestartCount}}",
                           name).stdout.split()
    return status, int(count)


def _wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_on_failure_restarts_exactly_n_times(docker: DockerCLI, name: str,
                                            runtime: str) -> None:
    docker("run", "-d", "--name", name, "--runtime", runtime, "--restart", "on-failure:2",
           "busybox", "sh", "-c", "echo run; exit 1")
    try:
        _wait_for(lambda: _state(docker, name) == ("exited", 2))
        time.sleep(1.0)  # no third restart comes later
        assert _state(docker, name) == ("exited", 2)
        assert docker("logs", name).stdout.count("run") == 3
    finally:
        docker("rm", "-f", name, check=False)


def test_on_failure_ignores_success(docker: DockerCLI, name: str) -> None:
    docker("run", "--name", name, "--restart", "on-failure", "busybox", "true")
    try:
        time.sleep(0.5)
        assert _state(docker, name) == ("exited", 0)
    finally:
        docker("rm", "-f", name, check=False)


def test_always_restarts_with_backoff_until_stopped(docker: DockerCLI, name: str) -> None:
    docker("run", "-d", "--name", name, "--restart", "always", "busybox", "true")
    try:
        _wait_for(lambda: _state(docker, name)[1] >= 3)
        # backoff doubles from 100 ms: only a handful of restarts in two seconds
        time.sleep(1.5)
        assert _state(docker, name)[1] < 12
        docker("stop", name)
        status, count = _state(docker, name)
        assert status == "exited"
        time.sleep(1.0)
        assert _state(docker, name) == ("exited", count)
    finally:
        docker("rm", "-f", name, check=False)


def test_restarting_shows_in_ps(docker: DockerCLI, name: str) -> None:
    docker("run", "-d", "--name", name, "--restart", "always", "busybox", "sh", "-c", "exit 3")
    try:
        _wait_for(lambda: "Restarting (3)" in docker(
            "ps", "-a", "--filter", f"name={name}", "--format", "{{.Status}}").stdout)
    finally:
        docker("rm", "-f", name, check=False)


def test_policies_applied_when_daemon_starts(private_root: Path) -> None:
    first = start_daemon(private_root, "--no-live-restore")
    import_busybox(first)
    cli = DockerCLI(first.host)
    cli("run", "-d", "--name", "always", "--restart", "always", "--stop-timeout", "1",
        "busybox", "sleep", "300")
    cli("run", "-d", "--name", "unless", "--restart", "unless-stopped", "busybox",
        "sleep", "300")
    cli("run", "-d", "--name", "never", "--stop-timeout", "1", "busybox", "sleep", "300")
    cli("stop", "-t", "0", "unless")
    stop_daemon(first)  # without live restore: containers are stopped
    second = start_daemon(private_root)
    try:
        _wait_for(lambda: "always" in cli("ps", "--format", "{{.Names}}").stdout.split())
        time.sleep(0.5)
        running = set(cli("ps", "--format", "{{.Names}}").stdout.split())
        assert "unless" not in running and "never" not in running
    finally:
        cli("rm", "-f", "always", "unless", "never", check=False)
        stop_daemon(second)
