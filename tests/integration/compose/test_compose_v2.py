"""docker compose v2 (the Go client, Debian's 2.26, as scripts/install --test places it)
against skiffd: build, a published port, name resolution, a named volume, ps, logs, exec, run,
scale and down; and skiff compose and compose v2 managing each other's projects, each leaving
the other's containers in place (equal config hashes), with ``config --hash`` equal on a
corpus of varied compose files."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Daemon, DockerCLI
from tests.integration.compose.clients import SKIFF, Compose, get_when_up

V2 = os.environ.get("SKIFF_COMPOSE_V2", "/usr/local/lib/skiff-test/docker-compose-v2")

pytestmark = pytest.mark.skipif(
    not os.access(V2, os.X_OK),
    reason=f"docker compose v2 is not at {V2} (scripts/install --test puts it there)")

def _client(argv: list[str], host: str, directory: Path, project: str) -> Compose:
    """A compose client with the classic builder and a docker config of its own."""
    return Compose(argv, host, directory, project,
                   env={"DOCKER_BUILDKIT": "0", "DOCKER_CONFIG": str(directory / ".docker")})


@pytest.fixture
def project(tmp_path: Path) -> str:
    return f"vtwo{secrets.token_hex(3)}"


@pytest.fixture
def v2(daemon: Daemon, docker: DockerCLI, tmp_path: Path, project: str) -> Iterator[Compose]:
    runner = _client([V2], daemon.host, tmp_path, project)
    yield runner
    runner("down", "-v", "--remove-orphans", "-t", "1", check=False)
    # compose 2.26's `down --rmi local` keeps an image the classic builder made (it carries
    # no project label): removed by name, with its intermediate images
    for service in ("web", "built"):
        docker("rmi", f"{project}-{service}", check=False)


@pytest.fixture
def skiff(daemon: Daemon, tmp_path: Path, project: str) -> Compose:
    return _client(SKIFF, daemon.host, tmp_path, project)


def _ids(docker: DockerCLI, project: str) -> list[str]:
    return sorted(docker("ps", "-aq", "--no-trunc", "--filter",
                         f"label=com.docker.compose.project={project}").stdout.split())


def test_compose_v2_up_build_port_dns_volume_exec_run_scale_down(
        v2: Compose, docker: DockerCLI) -> None:
    (v2.directory / "web").mkdir()
    (v2.directory / "web" / "Dockerfile").write_text(
        "FROM busybox\nRUN mkdir /www && echo v2-web > /www/index.html\n"
        "CMD [\"httpd\", \"-f\", \"-p\", \"8000\", \"-h\", \"/www\"]\n")
    (v2.directory / "compose.yaml").write_text("""
services:
  web:
    build: ./web
    init: true
    ports: ["127.0.0.1::8000"]
  app:
    image: busybox
    init: true
    command: ["sh", "-c", "echo app-started; echo kept > /data/file; sleep 300"]
    depends_on: [web]
    environment: [ROLE=app]
    volumes: [data:/data]
volumes:
  data: {}
""")
    v2("up", "-d", "--wait")
    published = v2("port", "web", "8000").stdout.strip()
    assert published.startswith("127.0.0.1:")
    assert get_when_up(f"http://{published}/") == "v2-web\n"
    fetched = v2("exec", "-T", "app", "sh", "-c",
                 "for i in $(seq 50); do wget -qO- http://web:8000/ && exit; sleep 0.2; done")
    assert fetched.stdout == "v2-web\n"
    assert v2("exec", "-T", "app", "sh", "-c", "echo $ROLE").stdout == "app\n"
    assert sorted(v2("ps", "--format", "{{.Name}}").stdout.split()) == [
        f"{v2.project}-app-1", f"{v2.project}-web-1"]
    assert "app-started" in v2("logs", "--no-log-prefix", "app").stdout
    assert v2("run", "--rm", "-T", "app", "cat", "/data/file").stdout.strip() == "kept"
    v2("up", "-d", "--wait", "--scale", "app=3")
    assert len(v2("ps", "-q", "app").stdout.split()) == 3
    v2("scale", "app=1")
    assert len(v2("ps", "-q", "app").stdout.split()) == 1
    v2("down", "-v", "-t", "1")
    assert _ids(docker, v2.project) == []
    assert docker("volume", "inspect", f"{v2.project}_data", check=False).returncode != 0
    assert docker("network", "ls", "-q", "--filter",
                  f"name={v2.project}_default").stdout == ""


INTEROP = """
services:
  web:
    image: busybox
    init: true
    command: ["sh", "-c", "sleep 300"]
    environment: [A=1, SKIFF_TEST_UNSET_VARIABLE]
    env_file: [app.env]
    ports: ["127.0.0.1::8000"]
    volumes: [data:/data]
    healthcheck: {test: ["CMD", "true"], interval: 1s}
  app:
    image: busybox
    init: true
    command: sleep 300
    depends_on: {web: {condition: service_healthy}}
    deploy: {resources: {limits: {memory: 64m}}}
  side:
    image: busybox
    init: true
    command: sleep 300
    network_mode: service:web
    pid: service:web
    volumes_from: ["web:ro"]
  built:
    build: ./built
    init: true
    deploy: {replicas: 2}
