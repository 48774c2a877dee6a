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
    pids_current: int = 0
    pids_limit: int = 0
    blkio: list[tuple[int, int, str, int]] = field(default_factory=list)  # major, minor, op, n
    blkio_serviced: list[tuple[int, int, str, int]] = field(default_factory=list)
    networks: dict[str, dict[str, int]] = field(default_factory=dict)
    version: int = 1


def _int(path: Path, default: int = 0) -> int:
    try:
        text = path.read_text().strip()
    except OSError:
        return default
    if text == "max":
        return default
    try:
        return int(text.split()[0])
    except (ValueError, IndexError):
        return default


def _pairs(path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            with contextlib.suppress(ValueError):
                out[key] = int(value)
    return out


def host_cpu_ns() -> int:
    """All CPU time the host has spent, as dockerd's system_cpu_usage (ns)."""
    with open("/proc/stat") as handle:
        fields = handle.readline().split()[1:8]
    return sum(int(f) for f in fields) * NS // CLOCK_TICKS


def host_memory() -> int:
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


def online_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except OSError:
        return os.cpu_count() or 1


def networks(pid: int) -> dict[str, dict[str, int]]:
    """The interfaces of the process's network namespace (loopback left out)."""
    out: dict[str, dict[str, int]] = {}
    if not pid:
        return out
    try:
        lines = Path(f"/proc/{pid}/net/dev").read_text().splitlines()[2:]
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


def _blkio_v1(path: Path) -> list[tuple[int, int, str, int]]:
    out = []
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 3 and ":" in parts[0]:
                major, minor = parts[0].split(":")
                out.append((int(major), int(minor), parts[1], int(parts[2])))
    return out


def _io_v2(path: Path) -> tuple[list[tuple[int, int, str, int]],
                                list[tuple[int, int, str, int]]]:
    data, ops = [], []
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            device, *pairs = line.split()
            major, minor = (int(x) for x in device.split(":"))
            values = dict(p.split("=", 1) for p in pairs if "=" in p)
            data += [(major, minor, "read", int(values.get("rbytes", 0))),
                     (major, minor, "write", int(values.get("wbytes", 0)))]
            ops += [(major, minor, "read", int(values.get("rios", 0))),
                    (major, minor, "write", int(values.get("wios", 0)))]
    return data, ops


def read(group: str, pid: int, root: Path = cgroups.ROOT, version: int | None = None,
         now_ns: int = 0) -> Sample:
    """The sample of the cgroup ``group`` (``/skiff/<id>``) and the process ``pid``."""
    version = version or cgroups.version()
    rel = group.strip("/")
    sample = Sample(read_ns=now_ns, system_cpu_ns=host_cpu_ns(), online_cpus=online_cpus(),
                    networks=networks(pid), version=version)
    host = host_memory()
    if version == 2:
        base = root / rel
        cpu = _pairs(base / "cpu.stat")
        sample.cpu_total_ns = cpu.get("usage_usec", 0) * 1000
        sample.cpu_user_ns = cpu.get("user_usec", 0) * 1000
        sample.cpu_system_ns = cpu.get("system_usec", 0) * 1000
        sample.throttling = {"periods": cpu.get("nr_periods", 0),
                             "throttled_periods": cpu.get("nr_throttled", 0),
                             "throttled_time": cpu.get("throttled_usec", 0) * 1000}
        sample.memory_usage = _int(base / "memory.current")
        sample.memory_max_usage = _int(base / "memory.peak")
        sample.memory_limit = _int(base / "memory.max", host) or host
        sample.memory_stats = _pairs(base / "memory.stat")
        sample.pids_current = _int(base / "pids.current")
        sample.pids_limit = _int(base / "pids.max")
        sample.blkio, sample.blkio_serviced = _io_v2(base / "io.stat")
    else:
        cpuacct = root / "cpuacct" / rel
        sample.cpu_total_ns = _int(cpuacct / "cpuacct.usage")
        with contextlib.suppress(OSError, ValueError):
            sample.percpu_ns = [int(v) for v in
                                (cpuacct / "cpuacct.usage_percpu").read_text().split()]
        ticks = _pairs(cpuacct / "cpuacct.stat")
        sample.cpu_user_ns = ticks.get("user", 0) * NS // CLOCK_TICKS
        sample.cpu_system_ns = ticks.get("system", 0) * NS // CLOCK_TICKS
        cpu = _pairs(root / "cpu" / rel / "cpu.stat")
        sample.throttling = {"periods": cpu.get("nr_periods", 0),
                             "throttled_periods": cpu.get("nr_throttled", 0),
                             "throttled_time": cpu.get("throttled_time", 0)}
        memory = root / "memory" / rel
        sample.memory_usage = _int(memory / "memory.usage_in_bytes")
        sample.memory_max_usage = _int(memory / "memory.max_usage_in_bytes")
        sample.memory_failcnt = _int(memory / "memory.failcnt")
        limit = _int(memory / "memory.limit_in_bytes")
        sample.memory_limit = min(limit, host) if limit else host
        sample.memory_stats = _pairs(memory / "memory.stat")
        pids = root / "pids" / rel
        sample.pids_current = _int(pids / "pids.current")
        sample.pids_limit = _int(pids / "pids.max")
        blkio = root / "blkio" / rel
        sample.blkio = _blkio_v1(blkio / "blkio.throttle.io_service_bytes_recursive")
        sample.blkio_serviced = _blkio_v1(blkio / "blkio.throttle.io_serviced_recursive")
    return sample
