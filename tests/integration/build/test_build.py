"""docker build (the classic protocol, DOCKER_BUILDKIT=0) and docker-py's build against skiffd:
every instruction, multi-stage builds, stages run together, errors, nothing left behind."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Daemon, DockerCLI, UnixHTTPConnection
from tests.integration.build.conftest import make_context
from tests.integration.test_cli import SkiffCLI

MULTI = """\
# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM ${BASE} AS tools
RUN mkdir -p /out && echo tool > /out/tool.txt

FROM ${BASE} AS unused
RUN exit 7

FROM ${BASE}
ARG GREETING=hello
ENV APP=/srv/app MODE="two words"
WORKDIR $APP
COPY --chown=1000:1000 src/ ./src/
COPY *.txt conf/
COPY --from=tools /out/tool.txt ./
RUN <<EOF
echo "$GREETING from a heredoc" > greeting.txt
ls src > listing.txt
EOF
RUN ["sh", "-c", "echo exec-form > exec.txt"]
LABEL org.example.name="the app" version=1
EXPOSE 8080 9000-9001/udp
VOLUME /data
USER 1000:1000
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --retries=2 CMD test -e /srv/app/greeting.txt
ENTRYPOINT ["sh", "-c"]
CMD ["cat greeting.txt"]
"""


def _inspect(docker: DockerCLI, ref: str) -> dict[str, Any]:
    info: dict[str, Any] = json.loads(docker("image", "inspect", ref).stdout)[0]
    return info


def test_a_multi_stage_dockerfile_with_every_instruction(docker: DockerCLI, tmp_path: Path,
                                                         built: list[str]) -> None:
    context = make_context(tmp_path, MULTI, {"src/main.sh": "echo main\n", "a.txt": "a",
                                         "b.txt": "b", "ignored.txt": "no",
                                         ".dockerignore": "ignored.txt\n"})
    built.append("built-multi:1")
    result = docker("build", "-t", "built-multi:1", "--build-arg", "GREETING=hi",
                    str(context), timeout=180)
    assert "Successfully tagged built-multi:1" in result.stdout
    assert "exit 7" not in result.stdout  # the target does not need that stage
    assert docker("run", "--rm", "built-multi:1").stdout == "hi from a heredoc\n"
    files = docker("run", "--rm", "built-multi:1", "ls conf; cat tool.txt exec.txt listing.txt;"
                   " stat -c '%u:%g' src/main.sh; echo $MODE").stdout.split("\n")
    assert files[:7] == ["a.txt", "b.txt", "tool", "exec-form", "main.sh", "1000:1000",
                         "two words"]
    config = _inspect(docker, "built-multi:1")["Config"]
    assert config["WorkingDir"] == "/srv/app" and config["User"] == "1000:1000"
    assert "APP=/srv/app" in config["Env"] and "MODE=two words" in config["Env"]
    assert not any(e.startswith("GREETING=") for e in config["Env"])  # ARGs are not kept
    assert config["Labels"] == {"org.example.name": "the app", "version": "1"}
    assert set(config["ExposedPorts"]) == {"8080/tcp", "9000/udp", "9001/udp"}
    assert config["Volumes"] == {"/data": {}} and config["StopSignal"] == "SIGINT"
    assert config["Healthcheck"] == {"Test": ["CMD-SHELL", "test -e /srv/app/greeting.txt"],
                                     "Interval": 5_000_000_000, "Retries": 2}
    assert config["Entrypoint"] == ["sh", "-c"] and config["Cmd"] == ["cat greeting.txt"]
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}",
                     "built-multi:1").stdout.splitlines()
    assert history[0].endswith('CMD ["cat greeting.txt"]')
    assert any(line.startswith("|1 GREETING=hi /bin/sh -c") for line in history)


def test_independent_stages_run_at_the_same_time(docker: DockerCLI, tmp_path: Path,
                                                 built: list[str]) -> None:
    stamp = "RUN date +%s > /start && sleep 3 && date +%s > /end"
    dockerfile = (f"FROM busybox AS one\n{stamp}\nFROM busybox AS two\n{stamp}\n"
                  "FROM busybox\nCOPY --from=one /start /one.start\nCOPY --from=one /end "
                  "/one.end\nCOPY --from=two /start /two.start\nCOPY --from=two /end /two.end\n"
                  'CMD ["cat", "/one.start", "/one.end", "/two.start", "/two.end"]\n')
    built.append("built-parallel:1")
    docker("build", "-q", "-t", "built-parallel:1", str(make_context(tmp_path, dockerfile)),
           timeout=120)
    one_start, one_end, two_start, two_end = map(
        int, docker("run", "--rm", "built-parallel:1").stdout.split())
    assert one_start < two_end and two_start < one_end  # the two sleeps overlapped


def test_docker_py_builds_with_tags_and_build_args(client: Any, tmp_path: Path,
                                                   built: list[str]) -> None:
    context = make_context(tmp_path, "FROM busybox\nARG WHO\nRUN echo \"made by $WHO\" > /who\n"
                                 'CMD ["cat", "/who"]\n')
    built.append("built-py:1")
    image, logs = client.images.build(path=str(context), tag="built-py:1",
                                      buildargs={"WHO": "docker-py"}, rm=True)
    assert "built-py:1" in image.tags
    assert any("Successfully built" in (line.get("stream") or "") for line in logs)
    assert client.containers.run("built-py:1", remove=True) == b"made by docker-py\n"


def test_a_gzipped_context_and_rm_false_keeping_step_containers(client: Any,
                                                                 built: list[str]) -> None:
    """docker-py sends rm=False unless told otherwise: dockerd then keeps the containers of
    the steps that succeeded, and so does skiffd."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tar:
        for name, content in (("Dockerfile", b"FROM busybox\nCOPY hi /hi\n"), ("hi", b"hi\n")):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    data.seek(0)
    built.append("built-tar:1")
    before = {c.id for c in client.containers.list(all=True)}
    image, _ = client.images.build(fileobj=data, custom_context=True, encoding="gzip",
                                   tag="built-tar:1")
    kept = [c for c in client.containers.list(all=True) if c.id not in before]
    try:
        # the COPY step's container, made on the image before the step
        assert [c.attrs["Image"] for c in kept] == [client.images.get("busybox").id]
        assert client.containers.run(image.id, "cat /hi", remove=True) == b"hi\n"
    finally:
        for container in kept:
            container.remove(force=True)


