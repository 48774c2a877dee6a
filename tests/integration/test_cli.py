"""The skiff CLI against a real skiffd, compared with what the docker CLI prints."""

from __future__ import annotations

import os
import pty
import re
import select
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
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

    def __call__(self, *args: str, input: str | None = None, check: bool = True,
                 timeout: float = 60) -> Result:
        result = subprocess.run([sys.executable, "-m", "skiff.cli.main", *args], input=input,
                                capture_output=True, text=True, env=self.env(),
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

