"""Containers survive a daemon restart; removal leaves no mounts behind (private daemon)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    DockerCLI,
    import_busybox,
    start_daemon,
    stop_daemon,
)

pytestmark = pytest.mark.timeout(180)


def mounts_under(root: Path) -> list[str]:
    with open("/proc/mounts") as fh:
        return [line.split()[1] for line in fh if line.split()[1].startswith(str(root) + "/")]


def inspect(docker: DockerCLI, ref: str) -> dict[str, Any]:
    info: dict[str, Any] = json.loads(docker("inspect", ref).stdout)[0]
    return info


def test_containers_survive_daemon_restart(private_root: Path) -> None:
    daemon = start_daemon(private_root, "--no-live-restore")
    try:
        import_busybox(daemon)
        docker = DockerCLI(daemon.host)
        exited = docker("run", "--name", "exited5", "-l", "keep=me", "busybox", "sh", "-c",
                        "echo bye; exit 5", check=False)
        assert exited.returncode == 5
        created_id = docker("create", "--name", "created1", "busybox", "echo", "later"
                            ).stdout.strip()
        docker("run", "-d", "--name", "running1", "busybox", "sh", "-c",
               "trap 'exit 0' TERM; while :; do sleep 0.1; done")
        docker("rename", "running1", "renamed1")
        before = {n: inspect(docker, n) for n in ("exited5", "created1", "renamed1")}
        assert before["renamed1"]["State"]["Running"] is True

        stop_daemon(daemon)
        daemon = start_daemon(private_root, "--no-live-restore")
        docker = DockerCLI(daemon.host)

        names = set(docker("ps", "-a", "--format", "{{.Names}}").stdout.split())
        assert names == {"exited5", "created1", "renamed1"}
        after = {n: inspect(docker, n) for n in names}
        for n in names:
            assert after[n]["Id"] == before[n]["Id"]
            assert after[n]["Name"] == "/" + n
            assert after[n]["Created"] == before[n]["Created"]
            assert after[n]["Config"] == before[n]["Config"]
        state = after["exited5"]["State"]
        assert (state["Status"], state["ExitCode"], state["Running"]) == ("exited", 5, False)
        assert state["FinishedAt"] == before["exited5"]["State"]["FinishedAt"]
        assert after["exited5"]["Config"]["Labels"] == {"keep": "me"}
        assert docker("logs", "exited5").stdout == "bye\n"
        assert after["created1"]["State"]["Status"] == "created"
        # Without live-restore a running container is stopped with the daemon.
        assert after["renamed1"]["State"]["Running"] is False
        assert after["renamed1"]["State"]["Status"] == "exited"
        assert docker("ps", "-q").stdout == ""
        assert docker("ps", "-aq", "--filter", "exited=5").stdout.split() == [
            before["exited5"]["Id"][:12]]

        # The restored containers work as before.
        assert docker("start", "-a", "created1").stdout == "later\n"
        assert docker("wait", created_id).stdout == "0\n"
        docker("start", "renamed1")
        assert inspect(docker, "renamed1")["State"]["Running"] is True
        dup = docker("create", "--name", "exited5", "busybox", check=False)
        assert dup.returncode != 0
        assert "is already in use" in dup.stderr

        docker("rm", "-f", "exited5", "created1", "renamed1")
        assert docker("ps", "-aq").stdout == ""
        containers_dir = daemon.data_root / "containers"
        assert not containers_dir.exists() or list(containers_dir.iterdir()) == []
        assert mounts_under(daemon.data_root) == []
        assert mounts_under(daemon.exec_root) == []
    finally:
        stop_daemon(daemon)


def test_rm_leaves_no_mounts(private_root: Path) -> None:
    daemon = start_daemon(private_root, "--no-live-restore")
    try:
        import_busybox(daemon)
        docker = DockerCLI(daemon.host)
        docker("run", "-d", "--name", "busy", "--tmpfs", "/scratch", "-v",
               f"{private_root}:/host", "busybox", "sleep", "60")
        assert mounts_under(daemon.root)  # the running container has mounts
        docker("run", "--name", "done", "busybox", "true")
        docker("rm", "-f", "busy", "done")
        assert mounts_under(daemon.root) == []
        assert docker("ps", "-aq").stdout == ""
    finally:
        stop_daemon(daemon)
