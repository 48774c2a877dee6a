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
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Daemon, DockerCLI

V2 = os.environ.get("SKIFF_COMPOSE_V2", "/usr/local/lib/skiff-test/docker-compose-v2")

pytestmark = pytest.mark.skipif(
    not os.access(V2, os.X_OK),
    reason=f"docker compose v2 is not at {V2} (scripts/install --test puts it there)")

SKIFF = [sys.executable, "-m", "skiff.cli.main", "compose"]


class Compose:
    """One compose client run in a project directory against one daemon."""

    def __init__(self, argv: list[str], host: str, directory: Path, project: str) -> None:
        self.argv, self.host, self.directory, self.project = argv, host, directory, project

    def __call__(self, *args: str, check: bool = True,
                 timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
        env.update(DOCKER_HOST=self.host, DOCKER_BUILDKIT="0",
                   DOCKER_CONFIG=str(self.directory / ".docker"))
        result = subprocess.run([*self.argv, "-p", self.project, *args], cwd=self.directory,
                                capture_output=True, text=True, timeout=timeout, env=env)
        if check and result.returncode != 0:
            raise AssertionError(f"{self.argv[-1]} {' '.join(args)} exited "
                                 f"{result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result


@pytest.fixture
def project(tmp_path: Path) -> str:
    return f"vtwo{secrets.token_hex(3)}"


@pytest.fixture
def v2(daemon: Daemon, docker: DockerCLI, tmp_path: Path, project: str) -> Iterator[Compose]:
    runner = Compose([V2], daemon.host, tmp_path, project)
    yield runner
    runner("down", "-v", "--remove-orphans", "-t", "1", check=False)
    # compose 2.26's `down --rmi local` keeps an image the classic builder made (it carries
    # no project label): removed by name, with its intermediate images
    for service in ("web", "built"):
        docker("rmi", f"{project}-{service}", check=False)


@pytest.fixture
def skiff(daemon: Daemon, tmp_path: Path, project: str) -> Compose:
    return Compose(SKIFF, daemon.host, tmp_path, project)


def _get(url: str, limit: float = 15.0) -> str:
    end = time.monotonic() + limit
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)


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
    assert _get(f"http://{published}/") == "v2-web\n"
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


def test_compose_v2_adopts_and_downs_a_skiff_compose_project(
        v2: Compose, skiff: Compose, docker: DockerCLI) -> None:
    _write_interop(v2.directory)
    skiff("up", "-d", "--wait")
    started = _ids(docker, v2.project)
    assert len(started) == 5
    assert v2.project in v2("ls").stdout
    assert sorted(v2("ps", "--format", "{{.Service}} {{.State}}").stdout.splitlines()) == [
        "app running", "built running", "built running", "side running", "web running"]
    v2("up", "-d", "--wait")
    assert _ids(docker, v2.project) == started  # same config hash: nothing recreated
    v2("down", "-v", "-t", "1")
    assert _ids(docker, v2.project) == []
    assert skiff("ps", "-q").stdout == ""
    assert docker("volume", "inspect", f"{v2.project}_data", check=False).returncode != 0


def test_skiff_compose_adopts_and_downs_a_compose_v2_project(
        v2: Compose, skiff: Compose, docker: DockerCLI) -> None:
    _write_interop(v2.directory)
    v2("up", "-d", "--wait")
    started = _ids(docker, v2.project)
    assert len(started) == 5
    assert v2.project in skiff("ls").stdout
    assert sorted(skiff("ps", "--format", "{{.Service}} {{.State}}").stdout.splitlines()) == [
        "app running", "built running", "built running", "side running", "web running"]
    skiff("up", "-d", "--wait")
    assert _ids(docker, v2.project) == started  # same config hash: nothing recreated
    skiff("down", "-v", "-t", "1")
    assert _ids(docker, v2.project) == []
    assert v2("ps", "-q").stdout == ""
    assert docker("volume", "inspect", f"{v2.project}_data", check=False).returncode != 0
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
    theirs = _hashes(Compose([V2], host, directory, "corpus"))
    ours = _hashes(Compose(SKIFF, host, directory, "corpus"))
    assert len(theirs) >= 2
    assert {n: h for n, h in ours.items() if h != theirs.get(n)} == {}
    assert set(ours) == set(theirs)


@pytest.mark.parametrize("corpus", sorted(p.name for p in CORPUS.iterdir()))
def test_config_json_equals_compose_v2s(corpus: str, tmp_path: Path) -> None:
    """``config --format json`` alike, keys in the same order (the project's own ``x-``
    keys aside: skiff's model keeps none)."""
    directory = tmp_path / corpus
    shutil.copytree(CORPUS / corpus, directory)
    host = f"unix://{tmp_path}/no-daemon.sock"
    args = ("--profile", "all", "config", "--format", "json")
    theirs = json.loads(Compose([V2], host, directory, "corpus")(*args).stdout)
    ours = json.loads(Compose(SKIFF, host, directory, "corpus")(*args).stdout)
    theirs = {k: v for k, v in theirs.items() if not k.startswith("x-")}
    assert json.dumps(ours, indent=1) == json.dumps(theirs, indent=1)


@pytest.mark.parametrize("corpus", sorted(p.name for p in CORPUS.iterdir()))
def test_config_yaml_equals_compose_v2s(corpus: str, tmp_path: Path) -> None:
    """``config``'s YAML alike, line for line (``x-`` keys aside: skiff's model keeps
    none)."""
    directory = tmp_path / corpus
    shutil.copytree(CORPUS / corpus, directory)
    host = f"unix://{tmp_path}/no-daemon.sock"
    theirs = Compose([V2], host, directory, "corpus")("--profile", "all", "config").stdout
    ours = Compose(SKIFF, host, directory, "corpus")("--profile", "all", "config").stdout
    kept, skipping = [], False
    for line in theirs.splitlines():
        indent = len(line) - len(line.lstrip())
        if line.lstrip().startswith("x-"):
            skipping, depth = True, indent
        elif skipping and indent <= depth:
            skipping = False
        if not skipping:
            kept.append(line)
    assert ours.splitlines() == kept
