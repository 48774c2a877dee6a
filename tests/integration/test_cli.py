"""The skiff CLI against a real skiffd, compared with what the docker CLI prints."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import struct
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import BUSYBOX_TAR, Daemon, DockerCLI

Result = subprocess.CompletedProcess[str]


class SkiffCLI:
    """``python -m skiff.cli.main`` pointed at the test daemon."""

    def __init__(self, host: str) -> None:
        self.host = host

    def env(self) -> dict[str, str]:
        env = {**os.environ, "DOCKER_HOST": self.host}
        env.pop("SKIFF_HOST", None)
        return env

    def __call__(self, *args: str, input: str | bytes | None = None, check: bool = True,
                 timeout: float = 60, text: bool = True) -> Result:
        result = subprocess.run([sys.executable, "-m", "skiff.cli.main", *args], input=input,
                                capture_output=True, text=text, env=self.env(),
                                timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"skiff {' '.join(args)} exited {result.returncode}:\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result


@pytest.fixture(scope="session")
def skiff(daemon: Daemon) -> SkiffCLI:
    return SkiffCLI(daemon.host)


@pytest.fixture
def cleanup(docker: DockerCLI) -> Iterator[list[str]]:
    """Names of containers to remove after the test."""
    names: list[str] = []
    yield names
    if names:
        docker("rm", "-f", *names, check=False)


def same_output(docker: DockerCLI, skiff: SkiffCLI, *args: str, stderr: bool = True,
                retries: int = 3) -> Result:
    """Run both CLIs; outputs must match (retrying when a clock tick changed "N seconds")."""
    for _ in range(retries):
        before = docker(*args, check=False)
        ours = skiff(*args, check=False)
        after = docker(*args, check=False)
        for theirs in (before, after):
            if (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout) and (
                    not stderr or ours.stderr == as_skiff(theirs.stderr)):
                return ours
    assert ours.returncode == before.returncode, (ours, before)
    assert ours.stdout == before.stdout
    if stderr:
        assert ours.stderr == as_skiff(before.stderr)
    return ours


def as_skiff(text: str) -> str:
    """docker's message with the program name replaced ("docker: ...", "'docker run ...'")."""
    return re.sub(r"(^|'|command: |Usage:  )docker(?=[ :'])(?! login)", r"\1skiff", text,
                  flags=re.M)


def test_images_match_docker(docker: DockerCLI, skiff: SkiffCLI) -> None:
    for args in (["images"], ["images", "-q"], ["images", "--no-trunc"], ["images", "--digests"],
                 ["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}"],
                 ["images", "--format", "table {{.ID}}\t{{.Repository}}\t{{.VirtualSize}}"],
                 ["images", "--format", "json"], ["images", "busybox"],
                 ["image", "ls", "--format", "{{json .Repository}} {{.Containers}}"],
                 ["images", "--format", "{{.Nope}}"], ["images", "--format", "{{nope}}"]):
        same_output(docker, skiff, *args)


def test_ps_matches_docker(docker: DockerCLI, skiff: SkiffCLI, name: str,
                           cleanup: list[str]) -> None:
    cleanup += [name, name + "-up"]
    docker("run", "--name", name, "-l", "b=2", "-l", "a=1", "busybox", "sh", "-c",
           "echo a long command line; exit 3", check=False)
    docker("run", "-d", "--name", name + "-up", "busybox", "sleep", "30")
    flt = ["--filter", f"name={name}"]
    for args in (["ps", "-a", *flt, "--format", "{{.Names}} {{.Status}}"],
                 ["ps", "-a", *flt],
                 ["ps", *flt, "-s"],
                 ["ps", "-a", *flt, "--no-trunc"],
                 ["ps", "-aq", *flt],
                 ["ps", "-a", *flt, "--format", "json"],
                 ["ps", "-a", *flt, "--format",
                  'table {{.Names}}\t{{.Labels}}\t{{.Label "a"}}\t{{lower .State}}'],
                 ["ps", "-a", "--filter", "status=exited", *flt, "--format", "{{.ID}}"],
                 ["container", "ls", "-a", "-n", "1", "--format", "{{.Command}}"],
                 ["ps", "--format", "{{.Nope}}"]):
        same_output(docker, skiff, *args)


