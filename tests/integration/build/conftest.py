"""What the build tests share: the classic protocol, the images they tag, contexts on disk."""

from __future__ import annotations

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
