"""RUN --mount in builds against skiffd: cache directories kept between builds, binds from the
context and from stages (writes discarded), tmpfs, and secrets that never reach a layer."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import pytest

from tests.conftest import DockerCLI
from tests.integration.build.conftest import make_context
from tests.integration.test_cli import SkiffCLI


def test_a_cache_mount_is_kept_between_builds(docker: DockerCLI, tmp_path: Path,
                                              built: list[str]) -> None:
    dockerfile = ("FROM busybox\nARG ROUND\n"
                  "RUN --mount=type=cache,target=/var/cache/app,id=skiff-test-counter "
                  "echo $ROUND >> /var/cache/app/rounds && wc -l < /var/cache/app/rounds "
                  "> /seen\nCMD [\"cat\", \"/seen\"]\n")
    context = make_context(tmp_path, dockerfile)
    built.append("built-cache-mount:1")
    counts = []
    for round_ in ("1", "2"):
        docker("build", "-q", "--build-arg", f"ROUND={round_}", "-t", "built-cache-mount:1",
               str(context), timeout=120)
        counts.append(int(docker("run", "--rm", "built-cache-mount:1").stdout))
    assert counts[1] == counts[0] + 1  # the second build saw the first one's line
    left = docker("run", "--rm", "built-cache-mount:1", "sh", "-c",
                  "test -e /var/cache/app && echo present || echo absent").stdout
    assert left == "absent\n"  # the mount point is not part of the layer


def test_bind_mounts_from_the_context_and_a_stage_leave_nothing_behind(
        docker: DockerCLI, tmp_path: Path, built: list[str]) -> None:
    dockerfile = ("FROM busybox AS tools\nRUN mkdir /tools && echo v2 > /tools/version\n"
                  "FROM busybox\n"
                  "RUN --mount=type=bind,source=conf,target=/mnt/conf "
                  "cat /mnt/conf/app.conf > /from-context && "
                  "(touch /mnt/conf/new 2>/dev/null && echo writable || echo read-only) "
                  "> /bind-ro\n"
                  "RUN --mount=type=bind,source=conf,target=/mnt/conf,rw "
                  "echo scribble > /mnt/conf/app.conf && cat /mnt/conf/app.conf > /bind-rw\n"
                  "RUN --mount=type=bind,from=tools,source=/tools,target=/t "
                  "cat /t/version > /from-stage\n"
                  "RUN --mount=type=tmpfs,target=/scratch echo x > /scratch/f && "
                  "grep -q ' /scratch tmpfs' /proc/mounts && echo tmpfs > /tmpfs\n"
                  "CMD [\"sh\", \"-c\", \"cat /from-context /bind-ro /bind-rw /from-stage "
                  "/tmpfs; ls /mnt /scratch 2>&1\"]\n")
    context = make_context(tmp_path, dockerfile, {"conf/app.conf": "from the context\n"})
    built.append("built-binds:1")
    docker("build", "-t", "built-binds:1", str(context), timeout=180)
    out = docker("run", "--rm", "built-binds:1", check=False).stdout.splitlines()
    assert out[:5] == ["from the context", "read-only", "scribble", "v2", "tmpfs"]
    assert all("No such file" in line for line in out[5:]) and len(out) == 7
    assert (context / "conf/app.conf").read_text() == "from the context\n"


def test_a_changed_bind_mounted_file_reruns_the_step(docker: DockerCLI, tmp_path: Path,
                                                      built: list[str]) -> None:
    dockerfile = ("FROM busybox\nRUN --mount=type=bind,source=in.txt,target=/in.txt "
                  "cp /in.txt /out.txt\nCMD [\"cat\", \"/out.txt\"]\n")
    context = make_context(tmp_path, dockerfile, {"in.txt": "one\n"})
    built.append("built-bind-key:1")
    docker("build", "-q", "-t", "built-bind-key:1", str(context), timeout=120)
    again = docker("build", "-t", "built-bind-key:1", str(context), timeout=120).stdout
    assert "Using cache" in again
    (context / "in.txt").write_text("two\n")
    changed = docker("build", "-t", "built-bind-key:1", str(context), timeout=120).stdout
    assert "Using cache" not in changed
    assert docker("run", "--rm", "built-bind-key:1").stdout == "two\n"


def test_secrets_reach_the_step_and_no_layer_or_history(
        skiff: SkiffCLI, docker: DockerCLI, tmp_path: Path, built: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "token"
    secret.write_text("s3cr3t-file")
    monkeypatch.setenv("SKIFF_TEST_TOKEN", "s3cr3t-env")
    dockerfile = ("FROM busybox\n"  # the values never appear in the Dockerfile either
                  "RUN --mount=type=secret,id=token "
                  "stat -c %a /run/secrets/token > /seen && md5sum < /run/secrets/token "
                  ">> /seen\n"
                  "RUN --mount=type=secret,id=api,env=API_TOKEN "
                  "printf %s \"$API_TOKEN\" | md5sum >> /seen\n"
                  "CMD [\"sh\", \"-c\", \"cat /seen; ls /run/secrets 2>&1; "
                  "echo ${API_TOKEN:-unset}\"]\n")
    context = make_context(tmp_path / "ctx", dockerfile)
    built.append("built-secret:1")
    skiff("build", "-t", "built-secret:1", "--secret", f"id=token,src={secret}",
          "--secret", "id=api,env=SKIFF_TEST_TOKEN", str(context), timeout=120)
    out = docker("run", "--rm", "built-secret:1").stdout.splitlines()
    sums = [hashlib.md5(value).hexdigest() + "  -" for value in (b"s3cr3t-file", b"s3cr3t-env")]
    assert out[:3] == ["400", *sums]
    assert "No such file" in out[3] and out[4] == "unset"
    saved = docker("save", "built-secret:1", timeout=60, text=False).stdout
    history = docker("history", "--no-trunc", "built-secret:1").stdout
    inspect = docker("image", "inspect", "built-secret:1").stdout
    for value in ("s3cr3t-file", "s3cr3t-env"):
        assert value.encode() not in saved and value not in history + inspect


def test_ssh_forwards_the_agent_socket_to_the_step_only(
        skiff: SkiffCLI, docker: DockerCLI, tmp_path: Path, built: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    agent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # stands for ssh-agent's socket
    agent.bind(str(tmp_path / "agent.sock"))
    agent.listen(1)
    monkeypatch.setenv("SSH_AUTH_SOCK", str(tmp_path / "agent.sock"))
    context = make_context(tmp_path / "ctx", "FROM busybox\n"
                           "RUN --mount=type=ssh test -S \"$SSH_AUTH_SOCK\" && "
                           "echo \"$SSH_AUTH_SOCK\" > /seen\n"
                           "RUN --mount=type=ssh,id=deploy,target=/agent,required=true "
                           "test -S /agent && echo \"$SSH_AUTH_SOCK\" >> /seen\n")
    built.append("built-ssh:1")
    try:
        skiff("build", "-t", "built-ssh:1", "--ssh", "default",
              "--ssh", f"deploy={tmp_path / 'agent.sock'}", str(context), timeout=120)
        seen = docker("run", "--rm", "built-ssh:1", "sh", "-c",
                      "cat /seen; ls /run/buildkit /agent 2>&1",
                      check=False).stdout.splitlines()
        assert seen[:2] == ["/run/buildkit/ssh_agent.0", "/agent"]
        assert all("No such file" in line for line in seen[2:]) and len(seen) == 4
        not_socket = skiff("build", "--ssh", f"default={context / 'Dockerfile'}", str(context),
                           check=False, timeout=60)
        assert not_socket.returncode != 0 and "is not an agent socket" in not_socket.stderr
    finally:
        agent.close()


def test_missing_secrets_and_bad_mounts_are_clear_errors(
        skiff: SkiffCLI, tmp_path: Path) -> None:
    required = make_context(tmp_path / "a", "FROM busybox\n"
                        "RUN --mount=type=secret,id=key,required=true cat /run/secrets/key\n")
    failed = skiff("build", str(required), check=False, timeout=60)
    assert failed.returncode != 0 and "secret key: not provided" in failed.stderr
    missing_file = skiff("build", "--secret", f"id=key,src={tmp_path / 'nope'}", str(required),
                         check=False)
    assert missing_file.returncode != 0 and "nope" in missing_file.stderr
    for mount, message in (("type=bind,source=absent,target=/x", "'absent' not found"),
                           ("type=cache,target=/c,sharing=sometimes", "sharing value"),
                           ("type=volume,target=/v", "unsupported mount type"),
                           ("type=cache,target=/c,colour=red", "unexpected key 'colour'")):
        context = make_context(tmp_path / mount.replace(",", "_").replace("=", "-"),
                           f"FROM busybox\nRUN --mount={mount} true\n")
        result = skiff("build", str(context), check=False, timeout=60)
        assert result.returncode != 0 and message in result.stderr, (mount, result.stderr)