@pytest.mark.parametrize(("dockerfile", "code", "message"), [
    ("FROM busybox\nRUN exit 3\n", 3, "The command '/bin/sh -c exit 3' returned a non-zero "
                                      "code: 3"),
    ("FROM busybox\nBOGUS x\n", 1, "Dockerfile parse error line 2: unknown instruction: BOGUS"),
    ("FROM busybox\nCOPY ../x /x\n", 1, "forbidden path outside the build context: ../x"),
    ("FROM busybox\nCOPY nope /x\n", 1, "file not found in build context"),
    ("FROM no-such-image:1\n", 1, "pull access denied for no-such-image:1"),
    ("FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nCOPY --from=a /y /y\n", 1,
     "circular dependency detected"),
    ("FROM busybox\nCOPY --bogus=1 a /a\n", 1, "line 2: unknown flag: bogus"),
    ("FROM\n", 1, "line 1: FROM requires at least one argument"),
    ("FROM busybox\nCOPY /etc/passwd /x\n", 1, "stat etc/passwd: file does not exist"),
    ("FROM busybox\nCOPY outside/passwd /x\n", 1, "stat outside/passwd: file does not exist"),
    ("FROM busybox\nCOPY --from=nostage /x /x\n", 1, "invalid from flag value nostage"),
    ("FROM busybox\nRUN --mount=type=ssh,required=true true\n", 1,
     "no SSH key 'default' forwarded from the client"),
])
def test_failed_builds_say_why_and_leave_no_tag_or_container(
        docker: DockerCLI, tmp_path: Path, built: list[str], dockerfile: str, code: int,
        message: str) -> None:
    before = docker("ps", "-aq").stdout
    context = make_context(tmp_path, dockerfile)
    (context / "outside").symlink_to("/etc")  # resolved inside the context, never on the host
    result = docker("build", "-t", "built-failed:1", str(context), check=False, timeout=120)
    assert result.returncode == code and message in result.stderr, result.stderr
    assert docker("images", "-q", "built-failed:1").stdout == ""
    assert docker("ps", "-aq").stdout == before


