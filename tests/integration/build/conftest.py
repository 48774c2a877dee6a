"""What the build tests share: the classic protocol, the images they tag, contexts on disk."""

from __future__ import annotations

import functools
import http.server
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Daemon, DockerCLI
from tests.integration.test_cli import SkiffCLI


@pytest.fixture(autouse=True)
def classic_builder(monkeypatch: pytest.MonkeyPatch) -> None:
    """docker build speaks the classic protocol (what skiffd serves), not BuildKit's gRPC."""
    monkeypatch.setenv("DOCKER_BUILDKIT", "0")


@pytest.fixture
def built(docker: DockerCLI) -> Iterator[list[str]]:
    """Tags the test builds; removed afterwards with the intermediate images."""
    tags: list[str] = []
    yield tags
    if tags:
        docker("rmi", "-f", *tags, check=False)
    docker("image", "prune", "-f", check=False)


@pytest.fixture
def skiff(daemon: Daemon) -> SkiffCLI:
    return SkiffCLI(daemon.host)


def make_context(root: Path, dockerfile: str, files: dict[str, str] | None = None) -> Path:
    """A build context directory: the Dockerfile and the given files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_text(dockerfile)
    for name, content in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    return root


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A directory served over HTTP on loopback, and its URL."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def git(*args: str, cwd: Path) -> str:
    """git with a fixed identity and nothing from the user's configuration."""
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "HOME": str(cwd), "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=env, timeout=30).stdout.strip()