def test_inspect_matches_docker(docker: DockerCLI, skiff: SkiffCLI, name: str,
                                cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "--name", name, "-e", "X=<&>", "-l", "k=v", "--memory", "64m",
           "busybox", "sh", "-c", "exit 2", check=False)
    for args in (["inspect", name], ["inspect", "busybox"], ["inspect", name, "busybox"],
                 ["container", "inspect", name], ["image", "inspect", "busybox"],
                 ["inspect", "-f", "{{.State.ExitCode}} {{.State.Status}} {{.Name}}", name],
                 ["inspect", "-f", "{{json .Config.Labels}} {{.Config.Labels}} "
                                   "{{index .Config.Labels \"k\"}}", name],
                 ["inspect", "-f", "{{.HostConfig.Memory}} {{.Config.Env}} {{.Args}}", name],
                 ["inspect", "-f", "{{json .State}}", name],
                 ["inspect", "-f", "{{range .Config.Env}}{{println .}}{{end}}", name],
                 ["inspect", "--type", "image", "-f", "{{.Id}} {{.Config.Cmd}}", "busybox"],
                 ["inspect", "-f", "{{.Nope}}", name],
                 ["inspect", "nosuch-object"], ["inspect", "-f", "{{.Id}}", name, "nosuch"],
                 ["container", "inspect", "nosuch"], ["image", "inspect", "nosuch"]):
        same_output(docker, skiff, *args)


@pytest.mark.parametrize("command", [
    ["true"], ["sh", "-c", "echo out; echo err >&2; exit 7"], ["no-such-binary"],
    ["/etc/passwd"],
])
def test_run_exit_codes_and_output_match_docker(docker: DockerCLI, skiff: SkiffCLI,
                                                command: list[str]) -> None:
    theirs = docker("run", "--rm", "busybox", *command, check=False)
    ours = skiff("run", "--rm", "busybox", *command, check=False)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout)
    if theirs.returncode in (126, 127):
        assert ours.stderr.startswith("skiff: Error response from daemon: ")
        assert ours.stderr.endswith("\n\nRun 'skiff run --help' for more information\n")
    else:
        assert ours.stderr == theirs.stderr


def test_run_missing_image(docker: DockerCLI, skiff: SkiffCLI) -> None:
    ours = skiff("run", "--rm", "no-such-image-here", check=False)
    theirs = docker("run", "--rm", "no-such-image-here", check=False)
    assert ours.returncode == theirs.returncode == 125
    assert ours.stderr == as_skiff(theirs.stderr)
    same_output(docker, skiff, "create", "no-such-image-here")