def test_removing_a_built_image_removes_its_intermediate_images(
        docker: DockerCLI, tmp_path: Path) -> None:
    before = set(docker("images", "-aq").stdout.split())
    docker("build", "-q", "-t", "built-rm:1",
           str(make_context(tmp_path, "FROM busybox\nENV A=1\nRUN touch /x\nCMD [\"true\"]\n")))
    assert len(set(docker("images", "-aq").stdout.split()) - before) == 3
    assert len(docker("images", "-q").stdout.split()) == len(before) + 1  # no intermediates
    removed = docker("rmi", "built-rm:1").stdout
    assert removed.count("Deleted:") >= 3
    assert set(docker("images", "-aq").stdout.split()) == before


def test_an_unsupported_platform_is_refused(docker: DockerCLI, tmp_path: Path) -> None:
    result = docker("build", "--platform", "linux/arm64",
                    str(make_context(tmp_path, "FROM busybox\n")), check=False)
    assert result.returncode != 0 and "linux/amd64 only" in result.stderr


def test_skiff_build_sends_the_context_as_docker_does(skiff: SkiffCLI, docker: DockerCLI,
                                                      tmp_path: Path, built: list[str]) -> None:
    listing_cmd = 'CMD ["ls", "-a", "/ctx"]'
    context = make_context(tmp_path / "ctx", f"FROM busybox\nCOPY . /ctx/\n{listing_cmd}\n",
                       {"keep.txt": "k", "secret.env": "s", "logs/a.log": "l",
                        "logs/keep.log": "k", ".dockerignore": "*.env\nlogs\n!logs/keep.log\n"
                                                               "Dockerfile\n"})
    outside = tmp_path / "elsewhere.Dockerfile"
    outside.write_text("FROM busybox\nCOPY keep.txt /k\nCMD [\"cat\", \"/k\"]\n")
    built += ["skiff-built:1", "skiff-built:2"]
    result = skiff("build", "-t", "skiff-built:1", str(context), timeout=120)
    assert "naming to skiff-built:1" in result.stdout
    listing = docker("run", "--rm", "skiff-built:1").stdout.split()
    assert listing == [".", "..", ".dockerignore", "keep.txt", "logs"]  # Dockerfile excluded
    assert docker("run", "--rm", "skiff-built:1", "ls", "/ctx/logs").stdout.split() == \
        ["keep.log"]
    image_id = skiff("build", "-q", "-f", str(outside), "-t", "skiff-built:2",
                     "--iidfile", str(tmp_path / "iid"), str(context)).stdout.strip()
    assert image_id.startswith("sha256:") and (tmp_path / "iid").read_text() == image_id
    assert docker("run", "--rm", "skiff-built:2").stdout == "k"


def test_skiff_build_from_stdin_and_a_failing_step(skiff: SkiffCLI, built: list[str]) -> None:
    made = skiff("build", "-q", "-", input="FROM busybox\nRUN echo piped > /p\n")
    built.append(made.stdout.strip())
    failed = skiff("build", "-", input="FROM busybox\nRUN exit 4\n", check=False)
    assert failed.returncode == 4
    assert "The command '/bin/sh -c exit 4' returned a non-zero code: 4" in failed.stderr


def test_skiff_commit(skiff: SkiffCLI, docker: DockerCLI, name: str, cleanup: list[str],
                      built: list[str]) -> None:
    cleanup.append(name)
    docker("run", "--name", name, "busybox", "sh", "-c", "echo c > /c")
    built.append("skiff-committed:1")
    skiff("commit", "-c", "CMD [\"cat\", \"/c\"]", name, "skiff-committed:1")
    assert docker("run", "--rm", "skiff-committed:1").stdout == "c\n"


def test_a_second_build_uses_the_cache_until_a_file_it_copies_changes(
        docker: DockerCLI, tmp_path: Path, built: list[str]) -> None:
    dockerfile = ("FROM busybox\nARG V=1\nENV A=1\nRUN echo first > /first\n"
                  "COPY app.txt /app.txt\nRUN cat /app.txt > /copy\nCMD [\"cat\", \"/copy\"]\n")
    context = make_context(tmp_path, dockerfile, {"app.txt": "one\n", "other.txt": "x"})
    built.append("built-cache:1")

    def build(*flags: str) -> tuple[str, str]:
        out = docker("build", *flags, "-t", "built-cache:1", str(context), timeout=120).stdout
        return out, docker("images", "-q", "--no-trunc", "built-cache:1").stdout.strip()

    _, first = build()
    again, second = build()
    assert again.count("Using cache") == 6 and "Running in" not in again
    assert second == first
    (context / "other.txt").write_text("changed, but nothing copies it")
    (context / "app.txt").touch()  # a new mtime alone changes nothing
    assert build()[0].count("Using cache") == 6
    (context / "app.txt").write_text("two\n")
    changed, _ = build()
    steps = changed.split("Step ")
    assert all("Using cache" in step for step in steps[2:5])  # ARG, ENV, the first RUN
    assert all("Using cache" not in step for step in steps[5:])  # COPY and what follows
    assert docker("run", "--rm", "built-cache:1").stdout == "two\n"
    assert "Using cache" not in build("--no-cache")[0]


