"""Record what dockerd's classic builder makes of each golden case (run against dockerd 20.10,
e.g. the one ``bench/setup-reference`` starts):

    DOCKER_HOST=unix:///run/skiff-bench/docker.sock python -m tests.integration.build.golden.record
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import docker

from tests.integration.build.golden.cases import CASES, NO_BASE, image_config, summary

HERE = Path(__file__).parent


def build(api: docker.APIClient, name: str) -> str:
    """Build one case; its image ID (a failed build raises)."""
    case = CASES[name]
    image = ""
    for chunk in api.build(fileobj=io.BytesIO(case.context()), custom_context=True,
                           rm=True, forcerm=True, decode=True, **case.params()):
        if "error" in chunk:
            raise RuntimeError(f"{name}: {chunk['error']}")
        image = (chunk.get("aux") or {}).get("ID", image)
    return image


def main(names: list[str]) -> None:
    api = docker.APIClient(base_url=os.environ["DOCKER_HOST"], version="auto", timeout=300)
    base = image_config(api, "busybox:latest")
    for name in names or sorted(CASES):
        image = build(api, name)
        recorded = summary(image_config(api, image),
                           NO_BASE if CASES[name].from_scratch else base)
        recorded["engine"] = api.version()["Version"]
        (HERE / f"{name}.json").write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
        api.remove_image(image, force=True)
        api.prune_images({"dangling": True})
        print(f"{name}: {len(recorded['history'])} history entries")


if __name__ == "__main__":
    main(sys.argv[1:])
