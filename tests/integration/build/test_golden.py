"""The image config and history skiff's builder writes equal dockerd 20.10's classic builder's
for the same Dockerfile and context (recorded in ``golden/<case>.json``)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Daemon
from tests.integration.build.golden.cases import CASES, NO_BASE, image_config, summary

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def api(daemon: Daemon) -> Iterator[Any]:
    import docker as docker_py

    client = docker_py.APIClient(base_url=daemon.host, version="auto", timeout=120)
    yield client
    client.close()


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_config_and_history_as_dockerd(api: Any, name: str) -> None:
    case = CASES[name]
    recorded = json.loads((GOLDEN / f"{name}.json").read_text())
    recorded.pop("engine")
    image = ""
    for chunk in api.build(fileobj=io.BytesIO(case.context()), custom_context=True, rm=True,
                           decode=True, **case.params()):
        assert "error" not in chunk, chunk
        image = (chunk.get("aux") or {}).get("ID", image)
    try:
        base = NO_BASE if case.from_scratch else image_config(api, "busybox:latest")
        made = summary(image_config(api, image), base)
        assert made["config"] == recorded["config"]
        assert made["author"] == recorded["author"]
        assert [e["created_by"] for e in made["history"]] == \
            [e["created_by"] for e in recorded["history"]]
        assert made == recorded
    finally:
        api.remove_image(image, force=True)
        api.prune_images({"dangling": True})
