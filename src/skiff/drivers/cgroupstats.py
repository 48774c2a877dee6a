"""A container's resource use read from its cgroup (v1 hierarchies or the v2 unified one),
the host's CPU time from /proc/stat and its network counters from /proc/<pid>/net/dev."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from skiff.drivers import cgroups

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
NS = 1_000_000_000


@dataclass
class Sample:
    """One reading; absent counters stay at zero (or empty)."""

    read_ns: int = 0
    cpu_total_ns: int = 0
    cpu_user_ns: int = 0
    cpu_system_ns: int = 0
    percpu_ns: list[int] = field(default_factory=list)
    system_cpu_ns: int = 0
    online_cpus: int = 0
    throttling: dict[str, int] = field(default_factory=dict)
    memory_usage: int = 0
    memory_max_usage: int = 0
    memory_failcnt: int = 0
    memory_limit: int = 0
    memory_stats: dict[str, int] = field(default_factory=dict)
    oom_kills: int = 0
    pids_current: int = 0
    pids_limit: int = 0
    blkio: list[tuple[int, int, str, int]] = field(default_factory=list)  # major, minor, op, n
    blkio_serviced: list[tuple[int, int, str, int]] = field(default_factory=list)
    networks: dict[str, dict[str, int]] = field(default_factory=dict)
    version: int = 1


def _text(path: str) -> str:
    """The whole of a small kernel file, read without Python's file objects (a scrape reads
    some twenty of them for each container)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = [os.read(fd, 65536)]
        while len(chunks[-1]) == 65536:
            chunks.append(os.read(fd, 65536))
    finally:
        os.close(fd)
    return b"".join(chunks).decode()


def _int(path: str, default: int = 0) -> int:
    try:
        text = _text(path).strip()
    except OSError:
        return default
    if text == "max":
        return default
    try:
        return int(text.split()[0])
    except (ValueError, IndexError):
        return default


def _pairs(path: str) -> dict[str, int]:
    out: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in _text(path).splitlines():
            key, _, value = line.partition(" ")
            with contextlib.suppress(ValueError):
                out[key] = int(value)
    return out


def host_cpu_ns() -> int:
    """All CPU time the host has spent, as dockerd's system_cpu_usage (ns)."""
    fields = _text("/proc/stat").split("\n", 1)[0].split()[1:8]
    return sum(int(f) for f in fields) * NS // CLOCK_TICKS


