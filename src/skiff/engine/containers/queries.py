"""Read-only views of containers: list, inspect, top, changes, export, logs, counts."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

from skiff.api import filters as flt
from skiff.drivers import memory
from skiff.drivers.logging.base import LogMessage, ReadConfig
from skiff.drivers.snapshot.base import Change, Snapshotter
from skiff.engine.containers import filtering, links, views
from skiff.engine.containers.logs import LogManager
from skiff.engine.containers.model import Container
from skiff.engine.containers.service import ContainerService
from skiff.engine.images.service import ImageService
from skiff.engine.telemetry import NOWHERE, Telemetry, timed
from skiff.errdefs import Conflict, InvalidParameter, NotImplementedYet
from skiff.store.layout import Layout


class ContainerQueries:
    """Answers about containers; never changes one (except the export event)."""

    def __init__(self, service: ContainerService, images: ImageService,
                 snapshots: Snapshotter, layout: Layout,
                 telemetry: Telemetry = NOWHERE) -> None:
        self._telemetry = telemetry
        self._service = service
        self._images = images
        self._snapshots = snapshots
        self._layout = layout
        self.network_id: Callable[[str], str] = lambda _name: ""  # a network's ID by name

    def _size(self, container: Container) -> tuple[int, int]:
        rw = self._snapshots.rw_size(container.id)
        image = self._images.store.images.get(container.image_id)
        return rw, rw + (image.size if image else 0)

    def list_containers(self, all_containers: bool, limit: int, size: bool,
                        filters: flt.Filters) -> list[dict[str, Any]]:
        items = sorted(self._service.all(), key=lambda c: c.created_ns, reverse=True)
        if not all_containers and limit <= 0 and "status" not in filters and \
                "exited" not in filters:
            items = [c for c in items if c.state.Running]
        filtering.validate(filters)
        items = [c for c in items if filtering.matches(c, filters, self._service.get,
                                                    self._image_id_of, self.network_id)]
        if limit > 0:
            items = items[:limit]
        link_names = links.names_of_children(self._service.all())
        return [views.summary(c, self._size(c) if size else None, link_names.get(c.id),
                              self.network_id) for c in items]

    def _image_id_of(self, ref: str) -> str | None:
        image = self._images.store.lookup(ref)
        return image.id if image is not None else None

    def inspect(self, ref: str, size: bool = False) -> dict[str, Any]:
        container = self._service.get(ref)
        directory = self._layout.container_dir(container.id)
        image = self._images.store.images.get(container.image_id)
        lower = ":".join(str(self._snapshots.layer_path(c))
                         for c in reversed(image.chain_ids)) if image else ""
        graph = {"LowerDir": lower, "MergedDir": str(directory / "rootfs"),
                 "UpperDir": str(directory / "upper"), "WorkDir": str(directory / "work")}
        return views.inspect(container, graph, self._size(container) if size else None,
                             container.log_path, [],
                             links.rendered(container, self._service.by_id), self.network_id)

    async def top(self, ref: str, ps_args: str) -> dict[str, Any]:
        container = self._service.get(ref)
        if not container.state.Running:
            raise Conflict(f"Container {container.id} is not running")
        pids = set(await self._service.runtime_of(container).pids(container.id))
        args = ps_args.split() if ps_args else ["-ef"]
        proc = await asyncio.create_subprocess_exec(
            "ps", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
        if proc.returncode != 0:
            raise InvalidParameter(f"Error running top: ps: {err.decode().strip()}")
        lines = out.decode().splitlines()
        titles = lines[0].split()
        if "PID" not in titles:
            raise InvalidParameter("Couldn't find PID field in ps output")
        pid_index = titles.index("PID")
        processes = []
        for line in lines[1:]:
            fields = line.split(None, len(titles) - 1)
            if len(fields) > pid_index and fields[pid_index].isdigit() and \
                    int(fields[pid_index]) in pids:
                processes.append(fields)
        return {"Titles": titles, "Processes": processes}

    async def changes(self, ref: str) -> list[Change]:
        with timed(self._telemetry.container_action, "changes"):
            container = self._service.get(ref)
            image = self._images.store.images.get(container.image_id)
            return await asyncio.to_thread(self._snapshots.changes, container.id,
                                           image.chain_ids if image else [])

    async def export(self, ref: str) -> AsyncIterator[bytes]:
        """The container's filesystem as a tar stream."""
        container = self._service.get(ref)
        rootfs = await self._service.mount_rootfs(container)
        entries = sorted(os.listdir(rootfs))
        proc = await asyncio.create_subprocess_exec(
            "tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), "-cf", "-", "--",
            *entries,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
        assert proc.stdout is not None
        try:
            while chunk := await proc.stdout.read(1 << 16):
                yield chunk
            await proc.wait()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            await self._service.release_rootfs(container)
        self._service.event(container, "export")

    def log_reader(self, ref: str) -> tuple[Container, Callable[
            [ReadConfig], AsyncIterator[list[LogMessage]]]]:
        """The container and what reads its log back; refuses, at once, a driver that
        cannot be read."""
        container = self._service.get(ref)
        log_config = container.host_config.get("LogConfig") or {}
        log_type = log_config.get("Type") or "json-file"
        options = log_config.get("Config") or {}
        drivers = self._service.log_drivers
        if not drivers.readable(log_type, options):
            raise NotImplementedYet("configured logging driver does not support reading")
        following = _Following(self._service.log_manager, container)
        directory = self._service.container_dir(container)
        return container, lambda config: drivers.read(log_type, options, directory,
                                                      container.id, config, following)

    async def logs(self, ref: str, config: ReadConfig) -> AsyncIterator[list[LogMessage]]:
        """Batches of log messages, as ``docker logs`` asks for them."""
        _, read = self.log_reader(ref)
        reader = read(config)
        try:
            async for batch in reader:
                yield batch
        finally:
            memory.trim()  # reading a large log leaves big freed buffers behind

    def counts(self) -> dict[str, int]:
        result = {"running": 0, "paused": 0, "stopped": 0}
        for container in self._service.all():
            if container.state.Paused:
                result["paused"] += 1
            elif container.state.Running:
                result["running"] += 1
            else:
                result["stopped"] += 1
        return result


class _Following:
    """Tells a following log reader whether more output can come, and waits for it."""

    def __init__(self, manager: LogManager, container: Container) -> None:
        self._manager = manager
        self._container = container

    def is_running(self) -> bool:
        return self._container.state.Running or self._manager.is_copying(self._container.id)

    async def wait_for_data(self, timeout: float) -> None:
        await self._manager.wait_written(self._container.id, timeout)