def test_docker_compose_builds_a_service(daemon: Daemon, docker: DockerCLI, tmp_path: Path,
                                         built: list[str]) -> None:
    make_context(tmp_path / "app", "FROM busybox\nARG GREETING=hi\nCOPY msg.txt /msg.txt\n"
                                   "RUN echo \"$GREETING\" >> /msg.txt\n"
                                   "CMD [\"cat\", \"/msg.txt\"]\n", {"msg.txt": "composed\n"})
    (tmp_path / "docker-compose.yml").write_text(
        "version: \"3.8\"\nservices:\n  app:\n    build:\n      context: ./app\n"
        "      args:\n        GREETING: hello\n    image: built-compose:1\n")
    built.append("built-compose:1")
    result = subprocess.run(["docker-compose", "build"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120,
                            env={**os.environ, "DOCKER_HOST": daemon.host})
    assert result.returncode == 0, result.stderr
    assert "Successfully tagged built-compose:1" in result.stdout + result.stderr
    assert docker("run", "--rm", "built-compose:1").stdout == "composed\nhello\n"


def test_cache_from_reuses_the_steps_of_a_loaded_image(docker: DockerCLI, tmp_path: Path,
                                                       built: list[str]) -> None:
    dockerfile = ("FROM busybox\nENV MODE=prod\nCOPY app.txt /app.txt\n"
                  "RUN cat /app.txt > /copy && echo ran\nCMD [\"cat\", \"/copy\"]\n")
    context = make_context(tmp_path / "ctx", dockerfile, {"app.txt": "one\n"})
    built += ["built-cachefrom:1", "built-cachefrom:2"]
    docker("build", "-q", "-t", "built-cachefrom:1", str(context), timeout=120)
    archive = tmp_path / "saved.tar"
    docker("save", "-o", str(archive), "built-cachefrom:1", timeout=60)
    docker("rmi", "built-cachefrom:1")  # its intermediate images and their cache keys go too
    docker("load", "-i", str(archive), timeout=60)
    plain = docker("build", "--no-cache", "-t", "built-cachefrom:2", str(context),
                   timeout=120).stdout
    assert "Using cache" not in plain
    docker("rmi", "built-cachefrom:2")
    reused = docker("build", "--cache-from", "built-cachefrom:1", "-t", "built-cachefrom:2",
                    str(context), timeout=120).stdout
    assert reused.count("Using cache") == 4 and "Running in" not in reused
    assert _inspect(docker, "built-cachefrom:2")["Id"] == _inspect(docker,
                                                                    "built-cachefrom:1")["Id"]
    (context / "app.txt").write_text("two\n")
    changed = docker("build", "--cache-from", "built-cachefrom:1", "-t", "built-cachefrom:2",
                     str(context), timeout=120).stdout
    assert changed.count("Using cache") == 1  # ENV only: the COPY's files differ
    assert docker("run", "--rm", "built-cachefrom:2").stdout == "two\n"


def test_a_hostile_context_tar_is_refused_and_writes_nothing(daemon: Daemon,
                                                             tmp_path: Path) -> None:
    target = tmp_path / "planted"
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        for name, content in (("Dockerfile", b"FROM busybox\n"),
                              ("../" * 12 + str(target).lstrip("/"), b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    connection = UnixHTTPConnection(daemon.host.removeprefix("unix://"), timeout=60)
    try:
        connection.request("POST", "/v1.43/build?t=built-hostile:1", data.getvalue(),
                           {"Content-Type": "application/x-tar"})
        body = connection.getresponse().read().decode()
    finally:
        connection.close()
    assert "errorDetail" in body and not target.exists()