def host_memory() -> int:
    for line in _text("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 0


def online_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except OSError:
        return os.cpu_count() or 1


@dataclass(frozen=True)
class HostFacts:
    """What every container's sample shares, read once for a batch of them."""

    cpu_ns: int
    cpus: int
    memory: int

    @classmethod
    def now(cls) -> HostFacts:
        return cls(host_cpu_ns(), online_cpus(), host_memory())


def networks(pid: int) -> dict[str, dict[str, int]]:
    """The interfaces of the process's network namespace (loopback left out)."""
    out: dict[str, dict[str, int]] = {}
    if not pid:
        return out
    try:
        lines = _text(f"/proc/{pid}/net/dev").splitlines()[2:]
    except OSError:
        return out
    for line in lines:
        name, _, counters = line.partition(":")
        name = name.strip()
        values = [int(v) for v in counters.split()]
        if name == "lo" or len(values) < 16:
            continue
        out[name] = {"rx_bytes": values[0], "rx_packets": values[1], "rx_errors": values[2],
                     "rx_dropped": values[3], "tx_bytes": values[8], "tx_packets": values[9],
                     "tx_errors": values[10], "tx_dropped": values[11]}
    return out


def _blkio_v1(path: str) -> list[tuple[int, int, str, int]]:
    out = []
    with contextlib.suppress(OSError):
        for line in _text(path).splitlines():
            parts = line.split()
            if len(parts) == 3 and ":" in parts[0]:
                major, minor = parts[0].split(":")
                out.append((int(major), int(minor), parts[1], int(parts[2])))
    return out


def _io_v2(path: str) -> tuple[list[tuple[int, int, str, int]],
                                list[tuple[int, int, str, int]]]:
    data, ops = [], []
    with contextlib.suppress(OSError):
        for line in _text(path).splitlines():
            device, *pairs = line.split()
            major, minor = (int(x) for x in device.split(":"))
            values = dict(p.split("=", 1) for p in pairs if "=" in p)
            data += [(major, minor, "read", int(values.get("rbytes", 0))),
                     (major, minor, "write", int(values.get("wbytes", 0)))]
            ops += [(major, minor, "read", int(values.get("rios", 0))),
                    (major, minor, "write", int(values.get("wios", 0)))]
    return data, ops


def read(group: str, pid: int, root: Path = cgroups.ROOT, version: int | None = None,
         now_ns: int = 0, host: HostFacts | None = None) -> Sample:
    """The sample of the cgroup ``group`` (``/skiff/<id>``) and the process ``pid``;
    ``host`` the host's facts when the caller read them once for many containers."""
    version = version or cgroups.version()
    host = host or HostFacts.now()
    sample = Sample(read_ns=now_ns, system_cpu_ns=host.cpu_ns, online_cpus=host.cpus,
                    networks=networks(pid), version=version)
    if version == 2:
        _read_v2(sample, f"{root}/{group.strip('/')}", host.memory)
    else:
        _read_v1(sample, str(root), group.strip("/"), host.memory)
    return sample


def _read_v2(sample: Sample, base: str, host_memory: int) -> None:
    cpu = _pairs(f"{base}/cpu.stat")
    sample.cpu_total_ns = cpu.get("usage_usec", 0) * 1000
    sample.cpu_user_ns = cpu.get("user_usec", 0) * 1000
    sample.cpu_system_ns = cpu.get("system_usec", 0) * 1000
    sample.throttling = {"periods": cpu.get("nr_periods", 0),
                         "throttled_periods": cpu.get("nr_throttled", 0),
                         "throttled_time": cpu.get("throttled_usec", 0) * 1000}
    sample.memory_usage = _int(f"{base}/memory.current")
    sample.memory_max_usage = _int(f"{base}/memory.peak")
    sample.memory_limit = _int(f"{base}/memory.max", host_memory) or host_memory
    sample.memory_stats = _pairs(f"{base}/memory.stat")
    sample.oom_kills = _pairs(f"{base}/memory.events").get("oom_kill", 0)
    sample.pids_current = _int(f"{base}/pids.current")
    sample.pids_limit = _int(f"{base}/pids.max")
    sample.blkio, sample.blkio_serviced = _io_v2(f"{base}/io.stat")


def _read_v1(sample: Sample, root: str, rel: str, host_memory: int) -> None:
    cpuacct = f"{root}/cpuacct/{rel}"
    sample.cpu_total_ns = _int(f"{cpuacct}/cpuacct.usage")
    with contextlib.suppress(OSError, ValueError):
        sample.percpu_ns = [int(v) for v in _text(f"{cpuacct}/cpuacct.usage_percpu").split()]
    ticks = _pairs(f"{cpuacct}/cpuacct.stat")
    sample.cpu_user_ns = ticks.get("user", 0) * NS // CLOCK_TICKS
    sample.cpu_system_ns = ticks.get("system", 0) * NS // CLOCK_TICKS
    cpu = _pairs(f"{root}/cpu/{rel}/cpu.stat")
    sample.throttling = {"periods": cpu.get("nr_periods", 0),
                         "throttled_periods": cpu.get("nr_throttled", 0),
                         "throttled_time": cpu.get("throttled_time", 0)}
    memory = f"{root}/memory/{rel}"
    sample.memory_usage = _int(f"{memory}/memory.usage_in_bytes")
    sample.memory_max_usage = _int(f"{memory}/memory.max_usage_in_bytes")
    sample.memory_failcnt = _int(f"{memory}/memory.failcnt")
    limit = _int(f"{memory}/memory.limit_in_bytes")
    sample.memory_limit = min(limit, host_memory) if limit else host_memory
    sample.memory_stats = _pairs(f"{memory}/memory.stat")
    sample.oom_kills = _pairs(f"{memory}/memory.oom_control").get("oom_kill", 0)
    pids = f"{root}/pids/{rel}"
    sample.pids_current = _int(f"{pids}/pids.current")
    sample.pids_limit = _int(f"{pids}/pids.max")
    blkio = f"{root}/blkio/{rel}"
    sample.blkio = _blkio_v1(f"{blkio}/blkio.throttle.io_service_bytes_recursive")
    sample.blkio_serviced = _blkio_v1(f"{blkio}/blkio.throttle.io_serviced_recursive")
