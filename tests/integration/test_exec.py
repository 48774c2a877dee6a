"""docker exec: output, exit codes, stdin, TTY, user/env/workdir, and refusals."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.conftest import DOCKER, Daemon, DockerCLI


@pytest.fixture
def running(docker: DockerCLI, name: str, runtime: str) -> Iterator[str]:
    docker("run", "-d", "--name", name, "--runtime", runtime, "busybox", "sleep", "300")
    yield name
    docker("rm", "-f", name, check=False)


def test_exec_output_and_exit_code(docker: DockerCLI, running: str) -> None:
    result = docker("exec", running, "sh", "-c", "echo out; echo err >&2; exit 5",
                    check=False)
    assert (result.returncode, result.stdout, result.stderr) == (5, "out\n", "err\n")


def test_exec_user_env_workdir(docker: DockerCLI, running: str) -> None:
    out = docker("exec", "-u", "nobody", "-w", "/tmp", "-e", "X=42", running, "sh", "-c",
                 "id -u; pwd; echo $X").stdout
    assert out.split() == ["65534", "/tmp", "42"]


def test_exec_stdin(docker: DockerCLI, running: str) -> None:
    assert docker("exec", "-i", running, "cat", input="hello\n").stdout == "hello\n"


def test_exec_detached(docker: DockerCLI, running: str) -> None:
    docker("exec", "-d", running, "sh", "-c", "touch /tmp/detached")
    deadline = time.monotonic() + 5
    while docker("exec", running, "ls", "/tmp").stdout.split() != ["detached"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_exec_missing_binary_exits_127(docker: DockerCLI, running: str) -> None:
    result = docker("exec", running, "no-such-binary", check=False)
    assert result.returncode == 127
    assert "executable file not found" in result.stdout + result.stderr


def test_exec_interactive_tty(daemon: Daemon, running: str) -> None:
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["DOCKER_HOST"] = daemon.host
        os.execv(DOCKER, [DOCKER, "exec", "-it", running, "sh"])
    output = b""

    def read_for(seconds: float) -> None:
        nonlocal output
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    output += os.read(fd, 4096)
                except OSError:
                    return

    read_for(1.0)
    os.write(fd, b"echo tty=$(tty); exit 3\r")
    read_for(2.0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 3
    assert b"tty=/dev/pts/" in output


def test_exec_inspect_after_exit(client: object, running: str) -> None:
    api = client.api  # type: ignore[attr-defined]
    exec_id = api.exec_create(running, ["sh", "-c", "exit 9"])["Id"]
    api.exec_start(exec_id)
    info = api.exec_inspect(exec_id)
    assert info["ExitCode"] == 9 and info["Running"] is False
    assert info["ProcessConfig"]["entrypoint"] == "sh"


def test_exec_refused_on_stopped_and_paused(docker: DockerCLI, name: str) -> None:
    docker("run", "-d", "--name", name, "busybox", "sleep", "300")
    try:
        docker("pause", name)
        paused = docker("exec", name, "true", check=False)
        assert paused.returncode != 0 and "is paused" in paused.stderr
        docker("unpause", name)
        docker("kill", name)
        stopped = docker("exec", name, "true", check=False)
        assert stopped.returncode != 0 and "is not running" in stopped.stderr
    finally:
        docker("rm", "-f", name, check=False)


def test_exec_missing_container(docker: DockerCLI) -> None:
    result = docker("exec", "no-such-container-x", "true", check=False)
    assert result.returncode != 0
    assert "No such container: no-such-container-x" in result.stderr


def test_exec_leaves_no_monitor(docker: DockerCLI, running: str) -> None:
    docker("exec", running, "true")
    cid = docker("inspect", "-f", "{{.Id}}", running).stdout.strip()
    time.sleep(0.2)
    monitors = subprocess.run(["pgrep", "-fc", f"conmon.*-c {cid}"], capture_output=True,
                              text=True).stdout.strip()
    assert monitors == "1"


def test_init_reaps_zombies_and_forwards_signals(docker: DockerCLI, name: str) -> None:
    # the shell's child orphans a grandchild that exits at once: only a real init reaps it
    docker("run", "-d", "--init", "--name", name, "busybox", "sh", "-c",
           "trap 'exit 42' TERM; (sh -c 'sleep 0.1 &' ); while true; do sleep 0.1; done")
    try:
        time.sleep(1.0)
        ps = docker("exec", name, "ps", "-o", "pid,stat,comm").stdout
        assert "docker-init" in ps.splitlines()[1]
        assert not [line for line in ps.splitlines() if " Z " in f" {line} "]
        docker("stop", "-t", "5", name)
        assert docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip() == "42"
    finally:
        docker("rm", "-f", name, check=False)


def test_exec_sessions_leave_no_files(daemon: Daemon, docker: DockerCLI, running: str) -> None:
    for _ in range(3):
        docker("exec", running, "true")
    cid = docker("inspect", "-f", "{{.Id}}", running).stdout.strip()
    sessions = daemon.exec_root / "monitor" / cid / "exec"
    deadline = time.monotonic() + 5
    while sessions.exists() and any(sessions.iterdir()):
        assert time.monotonic() < deadline, list(sessions.iterdir())
        time.sleep(0.05)