def test_run_options_reach_the_container(skiff: SkiffCLI, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("bound\n")
    tmp_path.chmod(0o755)  # readable by uid 1 inside the container
    out = skiff("run", "--rm", "-e", "A=1", "-w", "/tmp", "-u", "1:2", "--hostname", "hh",
                "-v", f"{tmp_path}:/host:ro", "--mount", "type=tmpfs,target=/scratch",
                "--tmpfs", "/run2", "--entrypoint", "sh", "busybox", "-c",
                "echo $A; pwd; id -u; id -g; hostname; cat /host/f; "
                "grep -c ' /scratch tmpfs' /proc/mounts; grep -c ' /run2 tmpfs' /proc/mounts"
                ).stdout
    assert out == "1\n/tmp\n1\n2\nhh\nbound\n1\n1\n"


def test_run_with_resources_and_security(skiff: SkiffCLI, docker: DockerCLI, name: str,
                                         cleanup: list[str]) -> None:
    cleanup.append(name)
    skiff("create", "--name", name, "--memory", "64m", "--memory-swap", "128m", "--cpus", "0.5",
          "--cpu-shares", "512", "--pids-limit", "50", "--ulimit", "nofile=100:200",
          "--cap-drop", "ALL", "--cap-add", "CHOWN", "--read-only", "--init",
          "--restart", "on-failure:2", "--stop-signal", "SIGINT", "--stop-timeout", "5",
          "--shm-size", "8m", "--network", "none", "-l", "x=y", "busybox", "true")
    template = ("{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} "
                "{{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.CapDrop}} "
                "{{.HostConfig.CapAdd}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.Init}} "
                "{{.HostConfig.RestartPolicy.Name}} {{.Config.StopSignal}} "
                "{{.Config.StopTimeout}} {{.HostConfig.ShmSize}} {{.HostConfig.NetworkMode}} "
                "{{.Config.Labels}}")
    assert docker("inspect", "-f", template, name).stdout == \
        "67108864 134217728 500000000 512 50 [ALL] [CHOWN] true true on-failure SIGINT 5 " \
        "8388608 none map[x:y]\n"


def test_run_pipes_stdin(skiff: SkiffCLI) -> None:
    result = skiff("run", "-i", "--rm", "busybox", "sh", "-c", "cat; echo done >&2",
                   input="line 1\nline 2\n")
    assert (result.stdout, result.stderr) == ("line 1\nline 2\n", "done\n")


def test_logs_match_docker(docker: DockerCLI, skiff: SkiffCLI, name: str,
                           cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "-d", "--name", name, "busybox", "sh", "-c",
           "for i in 1 2 3; do echo out $i; echo err $i >&2; done")
    assert skiff("wait", name).stdout == "0\n"
    for args in (["logs", name], ["logs", "--tail", "2", name], ["logs", "-t", name],
                 ["logs", "-n", "0", name], ["logs", "--since", "1h", name],
                 ["logs", "--until", "1h", name], ["logs", "nosuch"], ["logs"]):
        same_output(docker, skiff, *args)


def test_logs_follow_streams_until_exit(skiff: SkiffCLI, name: str,
                                        cleanup: list[str]) -> None:
    cleanup.append(name)
    skiff("run", "-d", "--name", name, "busybox", "sh", "-c",
          "echo first; sleep 1; echo second")
    assert skiff("logs", "-f", name, timeout=20).stdout == "first\nsecond\n"


def test_lifecycle_commands(docker: DockerCLI, skiff: SkiffCLI, name: str,
                            cleanup: list[str]) -> None:
    cleanup += [name, name + "-2"]

    def state() -> str:
        return docker("inspect", "-f", "{{.State.Status}}", name, check=False).stdout.strip()

    container_id = skiff("run", "-d", "--name", name, "busybox", "sleep", "60").stdout.strip()
    assert len(container_id) == 64 and state() == "running"
    assert skiff("pause", name).stdout == f"{name}\n" and state() == "paused"
    assert skiff("unpause", name).stdout == f"{name}\n" and state() == "running"
    assert skiff("stop", "-t", "1", name).stdout == f"{name}\n" and state() == "exited"
    assert skiff("start", name).stdout == f"{name}\n" and state() == "running"
    assert skiff("restart", "-t", "1", name).stdout == f"{name}\n" and state() == "running"
    assert skiff("kill", "-s", "KILL", name).stdout == f"{name}\n"
    assert skiff("wait", name).stdout == "137\n"
    assert skiff("update", "--memory", "32m", "--restart", "no", name).stdout == f"{name}\n"
    assert docker("inspect", "-f", "{{.HostConfig.Memory}}", name).stdout == "33554432\n"
    assert skiff("rename", name, name + "-2").stdout == ""
    assert skiff("rm", name + "-2").stdout == f"{name}-2\n"
    assert skiff("ps", "-a", "-q", "--filter", f"name={name}").stdout == ""


def test_create_then_start_attached(skiff: SkiffCLI, name: str, cleanup: list[str]) -> None:
    cleanup.append(name)
    assert len(skiff("create", "--name", name, "busybox", "sh", "-c",
                     "echo hi; echo oops >&2; exit 4").stdout.strip()) == 64
    result = skiff("start", "-a", name, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (4, "hi\n", "oops\n")


def test_attach_forwards_stdin_and_exit_code(docker: DockerCLI, skiff: SkiffCLI, name: str,
                                             cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "-d", "-i", "--name", name, "busybox", "sh", "-c",
           "read line; echo got $line; exit 3")
    result = skiff("attach", name, input="hello\n", check=False)
    assert (result.returncode, result.stdout) == (3, "got hello\n")
    same_output(docker, skiff, "attach", name)


def test_rm_after_exit_with_auto_remove(skiff: SkiffCLI, docker: DockerCLI,
                                        name: str) -> None:
    assert skiff("run", "--rm", "--name", name, "busybox", "echo", "x").stdout == "x\n"
    assert docker("ps", "-aq", "--filter", f"name={name}").stdout == ""


def test_errors_match_docker(docker: DockerCLI, skiff: SkiffCLI) -> None:
    for args in (["stop", "nosuch"], ["rm", "nosuch", "nosuch2"], ["rm", "-f", "nosuch"],
                 ["start", "nosuch"], ["kill", "nosuch"], ["wait", "nosuch"],
                 ["rename", "nosuch", "x"], ["top", "nosuch"], ["rmi", "nosuch"],
                 ["tag", "nosuch", "x"], ["ps", "--nope"], ["ps", "x"], ["stop"],
                 ["rename", "a"], ["stop", "-t", "x", "y"],
                 ["ps", "-f", "bad"], ["no-such-command"], ["container", "no-such"]):
        same_output(docker, skiff, *args)


def test_top_matches_docker(docker: DockerCLI, skiff: SkiffCLI, name: str,
                            cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "-d", "--name", name, "busybox", "sleep", "60")
    same_output(docker, skiff, "top", name)
    same_output(docker, skiff, "top", name, "-o", "pid,comm")


def test_events_match_docker(docker: DockerCLI, skiff: SkiffCLI, name: str) -> None:
    since = str(int(time.time()) - 1)
    docker("run", "--rm", "--name", name, "busybox", "true")
    until = str(int(time.time()) + 1)
    time.sleep(1.1)
    window = ["--since", since, "--until", until, "--filter", f"container={name}"]
    for extra in ([], ["--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}"],
                  ["--format", "json"], ["--filter", "event=die", "--format", "{{json .}}"]):
        same_output(docker, skiff, "events", *window, *extra)


def test_history_and_system_commands_match_docker(docker: DockerCLI,
                                                  skiff: SkiffCLI) -> None:
    for args in (["history", "busybox"], ["history", "--no-trunc", "busybox"],
                 ["history", "-H=false", "busybox"], ["image", "history", "-q", "busybox"],
                 ["history", "--format", "json", "busybox"], ["system", "df"],
                 ["system", "df", "--format", "{{json .}}"],
                 ["info", "--format", "{{.ServerVersion}} {{.Driver}} {{json .Plugins}}"],
                 ["version", "--format", "{{.Server.Version}} {{.Server.Os}}"]):
        same_output(docker, skiff, *args)
    version = skiff("version").stdout
    assert version.startswith("Client:\n Version:           ")
    assert "\nServer: " in version and "\n Engine:\n  Version:" in version
    info = skiff("info").stdout
    assert info.startswith("Client:\n") and "\nServer:\n Containers: " in info


def test_image_save_load_tag_import(docker: DockerCLI, skiff: SkiffCLI,
                                    tmp_path: Path) -> None:
    archive = tmp_path / "bb.tar"
    assert skiff("save", "-o", str(archive), "busybox").stdout == ""
    assert archive.stat().st_size > 1_000_000
    assert skiff("load", "-i", str(archive)).stdout == "Loaded image: busybox:latest\n"
    assert skiff("tag", "busybox", "cli-test/bb:1").stdout == ""
    same_output(docker, skiff, "images", "cli-test/bb", "--format", "{{.Repository}}:{{.Tag}}")
    assert skiff("rmi", "cli-test/bb:1").stdout == "Untagged: cli-test/bb:1\n"
    imported = skiff("import", "-c", 'CMD ["echo", "imported"]', "-m", "from cli",
                     str(BUSYBOX_TAR), "cli-test/imp:1").stdout.strip()
    assert imported.startswith("sha256:")
    assert docker("image", "inspect", "-f", "{{.Config.Cmd}} {{.Comment}}",
                  "cli-test/imp:1").stdout == "[echo imported] from cli\n"
    assert skiff("run", "--rm", "cli-test/imp:1").stdout == "imported\n"
    with open(BUSYBOX_TAR) as stdin:
        piped = subprocess.run([sys.executable, "-m", "skiff.cli.main", "import", "-",
                                "cli-test/imp:2"], stdin=stdin, capture_output=True, text=True,
                               env=skiff.env(), timeout=60)
    assert piped.returncode == 0 and piped.stdout.startswith("sha256:")
    removed = skiff("rmi", "cli-test/imp:1", "cli-test/imp:2").stdout.splitlines()
    assert removed[0] == "Untagged: cli-test/imp:1" and removed[1].startswith("Deleted: ")


def _pty_run(argv: list[str], env: dict[str, str], send: bytes = b"",
             rows: int = 30, cols: int = 100,
             resize: tuple[int, int] | None = None) -> tuple[int, bytes]:
    """Run argv on a pseudo-terminal of the given size; resize it and type ``send`` after a
    moment (the kernel sends SIGWINCH on resize)."""
    import fcntl
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    output = b""
    start = time.monotonic()
    sent = not send
    while time.monotonic() - start < 30:
        if resize and time.monotonic() - start > 1.0:
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", *resize, 0, 0))
            resize = None
        if not sent and time.monotonic() - start > 2.0:
            os.write(fd, send)
            sent = True
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            output += data
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output


def test_tty_run_forwards_size_input_and_exit_code(skiff: SkiffCLI) -> None:
    argv = [sys.executable, "-m", "skiff.cli.main"]
    code, out = _pty_run([*argv, "run", "--rm", "-it", "busybox", "sh", "-c",
                          "stty size; exit 5"], skiff.env())
    assert (code, out) == (5, b"30 100\r\n")
    code, out = _pty_run([*argv, "run", "--rm", "-it", "busybox", "sh"], skiff.env(),
                         send=b"echo hel''lo; stty size\nexit 3\n", resize=(40, 120))
    assert code == 3 and b"hello\r\n40 120\r\n" in out


def test_tty_detach_keys_leave_the_container_running(docker: DockerCLI, skiff: SkiffCLI,
                                                     name: str, cleanup: list[str]) -> None:
    cleanup.append(name)
    argv = [sys.executable, "-m", "skiff.cli.main", "run", "-it", "--name", name, "busybox",
            "sh"]
    code, _ = _pty_run(argv, skiff.env(), send=b"\x10\x11")
    assert code == 0
    assert docker("inspect", "-f", "{{.State.Running}}", name).stdout == "true\n"


def test_prune_commands(docker: DockerCLI, skiff: SkiffCLI, name: str) -> None:
    docker("create", "--name", name, "-l", f"cli-test={name}", "busybox", "true")
    out = skiff("container", "prune", "-f", "--filter", f"label=cli-test={name}").stdout
    assert out.startswith("Deleted Containers:\n") and "\n\nTotal reclaimed space: " in out
    assert docker("ps", "-aq", "--filter", f"name={name}").stdout == ""
    assert skiff("image", "prune", "-f").stdout.endswith("Total reclaimed space: 0B\n")
    prompt = skiff("container", "prune", input="n\n")
    assert prompt.stdout == ("WARNING! This will remove all stopped containers.\n"
                             "Are you sure you want to continue? [y/N] ")


def test_explicit_host_flag_wins(daemon: Daemon) -> None:
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent.sock"}
    result = subprocess.run([sys.executable, "-m", "skiff.cli.main", "-H", daemon.host, "ps",
                             "-q", "--filter", "name=none-such"], capture_output=True,
                            text=True, env=env, timeout=30)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    env["DOCKER_HOST"] = "unix:///nonexistent.sock"
    result = subprocess.run([sys.executable, "-m", "skiff.cli.main", "ps"], capture_output=True,
                            text=True, env=env, timeout=30)
    assert result.returncode == 1
    assert result.stderr == ("Cannot connect to the Docker daemon at unix:///nonexistent.sock."
                             " Is the docker daemon running?\n")



def _wait_for(check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_exec_matches_docker(docker: DockerCLI, skiff: SkiffCLI, name: str,
                             cleanup: list[str]) -> None:
    cleanup += [name, name + "-stopped"]
    docker("run", "-d", "--name", name, "busybox", "sleep", "60")
    docker("create", "--name", name + "-stopped", "busybox", "true")
    for args in (["exec", name, "echo", "hi"],
                 ["exec", name, "sh", "-c", "echo out; echo err >&2; exit 7"],
                 ["container", "exec", name, "sh", "-c", "exit 300"],
                 ["exec", name, "no-such-binary"], ["exec", name, "/etc/passwd"],
                 ["exec", "-e", "A=1", "--env", "B=2", "-u", "1:2", "-w", "/tmp", name, "sh",
                  "-c", "echo $A $B; id -u; id -g; pwd"],
                 ["exec", "--privileged", name, "sh", "-c", "echo privileged"],
                 ["exec", "-t", name, "sh", "-c", "echo tty; echo err >&2"],
                 ["exec", "-it", name, "true"],
                 ["exec", name + "-stopped", "true"], ["exec", "nosuch", "true"],
                 ["exec", name], ["exec", "-e", "=x", name, "true"],
                 ["exec", "--env-file", "/nonexistent.env", name, "true"]):
        same_output(docker, skiff, *args)


def test_exec_stdin_env_file_and_detach(docker: DockerCLI, skiff: SkiffCLI, name: str,
                                        cleanup: list[str], tmp_path: Path) -> None:
    cleanup.append(name)
    docker("run", "-d", "--name", name, "busybox", "sleep", "60")
    args = ["exec", "-i", name, "sh", "-c", "cat; echo done >&2; exit 4"]
    ours = skiff(*args, input="line 1\nline 2\n", check=False)
    theirs = docker(*args, input="line 1\nline 2\n", check=False)
    assert (ours.returncode, ours.stdout, ours.stderr) == \
        (theirs.returncode, theirs.stdout, theirs.stderr) == (4, "line 1\nline 2\n", "done\n")
    env_file = tmp_path / "env"
    env_file.write_text("# comment\nFROM_FILE=1\nBOTH=file\n")
    out = skiff("exec", "--env-file", str(env_file), "-e", "BOTH=flag", name, "sh", "-c",
                "echo $FROM_FILE $BOTH").stdout
    assert out == "1 flag\n"
    result = skiff("exec", "-d", name, "sh", "-c", "sleep 0.3; touch /tmp/detached")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    _wait_for(lambda: docker("exec", name, "test", "-e", "/tmp/detached",
                             check=False).returncode == 0)


def test_exec_tty_forwards_size_input_and_exit_code(docker: DockerCLI, skiff: SkiffCLI,
                                                    name: str, cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "-d", "--name", name, "busybox", "sleep", "60")
    argv = [sys.executable, "-m", "skiff.cli.main", "exec", "-it", name]
    # skiffd sizes an exec's TTY only after the process started (ConsoleSize is not in the
    # process spec), so a command asking at once may see 0x0: the docker CLI fares the same
    code, out = _pty_run([*argv, "sh", "-c", "sleep 1; stty size; exit 5"], skiff.env())
    assert (code, out) == (5, b"30 100\r\n")
    code, out = _pty_run([*argv, "sh"], skiff.env(), send=b"echo hel''lo; stty size\nexit 3\n",
                         resize=(40, 120))
    assert code == 3 and b"hello\r\n40 120\r\n" in out
    code, _ = _pty_run([*argv, "sh"], skiff.env(), send=b"\x10\x11")
    assert code == 0


_COPIED = re.compile(r"^Successfully copied \d+(\.\d+)?[kMGT]?B to ", re.M)


def _normalized(result: Result, *replace: tuple[str, str]) -> tuple[int, str, str]:
    """Exit code and output with paths made comparable; docker's logrus noise and the size
    in "Successfully copied" (docker counts what its tar reader happened to read) left out."""
    err = "".join(line for line in result.stderr.splitlines(keepends=True)
                  if not line.startswith("time="))
    out = result.stdout
    for old, new in replace:
        err, out = err.replace(old, new), out.replace(old, new)
    err = as_skiff(err).replace("\tdocker cp ", "\tskiff cp ")
    return result.returncode, out, _COPIED.sub("Successfully copied SIZE to ", err)


def _tree(root: Path) -> list[str]:
    lines = []
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        if path.is_symlink():
            what = "-> " + os.readlink(path)
        elif path.is_dir():
            what = "dir"
        else:
            what = repr(path.read_bytes())
        lines.append(f"{path.relative_to(root)} {oct(st.st_mode & 0o7777)} {what}")
    return lines


def test_cp_from_container_matches_docker(docker: DockerCLI, skiff: SkiffCLI, name: str,
                                          cleanup: list[str], tmp_path: Path) -> None:
    cleanup.append(name)
    docker("run", "-d", "--name", name, "busybox", "sleep", "60")
    docker("exec", name, "sh", "-c", "mkdir -p /d/sub; echo a > /d/a; echo b > /d/sub/b; "
           "chmod 600 /d/a; chmod 4755 /d/sub/b; printf hello > /f; ln -s /f /lnk; "
           "ln -s sub /d/rel")
    cases = [["-q=false", f"{name}:/f", "{root}/x"],
             ["-q=false", f"{name}:/d", "{root}/dd"], ["-q=false", f"{name}:/d", "{root}/dd"],
             [f"{name}:/d/.", "{root}/existing"], [f"{name}:/f", "{root}/existing/"],
             [f"{name}:/f", "{root}/existing/sub/."],
             ["-q=false", f"{name}:/f", "{root}/nodir/"], [f"{name}:/d", "{root}/file"],
             [f"{name}:/f", "{root}/file/"], [f"{name}:/lnk", "{root}/l1"],
             ["-L", f"{name}:/lnk", "{root}/l2"], [f"{name}:/nope", "{root}/z"],
             ["nosuch:/x", "{root}/y"], [f"{name}:/f", "/nonexistent/x"],
             [f"{name}:/f", "/dev/null"], [f"{name}:/f", f"{name}:/g"], ["a", "b"],
             [f"{name}:/f"], ["", "x"]]
    results: dict[str, list[tuple[int, str, str]]] = {}
    trees: dict[str, list[str]] = {}
    for cli, run in (("docker", docker), ("skiff", skiff)):
        root = tmp_path / cli
        (root / "existing" / "sub").mkdir(parents=True)
        (root / "file").write_text("keep")
        results[cli] = [_normalized(run("cp", *[a.format(root=root) for a in case],
                                        check=False), (str(root), "ROOT"))
                        for case in cases]
        trees[cli] = _tree(root)
    for case, ours, theirs in zip(cases, results["skiff"], results["docker"], strict=True):
        assert ours == theirs, case
    assert trees["skiff"] == trees["docker"]
    assert "x 0o644 b'hello'" in trees["skiff"] and "dd/d/sub/b 0o4755 b'b\\n'" in trees["skiff"]


def test_cp_to_stdout_writes_the_tar(docker: DockerCLI, skiff: SkiffCLI, name: str,
                                     cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "-d", "--name", name, "busybox", "sh", "-c",
           "mkdir /d; echo one > /d/one; sleep 60")
    _wait_for(lambda: docker("exec", name, "test", "-e", "/d/one", check=False).returncode == 0)
    ours = skiff("cp", f"{name}:/d", "-", text=False)
    theirs = docker("cp", f"{name}:/d", "-", text=False)
    assert ours.stdout == theirs.stdout and ours.stderr == b""
    with tarfile.open(fileobj=io.BytesIO(ours.stdout)) as tar:
        assert tar.getnames() == ["d", "d/one"]


def test_cp_into_container_matches_docker(docker: DockerCLI, skiff: SkiffCLI, name: str,
                                          cleanup: list[str], tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "ld" / "s").mkdir(parents=True)
    (src / "lf").write_text("local\n")
    os.chown(src / "lf", 5, 6)
    (src / "ld" / "one").write_text("1\n")
    (src / "ld" / "s" / "two").write_text("2\n")
    (src / "ld" / "s" / "two").chmod(0o600)
    os.symlink("one", src / "ld" / "lnk")
    os.link(src / "ld" / "one", src / "ld" / "hard")
    os.symlink("ld", src / "lnkd")
    piped = io.BytesIO()
    with tarfile.open(fileobj=piped, mode="w") as tar:
        info = tarfile.TarInfo("piped")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"p!\n"))
    cases = [["-q=false", "{src}/lf", "{c}:/t/"], ["{src}/lf", "{c}:/t/new"],
             ["-q=false", "{src}/ld", "{c}:/t/ld2"], ["{src}/ld", "{c}:/t/ld2"],
             ["{src}/ld/.", "{c}:/t/ed"], ["-a", "{src}/lf", "{c}:/t/ed/owned"],
             ["{src}/lf", "{c}:/t/ed/default"], ["{src}/ld", "{c}:/t/ef"],
             ["{src}/lf", "{c}:/t/nodir/"], ["-q=false", "{src}/lf", "{c}:/nonexistent/x"],
             ["{src}/nolocal", "{c}:/t"], ["{src}/lf", "{c}:/t/ldir"],
             ["{src}/lf", "{c}:/dev/null"], ["{src}/lnkd", "{c}:/t/a"],
             ["-L", "{src}/lnkd", "{c}:/t/b"], ["{src}/lnkd/", "{c}:/t/c"],
             ["{src}/lf", "nosuch:/t"]]
    results: dict[str, list[tuple[int, str, str]]] = {}
    trees: dict[str, str] = {}
    for cli, run in (("docker", docker), ("skiff", skiff)):
        container = f"{name}-{cli}"
        cleanup.append(container)
        docker("run", "-d", "--name", container, "busybox", "sleep", "60")
        docker("exec", container, "sh", "-c", "mkdir -p /t/ed; echo x > /t/ef; ln -s ed /t/ldir")
        results[cli] = [_normalized(run("cp", *[a.format(src=src, c=container) for a in case],
                                        check=False), (container, "CTR"))
                        for case in cases]
        piped_in = run("cp", "-q=false", "-", f"{container}:/t/ed", input=piped.getvalue(),
                       check=False, text=False)
        refused = run("cp", "-", f"{container}:/t/ef", input=piped.getvalue(), check=False,
                      text=False)
        results[cli] += [(piped_in.returncode, "",
                          as_skiff(piped_in.stderr.decode()).replace(container, "CTR")),
                         (refused.returncode, "",
                          as_skiff(refused.stderr.decode()).replace(container, "CTR"))]
        trees[cli] = docker("exec", container, "find", "/t", "-exec", "stat", "-c",
                            "%n %F %a %s %u:%g %h", "{}", "+").stdout
    for case, ours, theirs in zip([*cases, ["-"], ["-"]], results["skiff"], results["docker"],
                                  strict=True):
        assert ours == theirs, case
    assert sorted(trees["skiff"].splitlines()) == sorted(trees["docker"].splitlines())
    assert "/t/ed/owned regular file 644 6 5:6 1" in trees["skiff"]
    assert "/t/ed/piped regular file 644 3 0:0 1" in trees["skiff"]
    # docker's size is that of the tar it uploads, which skiff builds byte for byte alike
    assert results["skiff"][0][2] == "Successfully copied SIZE to CTR:/t/\n"


def test_export_and_diff_match_docker(docker: DockerCLI, skiff: SkiffCLI, name: str,
                                      cleanup: list[str], tmp_path: Path) -> None:
    cleanup.append(name)
    docker("run", "--name", name, "busybox", "sh", "-c",
           "echo new > /added; rm /bin/true; echo changed >> /etc/passwd")
    same_output(docker, skiff, "diff", name)
    assert {"A /added", "D /bin/true", "C /etc/passwd"} <= \
        set(skiff("container", "diff", name).stdout.splitlines())
    def members(data: bytes) -> list[tuple[str, int, int]]:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            return [(m.name, m.size, m.mode) for m in tar]

    ours = members(skiff("export", name, text=False).stdout)
    assert ours == members(docker("export", name, text=False).stdout)
    assert ("added", 4, 0o644) in ours
    target = tmp_path / "out.tar"
    assert skiff("container", "export", "-o", str(target), name).stdout == ""
    assert members(target.read_bytes()) == ours and target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tar"]
    for args in (["export", "-o", "/nonexistent/x", name], ["export", "-o", str(tmp_path), name],
                 ["export", "-o", "/dev/null", name], ["export", "nosuch"], ["export"],
                 ["export", "a", "b"], ["diff", "nosuch"], ["diff"], ["diff", "a", "b"]):
        same_output(docker, skiff, *args)
    assert not (tmp_path / "x").exists()


def test_ps_health_filter_and_status(docker: DockerCLI, skiff: SkiffCLI, name: str,
                                     cleanup: list[str]) -> None:
    cleanup += [name, name + "-sick"]
    docker("run", "-d", "--name", name, "--health-cmd", "true", "--health-interval", "1s",
           "busybox", "sleep", "60")
    docker("run", "-d", "--name", name + "-sick", "--health-cmd", "false",
           "--health-interval", "1s", "--health-retries", "1", "busybox", "sleep", "60")

    def settled() -> bool:
        states = docker("inspect", "-f", "{{.State.Health.Status}}", name, name + "-sick")
        return states.stdout.split() == ["healthy", "unhealthy"]
    _wait_for(settled)
    for health in ("healthy", "unhealthy", "starting", "none"):
        same_output(docker, skiff, "ps", "--filter", f"name={name}", "-f", f"health={health}",
                    "--format", "{{.Names}} {{.Status}}")
    status = skiff("ps", "-f", f"name={name}", "-f", "health=healthy", "--format",
                   "{{.Names}} {{.Status}}").stdout
    assert re.fullmatch(rf"{name} Up \d+ seconds? \(healthy\)\n", status)
    same_output(docker, skiff, "ps", "-f", "health=bogus")


def test_container_prune_filters(docker: DockerCLI, skiff: SkiffCLI, name: str,
                                 cleanup: list[str]) -> None:
    cleanup += [name + "-keep", name + "-old"]
    docker("create", "--name", name + "-keep", "-l", f"cli-prune={name}", "-l", "keep=1",
           "busybox", "true")
    docker("create", "--name", name + "-old", "-l", f"cli-prune={name}", "busybox", "true")
    out = skiff("container", "prune", "-f", "--filter", f"label=cli-prune={name}",
                "--filter", "label!=keep", "--filter",
                f"until={int(time.time()) + 60}").stdout
    assert out.startswith("Deleted Containers:\n")
    assert docker("ps", "-a", "--filter", f"label=cli-prune={name}", "--format",
                  "{{.Names}}").stdout == f"{name}-keep\n"
