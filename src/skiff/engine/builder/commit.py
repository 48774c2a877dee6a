"""``docker commit``: a container's changes as a new image, through the layer path the builder
uses for its steps (the upper directory as an OCI layer, then the image on its parent)."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any, Protocol

from skiff.api.timefmt import now_ns
from skiff.drivers.snapshot.base import Snapshotter
from skiff.engine.containers.model import Container
from skiff.engine.images import changes
from skiff.engine.images.service import ImageService
from skiff.engine.telemetry import NOWHERE, Telemetry


class Containers(Protocol):
    def get(self, ref: str) -> Container: ...

    async def pause(self, ref: str) -> None: ...

    async def unpause(self, ref: str) -> None: ...


class Committer:
    def __init__(self, containers: Containers, images: ImageService, snapshots: Snapshotter,
                 tmp: Path, telemetry: Telemetry = NOWHERE) -> None:
        self._telemetry = telemetry
        self._containers = containers
        self._images = images
        self._snapshots = snapshots
        self._tmp = tmp

    async def commit(self, ref: str, repo: str = "", tag: str = "", author: str = "",
                     comment: str = "", change_list: list[str] | None = None,
                     pause: bool = True, config: dict[str, Any] | None = None) -> str:
        """``POST /commit``: returns the new image's ID."""
        begun = time.perf_counter()
        container = self._containers.get(ref)
        target = self._images.target_of(repo, tag)
        merged = {**container.config, **{k: v for k, v in (config or {}).items() if v}}
        for change in change_list or []:
            for line in change.splitlines():
                if line.strip():
                    changes.apply(merged, line)
        for transient in ("Hostname", "Domainname", "AttachStdin", "AttachStdout",
                          "AttachStderr", "Tty", "OpenStdin", "StdinOnce"):
            merged.pop(transient, None)
        paused = pause and container.state.Running and not container.state.Paused
        if paused:
            await self._containers.pause(container.id)
        tar_path = self._tmp / f"commit-{container.id[:12]}-{os.getpid()}-{now_ns()}"
        try:
            diff_id = self._snapshots.export_diff(container.id, tar_path)
            created_by = " ".join([*(container.config.get("Entrypoint") or []),
                                   *(container.config.get("Cmd") or [])])
            history = {"created_by": created_by, **({"author": author} if author else {}),
                       **({"comment": comment} if comment else {})}
            image = await self._images.commit_layer(
                self._images.resolve(container.image_id), (tar_path, diff_id), merged, history,
                target, author=author, comment=comment, container=container.id)
        finally:
            tar_path.unlink(missing_ok=True)
            if paused:
                with contextlib.suppress(Exception):
                    await self._containers.unpause(container.id)
        self._telemetry.container_action("commit", time.perf_counter() - begun)
        return image.id
