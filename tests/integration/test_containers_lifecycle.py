"""Container lifecycle: stop, kill, restart, pause, wait, rm, rename, top, update, attach, -it."""

from __future__ import annotations

import os
import re
import secrets
import select
import subprocess
import threading
import time
from typing import Any

import docker as docker_py  # type: ignore[import-untyped]
import pytest

from tests.conftest import DOCKER, Daemon, DockerCLI, inspect, wait_until

pytestmark = pytest.mark.timeout(120)

READY_LOOP = "echo ready; while :; do sleep 0.1; done"
COUNTER = "i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done"




def stamp(value: str) -> tuple[str, int]:
    """RFC 3339 timestamp → sortable (seconds part, nanoseconds)."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z", value)
    assert match, value
    return match.group(1), int((match.group(2) or "").ljust(9, "0"))


def start_detached(docker: DockerCLI, cleanup: list[str], script: str, *opts: str) -> str:
    """Run ``sh -c script`` detached and wait until it printed ``ready`` (if it does)."""
    name = f"t-{secrets.token_hex(4)}"
    cleanup.append(name)
    docker("run", "-d", "--name", name, *opts, "busybox", "sh", "-c", script)
    if "echo ready" in script:
        wait_until(lambda: "ready" in docker("logs", name).stdout, what="ready")
    return name


def log_lines(docker: DockerCLI, name: str) -> list[str]:
    return docker("logs", name).stdout.splitlines()


# --- stop / kill / restart ------------------------------------------------------------------


def test_stop_sends_sigterm(docker: DockerCLI, runtime: str, cleanup: list[str]) -> None:
    name = start_detached(docker, cleanup, f"trap 'echo got TERM; exit 0' TERM; {READY_LOOP}",
                          "--runtime", runtime)
    started = time.monotonic()
    assert docker("stop", "-t", "10", name).stdout.strip() == name
    assert time.monotonic() - started < 5
    state = inspect(docker, name)["State"]
    assert state["Status"] == "exited"
    assert state["ExitCode"] == 0
    assert state["Running"] is False
    assert state["Pid"] == 0
    assert "got TERM" in log_lines(docker, name)


def test_stop_kills_after_timeout(docker: DockerCLI, runtime: str, cleanup: list[str]) -> None:
    name = start_detached(docker, cleanup, f"trap '' TERM; {READY_LOOP}", "--runtime", runtime)
    started = time.monotonic()
    docker("stop", "-t", "1", name)
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 8, elapsed
    state = inspect(docker, name)["State"]
    assert state["Status"] == "exited"
    assert state["ExitCode"] == 137
    assert state["OOMKilled"] is False


def test_stop_with_signal_option(docker: DockerCLI, cleanup: list[str]) -> None:
    name = start_detached(docker, cleanup, f"trap 'exit 10' USR1; {READY_LOOP}")
    docker("stop", "--signal", "USR1", "-t", "10", name)
    assert inspect(docker, name)["State"]["ExitCode"] == 10


def test_stop_uses_configured_stop_signal(docker: DockerCLI, cleanup: list[str]) -> None:
    name = start_detached(docker, cleanup, f"trap 'exit 11' USR2; {READY_LOOP}",
                          "--stop-signal", "SIGUSR2")
    started = time.monotonic()
    docker("stop", name)
    assert time.monotonic() - started < 5
    assert inspect(docker, name)["State"]["ExitCode"] == 11


def test_stop_of_stopped_container_is_a_no_op(docker: DockerCLI, name: str,
                                              cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "--name", name, "busybox", "sh", "-c", "exit 2", check=False)
    assert docker("stop", name).stdout.strip() == name
    assert inspect(docker, name)["State"]["ExitCode"] == 2


def test_restart(docker: DockerCLI, runtime: str, cleanup: list[str]) -> None:
    name = start_detached(docker, cleanup, f"trap 'exit 0' TERM; {READY_LOOP}",
                          "--runtime", runtime)
    before = inspect(docker, name)["State"]
    docker("restart", "-t", "5", name)
    after = inspect(docker, name)["State"]
    assert after["Running"] is True
    assert after["Status"] == "running"
    assert after["Pid"] not in (0, before["Pid"])
    assert stamp(after["StartedAt"]) > stamp(before["StartedAt"])
    wait_until(lambda: log_lines(docker, name).count("ready") == 2, what="second run")


def test_restart_stopped_container(docker: DockerCLI, name: str, cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "--name", name, "busybox", "echo", "run")
    docker("restart", name)
    wait_until(lambda: inspect(docker, name)["State"]["Status"] == "exited")
    assert log_lines(docker, name) == ["run", "run"]


def test_kill_with_signal(docker: DockerCLI, runtime: str, cleanup: list[str]) -> None:
    name = start_detached(docker, cleanup, f"trap 'echo got USR1' USR1; {READY_LOOP}",
                          "--runtime", runtime)
    assert docker("kill", "-s", "USR1", name).stdout.strip() == name
    wait_until(lambda: "got USR1" in log_lines(docker, name), what="trap output")
    assert inspect(docker, name)["State"]["Running"] is True
    docker("kill", name)
    state = wait_until(lambda: (s := inspect(docker, name)["State"])["Status"] == "exited" and s)
    assert state["ExitCode"] == 137


def test_kill_stopped_container_conflicts(docker: DockerCLI, client: Any, name: str,
                                          cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "--name", name, "busybox", "true")
    result = docker("kill", name, check=False)
    assert result.returncode == 1
    assert "is not running" in result.stderr.lower()
    with pytest.raises(docker_py.errors.APIError) as err:
        client.api.kill(name)
    assert err.value.status_code == 409


def test_kill_unknown_signal(docker: DockerCLI, cleanup: list[str]) -> None:
    name = start_detached(docker, cleanup, READY_LOOP)
    result = docker("kill", "-s", "NOPE", name, check=False)
    assert result.returncode != 0
    assert "invalid signal" in result.stderr.lower()
    assert inspect(docker, name)["State"]["Running"] is True


# --- pause ---------------------------------------------------------------------------------


def test_pause_freezes_processes(docker: DockerCLI, runtime: str, cleanup: list[str]) -> None:
    name = start_detached(docker, cleanup, COUNTER, "--runtime", runtime)
    wait_until(lambda: len(log_lines(docker, name)) >= 3, what="counter output")
    docker("pause", name)
    state = inspect(docker, name)["State"]
    assert state["Status"] == "paused"
    assert state["Paused"] is True
    assert state["Running"] is True
    status = docker("ps", "--filter", f"name={name}", "--format", "{{.Status}}").stdout
    assert "(Paused)" in status
    assert docker("ps", "-q", "--filter", "status=paused", "--filter", f"name={name}"
                  ).stdout.strip()
    time.sleep(0.2)
    frozen = len(log_lines(docker, name))
    time.sleep(0.6)
    assert len(log_lines(docker, name)) == frozen
    # Docker refuses to pause twice.
    again = docker("pause", name, check=False)
    assert again.returncode != 0
    assert "already paused" in again.stderr
    docker("unpause", name)
    state = inspect(docker, name)["State"]
    assert (state["Status"], state["Paused"], state["Running"]) == ("running", False, True)
    wait_until(lambda: len(log_lines(docker, name)) > frozen + 3, what="counter to resume")


def test_unpause_of_running_container_conflicts(docker: DockerCLI, cleanup: list[str]) -> None:
    name = start_detached(docker, cleanup, READY_LOOP)
    result = docker("unpause", name, check=False)
    assert result.returncode == 1
    assert "is not paused" in result.stderr


def test_pause_stopped_container_conflicts(docker: DockerCLI, client: Any, name: str,
                                           cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("create", "--name", name, "busybox", "true")
    result = docker("pause", name, check=False)
    assert result.returncode == 1
    assert "is not running" in result.stderr.lower()
    with pytest.raises(docker_py.errors.APIError) as err:
        client.api.pause(name)
    assert err.value.status_code == 409
    assert inspect(docker, name)["State"]["Status"] == "created"


def test_rm_force_paused_container(docker: DockerCLI, cleanup: list[str]) -> None:
    name = start_detached(docker, cleanup, READY_LOOP)
    docker("pause", name)
    plain = docker("rm", name, check=False)
    assert plain.returncode == 1
    assert "paused" in plain.stderr
    docker("rm", "-f", name)
    assert docker("inspect", name, check=False).returncode != 0


# --- wait / rm / rename --------------------------------------------------------------------


def test_wait_prints_exit_code(docker: DockerCLI, name: str, cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "-d", "--name", name, "busybox", "sh", "-c", "sleep 0.3; exit 3")
    assert docker("wait", name).stdout == "3\n"
    # Waiting on an already exited container returns at once.
    assert docker("wait", name).stdout == "3\n"


def test_wait_conditions(client: Any, docker: DockerCLI, name: str,
                         cleanup: list[str]) -> None:
    cleanup.append(name)
    container = client.containers.create("busybox", ["sh", "-c", READY_LOOP], name=name)
    # A created container is "not running": the default condition returns immediately.
    assert client.api.wait(name, timeout=10)["StatusCode"] == 0
    result: dict[str, Any] = {}

    def waiter() -> None:
        result.update(client.api.wait(name, timeout=30, condition="next-exit"))

    thread = threading.Thread(target=waiter)
    thread.start()
    try:
        time.sleep(0.2)
        assert thread.is_alive(), result
        container.start()
        wait_until(lambda: "ready" in docker("logs", name).stdout)
        time.sleep(0.2)
        assert thread.is_alive(), "next-exit returned before the container exited"
        container.kill()
    finally:
        thread.join(30)
    assert result["StatusCode"] == 137


def test_wait_condition_removed(client: Any, name: str) -> None:
    client.containers.run("busybox", ["sh", "-c", "sleep 0.3; exit 6"], name=name, detach=True,
                          auto_remove=True)
    assert client.api.wait(name, timeout=30, condition="removed")["StatusCode"] == 6
    with pytest.raises(docker_py.errors.NotFound):
        client.containers.get(name)


def test_rm_running_container_requires_force(docker: DockerCLI, client: Any,
                                             cleanup: list[str]) -> None:
    name = start_detached(docker, cleanup, READY_LOOP)
    result = docker("rm", name, check=False)
    assert result.returncode == 1
    assert "container is running: stop the container before removing or force remove" in \
        result.stderr
    assert f'cannot remove container "/{name}"' in result.stderr or \
        f'cannot remove container "{name}"' in result.stderr
    with pytest.raises(docker_py.errors.APIError) as err:
        client.api.remove_container(name)
    assert err.value.status_code == 409
    assert inspect(docker, name)["State"]["Running"] is True
    assert docker("rm", "-f", name).stdout.strip() == name
    assert name not in docker("ps", "-a", "--format", "{{.Names}}").stdout.split()
    missing = docker("rm", name, check=False)
    assert missing.returncode == 1
    assert f"No such container: {name}" in missing.stderr


def test_rename(docker: DockerCLI, name: str, cleanup: list[str]) -> None:
    other = name + "-other"
    renamed = name + "-new"
    cleanup.extend([name, other, renamed])
    cid = docker("create", "--name", name, "busybox").stdout.strip()
    docker("create", "--name", other, "busybox")
    docker("rename", name, renamed)
    info = inspect(docker, renamed)
    assert info["Id"] == cid
    assert info["Name"] == "/" + renamed
    assert docker("inspect", name, check=False).returncode != 0
    dup = docker("rename", renamed, other, check=False)
    assert dup.returncode == 1
    assert f'The container name "/{other}" is already in use' in dup.stderr
    assert inspect(docker, renamed)["Id"] == cid
    # The old name is free again.
    docker("create", "--name", name, "busybox")


def test_create_with_duplicate_name_conflicts(docker: DockerCLI, name: str,
                                              cleanup: list[str]) -> None:
    cleanup.append(name)
    cid = docker("create", "--name", name, "busybox").stdout.strip()
    dup = docker("create", "--name", name, "busybox", check=False)
    assert dup.returncode != 0
    assert (f'Conflict. The container name "/{name}" is already in use by container "{cid}". '
            "You have to remove (or rename) that container to be able to reuse that name."
            ) in dup.stderr


# --- top / update --------------------------------------------------------------------------


def test_top(docker: DockerCLI, cleanup: list[str]) -> None:
    name = start_detached(docker, cleanup, "sleep 1000 & echo ready; wait")
    out = docker("top", name).stdout.splitlines()
    assert out[0].split() == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    commands = [line for line in out[1:] if line.endswith(" sleep 1000")]
    assert len(commands) == 1
    assert commands[0].split()[0] == "root"
    assert any("sh -c sleep 1000" in line for line in out[1:])
    custom = docker("top", name, "-o", "pid,comm").stdout.splitlines()
    assert custom[0].split() == ["PID", "COMMAND"]
    assert any(line.split()[-1] == "sleep" for line in custom[1:])


def test_top_of_stopped_container_conflicts(docker: DockerCLI, name: str,
                                            cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("create", "--name", name, "busybox")
    result = docker("top", name, check=False)
    assert result.returncode == 1
    assert "is not running" in result.stderr.lower()


def test_update_memory_of_running_container(docker: DockerCLI, runtime: str,
                                            cleanup: list[str]) -> None:
    script = ("echo ready; while :; do cat /sys/fs/cgroup/memory/memory.limit_in_bytes; "
              "sleep 0.1; done")
    name = start_detached(docker, cleanup, script, "--runtime", runtime, "-m", "32m",
                          "--memory-swap", "-1")
    docker("update", "--memory", "64m", "--cpu-shares", "256", name)
    host = inspect(docker, name)["HostConfig"]
    assert host["Memory"] == 64 * 1024 * 1024
    assert host["CpuShares"] == 256
    wait_until(lambda: log_lines(docker, name)[-1] == str(64 * 1024 * 1024),
               what="the cgroup limit to change")
    assert str(32 * 1024 * 1024) in log_lines(docker, name)


# --- attach / stdin / tty ------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_attach_stream_gets_new_output(collect_streams: None, client: Any,
                                       docker: DockerCLI, cleanup: list[str]) -> None:
    name = start_detached(docker, cleanup, COUNTER)
    wait_until(lambda: len(log_lines(docker, name)) >= 2)
    seen_before = len(log_lines(docker, name))
    stream = client.api.attach(name, stream=True, logs=False)
    chunks: list[bytes] = []

    def reader() -> None:
        for chunk in stream:
            chunks.append(chunk)
            if len(b"".join(chunks).split()) >= 3:
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    thread.join(10)
    stream.close()
    numbers = [int(n) for n in b"".join(chunks).split()]
    assert len(numbers) >= 3, chunks
    assert numbers[0] > seen_before - 1
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    # Detaching does not stop the container.
    assert inspect(docker, name)["State"]["Running"] is True


def test_run_interactive_with_piped_stdin(docker: DockerCLI) -> None:
    assert docker("run", "--rm", "-i", "busybox", "cat", input="hello\n").stdout == "hello\n"
    out = docker("run", "--rm", "-i", "busybox", "sh", "-c", "read a; read b; echo $b $a; exit 4",
                 input="one\ntwo\n", check=False)
    assert (out.returncode, out.stdout) == (4, "two one\n")


def test_run_without_i_does_not_get_stdin(docker: DockerCLI) -> None:
    assert docker("run", "--rm", "busybox", "cat", input="hello\n").stdout == ""


def test_run_interactive_tty(daemon: Daemon, docker: DockerCLI, name: str,
                             cleanup: list[str]) -> None:
    cleanup.append(name)
    master, slave = os.openpty()
    env = {**os.environ, "DOCKER_HOST": daemon.host}
    env.pop("DOCKER_CONTEXT", None)
    proc = subprocess.Popen([DOCKER, "run", "-it", "--name", name, "busybox", "sh"],
                            stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True)
    os.close(slave)
    output = b""

    def read_until(pattern: bytes, timeout: float = 15) -> None:
        nonlocal output
        deadline = time.monotonic() + timeout
        while pattern not in output:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{pattern!r} not seen in {output!r}")
            ready, _, _ = select.select([master], [], [], min(remaining, 0.2))
            if ready:
                try:
                    data = os.read(master, 4096)
                except OSError:
                    data = b""
                if not data:
                    raise AssertionError(f"EOF before {pattern!r}; got {output!r}")
                output += data

    try:
        read_until(b"# ")
        os.write(master, b"echo h''i; tty; exit 3\r")
        read_until(b"\nhi\r\n")
        assert proc.wait(15) == 3
        while True:  # drain
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                break
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            output += data
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    # The container has a real terminal, with \r\n line endings.
    assert re.search(rb"/dev/pts/\d+\r\n", output), output
    info = inspect(docker, name)
    assert info["Config"]["Tty"] is True
    assert info["Config"]["OpenStdin"] is True
    assert info["State"]["ExitCode"] == 3
