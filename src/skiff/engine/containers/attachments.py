"""Where an attached client gets a container's stdio, and the clients that attached before
the container started (``docker run`` attaches first, then starts)."""

from __future__ import annotations

import asyncio
import logging

from skiff.drivers.runtime.base import Runtime
from skiff.engine.containers.attach import ContainerStream, MonitorStream
from skiff.engine.containers.logs import LogManager

log = logging.getLogger(__name__)


class Attachments:
    """Streams to running containers and the clients waiting for a start."""

    def __init__(self, logs: LogManager) -> None:
        self._logs = logs
        self._pending: dict[str, list[asyncio.Future[ContainerStream | None]]] = {}

    async def stdio(self, container_id: str, runtime: Runtime) -> ContainerStream:
        """The log copier's feed of output files, or conmon's attach socket."""
        return self._logs.subscribe(container_id) or \
            await MonitorStream.connect(runtime.attach_socket(container_id))

    def wait_for_start(self, container_id: str) -> asyncio.Future[ContainerStream | None]:
        """A stream once the container starts; None if its start fails."""
        future: asyncio.Future[ContainerStream | None] = \
            asyncio.get_running_loop().create_future()
        self._pending.setdefault(container_id, []).append(future)
        return future

    async def started(self, container_id: str, runtime: Runtime) -> None:
        """Hand the waiting clients their streams (before the process runs)."""
        for future in self._pending.pop(container_id, []):
            if future.done():
                continue
            stream: ContainerStream | None
            try:
                stream = await self.stdio(container_id, runtime)
            except OSError as exc:
                log.warning("attach to %s failed: %s", container_id[:12], exc)
                stream = None
            future.set_result(stream)

    def failed(self, container_id: str) -> None:
        """The start failed: the waiting clients get nothing."""
        for future in self._pending.pop(container_id, []):
            if not future.done():
                future.set_result(None)