volumes:
  data: {}
"""


def _write_interop(directory: Path) -> None:
    (directory / "app.env").write_text("FROM_FILE=one\n")
    (directory / "compose.yaml").write_text(INTEROP)
    (directory / "built").mkdir()
    (directory / "built" / "Dockerfile").write_text(
        "FROM busybox\nRUN echo built > /built\nCMD [\"sleep\", \"300\"]\n")


def _adopt(starter: Compose, adopter: Compose, docker: DockerCLI) -> None:
    """``starter`` brings the interop project up; ``adopter`` lists it, ups it again without
    recreating anything (equal config hashes) and takes it down."""
    _write_interop(starter.directory)
    starter("up", "-d", "--wait")
    started = _ids(docker, starter.project)
    assert len(started) == 5
    assert starter.project in adopter("ls").stdout
    assert sorted(adopter("ps", "--format", "{{.Service}} {{.State}}").stdout.splitlines()) == [
        "app running", "built running", "built running", "side running", "web running"]
    adopter("up", "-d", "--wait")
    assert _ids(docker, starter.project) == started  # same config hash: nothing recreated
    adopter("down", "-v", "-t", "1")
    assert _ids(docker, starter.project) == []
    assert starter("ps", "-q").stdout == ""
    assert docker("volume", "inspect", f"{starter.project}_data", check=False).returncode != 0


def test_compose_v2_adopts_and_downs_a_skiff_compose_project(
        v2: Compose, skiff: Compose, docker: DockerCLI) -> None:
    _adopt(skiff, v2, docker)


def test_skiff_compose_adopts_and_downs_a_compose_v2_project(
        v2: Compose, skiff: Compose, docker: DockerCLI) -> None:
    _adopt(v2, skiff, docker)
    assert docker("network", "ls", "-q", "--filter",
                  f"name={v2.project}_default").stdout == ""


CORPUS = Path(__file__).parent / "v2corpus"


def _hashes(compose: Compose) -> dict[str, str]:
    out = compose("--profile", "all", "config", "--hash", "*").stdout
    return dict(line.split() for line in out.splitlines())


@pytest.mark.parametrize("corpus", sorted(p.name for p in CORPUS.iterdir()))
def test_config_hash_equals_compose_v2s(corpus: str, tmp_path: Path) -> None:
    """``config --hash`` of both clients over varied services (env_file aside: v2's
    ``config --hash`` does not read it, its ``up`` does; the adoption tests cover that)."""
    directory = tmp_path / corpus
    shutil.copytree(CORPUS / corpus, directory)
    host = f"unix://{tmp_path}/no-daemon.sock"
    theirs = _hashes(_client([V2], host, directory, "corpus"))
    ours = _hashes(_client(SKIFF, host, directory, "corpus"))
    assert len(theirs) >= 2
    assert {n: h for n, h in ours.items() if h != theirs.get(n)} == {}
    assert set(ours) == set(theirs)


@pytest.mark.parametrize("corpus", sorted(p.name for p in CORPUS.iterdir()))
def test_config_json_equals_compose_v2s(corpus: str, tmp_path: Path) -> None:
    """``config --format json`` alike, keys in the same order."""
    directory = tmp_path / corpus
    shutil.copytree(CORPUS / corpus, directory)
    host = f"unix://{tmp_path}/no-daemon.sock"
    args = ("--profile", "all", "config", "--format", "json")
    theirs = json.loads(_client([V2], host, directory, "corpus")(*args).stdout)
    ours = json.loads(_client(SKIFF, host, directory, "corpus")(*args).stdout)
    assert json.dumps(ours, indent=1) == json.dumps(theirs, indent=1)


@pytest.mark.parametrize("corpus", sorted(p.name for p in CORPUS.iterdir()))
def test_config_yaml_equals_compose_v2s(corpus: str, tmp_path: Path) -> None:
    """``config``'s YAML alike, line for line, ``x-`` extensions included."""
    directory = tmp_path / corpus
    shutil.copytree(CORPUS / corpus, directory)
    host = f"unix://{tmp_path}/no-daemon.sock"
    theirs = _client([V2], host, directory, "corpus")("--profile", "all", "config").stdout
    ours = _client(SKIFF, host, directory, "corpus")("--profile", "all", "config").stdout
    assert ours.splitlines() == theirs.splitlines()
