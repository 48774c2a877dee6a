"""``GET /containers/{id}/stats`` in Docker's JSON shape: a sample of the container's cgroup
with the one before it as ``precpu_stats``. The last sample of each container is kept, so a
``stream=false`` answer comes at once with a real CPU delta (a short second sample is taken
only when there is no recent one)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from skiff.api.timefmt import now_ns, rfc3339nano
from skiff.drivers import cgroups, cgroupstats
from skiff.drivers.cgroupstats import Sample
from skiff.engine.containers.model import Container

INTERVAL = 1.0  # seconds between samples of a stream, as dockerd
FRESH_NS = 10 * 10**9  # a kept sample younger than this serves as the one before
SECOND_SAMPLE = 0.1  # seconds between the two samples taken when none is kept
ZERO_TIME = "0001-01-01T00:00:00Z"


def _cpu(sample: Sample | None) -> dict[str, Any]:
    if sample is None:
        return {"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0,
                              "usage_in_usermode": 0},
                "throttling_data": {"periods": 0, "throttled_periods": 0,
                                    "throttled_time": 0}}
    usage: dict[str, Any] = {"total_usage": sample.cpu_total_ns,
                             "usage_in_kernelmode": sample.cpu_system_ns,
                             "usage_in_usermode": sample.cpu_user_ns}
    if sample.percpu_ns:
        usage["percpu_usage"] = sample.percpu_ns
    return {"cpu_usage": usage, "system_cpu_usage": sample.system_cpu_ns,
            "online_cpus": sample.online_cpus, "throttling_data": sample.throttling}


def _blkio(entries: list[tuple[int, int, str, int]], version: int) -> list[dict[str, Any]]:
    return [{"major": major, "minor": minor,
             "op": op.capitalize() if version == 1 else op.lower(), "value": value}
            for major, minor, op, value in entries]


def render(container: Container, sample: Sample, before: Sample | None) -> dict[str, Any]:
    """Docker's stats JSON for a sample and the one before it (None: zeroes)."""
    memory: dict[str, Any] = {"usage": sample.memory_usage, "stats": sample.memory_stats,
                              "limit": sample.memory_limit}
    if sample.version == 1:
        memory.update(max_usage=sample.memory_max_usage, failcnt=sample.memory_failcnt)
    pids: dict[str, Any] = {"current": sample.pids_current}
    if sample.pids_limit:
        pids["limit"] = sample.pids_limit
    body: dict[str, Any] = {
        "name": "/" + container.name, "id": container.id,
        "read": rfc3339nano(sample.read_ns),
        "preread": rfc3339nano(before.read_ns) if before else ZERO_TIME,
        "pids_stats": pids,
        "blkio_stats": {"io_service_bytes_recursive": _blkio(sample.blkio, sample.version),
                        "io_serviced_recursive": _blkio(sample.blkio_serviced,
                                                        sample.version)
                        if sample.version == 1 else None,
                        "io_queue_recursive": None, "io_service_time_recursive": None,
                        "io_wait_time_recursive": None, "io_merged_recursive": None,
                        "io_time_recursive": None, "sectors_recursive": None},
        "num_procs": 0, "storage_stats": {},
        "cpu_stats": _cpu(sample), "precpu_stats": _cpu(before), "memory_stats": memory,
    }
    if sample.networks:
        body["networks"] = sample.networks
    return body


def _empty(container: Container) -> dict[str, Any]:
    """A stopped container's answer: no sample, every counter at zero, as dockerd gives."""
    return {"name": "/" + container.name, "id": container.id, "read": ZERO_TIME,
            "preread": ZERO_TIME, "pids_stats": {}, "blkio_stats": {
                "io_service_bytes_recursive": None, "io_serviced_recursive": None,
                "io_queue_recursive": None, "io_service_time_recursive": None,
                "io_wait_time_recursive": None, "io_merged_recursive": None,
                "io_time_recursive": None, "sectors_recursive": None},
            "num_procs": 0, "storage_stats": {}, "cpu_stats": _cpu(None),
            "precpu_stats": _cpu(None), "memory_stats": {}}


class StatsService:
    def __init__(self, get: Callable[[str], Container], cgroup_parent: str) -> None:
        self._get = get
        self._parent = cgroup_parent
        self._last: dict[str, Sample] = {}

    def group(self, container: Container) -> str:
        """The container's cgroup, ``/skiff/<id>`` (or under its own CgroupParent)."""
        return cgroups.container_path(container.id, container.host_config.get("CgroupParent")
                                      or self._parent)

    def read(self, container: Container, host: cgroupstats.HostFacts | None = None) -> Sample:
        """A sample of the container now (blocking: file reads); ``host`` the host's facts
        when one reading serves many containers."""
        return cgroupstats.read(self.group(container), container.state.Pid, now_ns=now_ns(),
                                host=host)

    async def _sample(self, container: Container) -> Sample:
        return await asyncio.to_thread(self.read, container)

    async def once(self, ref: str, one_shot: bool = False) -> dict[str, Any]:
        """One answer: this sample against the kept one (or, with none recent and not
        ``one_shot``, against one taken a moment before)."""
        container = self._get(ref)
        if not container.state.Running:
            return _empty(container)
        before = self._last.get(container.id)
        if before is None or now_ns() - before.read_ns > FRESH_NS:
            before = None
            if not one_shot:
                before = await self._sample(container)
                await asyncio.sleep(SECOND_SAMPLE)
        sample = await self._sample(container)
        self._last[container.id] = sample
        return render(container, sample, before)

    async def stream(self, ref: str) -> AsyncIterator[dict[str, Any]]:
        """A sample a second, each against the one before, until the container stops."""
        container = self._get(ref)
        before = self._last.get(container.id)
        while True:
            container = self._get(ref)
            if not container.state.Running:
                yield _empty(container)
                return
            sample = await self._sample(container)
            self._last[container.id] = sample
            yield render(container, sample, before)
            before = sample
            await asyncio.sleep(INTERVAL)

    def forget(self, container_id: str) -> None:
        self._last.pop(container_id, None)
