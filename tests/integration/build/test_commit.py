"""docker commit: a container's changes, deletions included, as a new image on its parent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import DockerCLI


@pytest.fixture
def images(docker: DockerCLI) -> Any:
    made: list[str] = []
    yield made
    if made:
        docker("rmi", "-f", *made, check=False)


def test_commit_keeps_changes_and_deletions_and_applies_changes(
        docker: DockerCLI, name: str, cleanup: list[str], images: list[str]) -> None:
    cleanup.append(name)
    docker("run", "--name", name, "busybox", "sh", "-c",
           "echo made > /made.txt && rm /bin/vi && mkdir -p /data/sub")
    repo = f"committed-{name}"
    images.append(f"{repo}:v1")
    image_id = docker("commit", "-a", "Ann <ann@example.com>", "-m", "a message",
                      "-c", "ENV MODE=prod", "-c", 'CMD ["cat", "/made.txt"]',
                      "-c", "EXPOSE 8080", name, f"{repo}:v1").stdout.strip()
    assert image_id.startswith("sha256:")
    assert docker("run", "--rm", f"{repo}:v1").stdout == "made\n"
    gone = docker("run", "--rm", f"{repo}:v1", "sh", "-c",
                  "test -e /bin/vi || echo deleted; echo $MODE; test -d /data/sub && echo dir")
    assert gone.stdout.split() == ["deleted", "prod", "dir"]
    info = json.loads(docker("image", "inspect", f"{repo}:v1").stdout)[0]
    parent = json.loads(docker("image", "inspect", "busybox").stdout)[0]
    assert info["Author"] == "Ann <ann@example.com>" and info["Comment"] == "a message"
    assert info["Config"]["Cmd"] == ["cat", "/made.txt"]
    assert "8080/tcp" in info["Config"]["ExposedPorts"]
    assert info["RootFS"]["Layers"][:-1] == parent["RootFS"]["Layers"]
    assert len(info["RootFS"]["Layers"]) == len(parent["RootFS"]["Layers"]) + 1
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Comment}}",
                     f"{repo}:v1").stdout.splitlines()
    assert history[0].startswith("sh -c echo made") and history[0].endswith("|a message")


def test_a_running_container_is_committed_paused_and_keeps_running(
        docker: DockerCLI, name: str, cleanup: list[str], images: list[str]) -> None:
    cleanup.append(name)
    docker("run", "-d", "--name", name, "busybox", "sh", "-c",
           "echo live > /live.txt; exec sleep 60")
    docker("exec", name, "sh", "-c", "until test -e /live.txt; do sleep 0.1; done")
    image_id = docker("commit", name).stdout.strip()
    images.append(image_id)
    assert docker("inspect", "-f", "{{.State.Status}}", name).stdout.strip() == "running"
    assert docker("run", "--rm", image_id, "cat", "/live.txt").stdout == "live\n"


def test_commit_with_docker_py(client: Any, name: str, cleanup: list[str],
                               images: list[str]) -> None:
    cleanup.append(name)
    container = client.containers.run("busybox", "sh -c 'echo py > /py.txt'", name=name,
                                      detach=True)
    container.wait(timeout=30)
    image = container.commit(repository=f"py-{name}", tag="1", changes=["WORKDIR /tmp"])
    images.append(f"py-{name}:1")
    assert image.attrs["Config"]["WorkingDir"] == "/tmp"
    assert client.containers.run(image.id, "cat /py.txt", remove=True) == b"py\n"


@pytest.mark.parametrize(("args", "message"), [
    (["no-such-container"], "No such container"),
    (["-c", "FROM x", "{name}"], "is not a valid change command"),
    (["{name}", "Bad:Ref"], "invalid reference format"),
])
def test_bad_commits_are_refused_and_change_nothing(docker: DockerCLI, name: str,
                                                    cleanup: list[str], args: list[str],
                                                    message: str) -> None:
    cleanup.append(name)
    docker("create", "--name", name, "busybox", "true")
    before = docker("images", "-aq", "--no-trunc").stdout
    result = docker("commit", *[a.format(name=name) for a in args], check=False)
    assert result.returncode != 0 and message in result.stderr
    assert docker("images", "-aq", "--no-trunc").stdout == before
