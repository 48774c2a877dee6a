"""``docker cp`` and ``HEAD/GET/PUT /containers/{id}/archive``: files in and out of containers.

Paths are resolved by a helper confined to the container (its mount namespace when running,
a chroot into its root filesystem when stopped), so ``..`` and symlinks never reach the host.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from skiff.drivers.archive import client as confined
from skiff.engine.containers.model import Container
from skiff.engine.containers.service import ContainerService
from skiff.errdefs import InvalidParameter, NotFound


class FileService:
    """Stat, read and write paths inside a container, running or not."""

    def __init__(self, containers: ContainerService) -> None:
        self._containers = containers

    @contextlib.asynccontextmanager
    async def _inside(self, ref: str) -> AsyncIterator[tuple[Container, int | None,
                                                             str | None]]:
        container = self._containers.get(ref)
        if container.state.Running and container.state.Pid:
            yield container, container.state.Pid, None
            return
        root = await self._containers.mount_rootfs(container)
        try:
            yield container, None, str(root)
        finally:
            await self._containers.release_rootfs(container)

    @staticmethod
    def _check_path(path: str) -> str:
        if not path:
            raise InvalidParameter("Path cannot be empty")
        return path

    async def stat(self, ref: str, path: str) -> dict[str, Any]:
        async with self._inside(ref) as (container, pid, root):
            try:
                return await confined.stat_path(self._check_path(path), pid, root)
            except NotFound:
                raise NotFound(f"Could not find the file {path} in container "
                               f"{container.name}") from None

    async def read(self, ref: str, path: str) -> tuple[dict[str, Any], AsyncIterator[bytes]]:
        """The path's stat and a tar stream of it."""
        info = await self.stat(ref, path)
        container = self._containers.get(ref)

        async def stream() -> AsyncIterator[bytes]:
            async with self._inside(container.id) as (_, pid, root):
                async for chunk in confined.read_tar(path, pid, root):
                    yield chunk

        return info, stream()

    async def write(self, ref: str, path: str, body: AsyncIterator[bytes], copy_owner: bool,
                    no_overwrite_dir: bool) -> None:
        container = self._containers.get(ref)
        if container.host_config.get("ReadonlyRootfs"):
            raise InvalidParameter("container rootfs is marked read-only")
        async with self._inside(ref) as (container, pid, root):
            try:
                await confined.write_tar(self._check_path(path), pid, root, body, copy_owner,
                                         no_overwrite_dir)
            except NotFound:
                raise NotFound(f"Could not find the file {path} in container "
                               f"{container.name}") from None
