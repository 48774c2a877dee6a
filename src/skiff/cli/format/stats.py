"""``docker stats`` rows: Docker's formulas over a stats sample (CPU % from the delta against
the sample before, memory without the inactive page cache), as the docker CLI computes them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from skiff.cli.format.gotemplate import Context
from skiff.cli.format.units import bytes_size, human_size

DEFAULT = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}" \
    "\t{{.BlockIO}}\t{{.PIDs}}"
HEADERS = {"ID": "CONTAINER ID", "Container": "CONTAINER", "Name": "NAME",
           "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %",
           "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS"}


@dataclass
class Figures:
    """What a row shows, as numbers (summable across a service's replicas)."""

    cpu_percent: float = 0.0
    memory: float = 0.0
    limit: float = 0.0
    rx: float = 0.0
    tx: float = 0.0
    read: float = 0.0
    write: float = 0.0
    pids: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(self.cpu_percent + other.cpu_percent, self.memory + other.memory,
                       self.limit + other.limit, self.rx + other.rx, self.tx + other.tx,
                       self.read + other.read, self.write + other.write,
                       self.pids + other.pids)


def figures(stats: dict[str, Any]) -> Figures:
    cpu, pre = stats.get("cpu_stats") or {}, stats.get("precpu_stats") or {}
    cpu_delta = (cpu.get("cpu_usage") or {}).get("total_usage", 0) - \
        (pre.get("cpu_usage") or {}).get("total_usage", 0)
    system_delta = (cpu.get("system_cpu_usage") or 0) - (pre.get("system_cpu_usage") or 0)
    cpus = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage")
                                         or []) or 1
    percent = cpu_delta / system_delta * cpus * 100.0 if system_delta > 0 and \
        cpu_delta > 0 else 0.0
    memory = stats.get("memory_stats") or {}
    usage = memory.get("usage") or 0
    detail = memory.get("stats") or {}
    inactive = detail.get("total_inactive_file", detail.get("inactive_file", 0))
    if inactive < usage:
        usage -= inactive
    rx = sum(n.get("rx_bytes", 0) for n in (stats.get("networks") or {}).values())
    tx = sum(n.get("tx_bytes", 0) for n in (stats.get("networks") or {}).values())
    read = write = 0
    for entry in (stats.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []:
        op = str(entry.get("op", "")).lower()
        if op == "read":
            read += entry.get("value", 0)
        elif op == "write":
            write += entry.get("value", 0)
    return Figures(percent, usage, memory.get("limit") or 0, rx, tx, read, write,
                   (stats.get("pids_stats") or {}).get("current") or 0)


class StatsContext(Context):
    """A row; a stopped container's counters are all zero, as the docker CLI shows them."""

    type_name = "*formatter.statsContext"

    def __init__(self, ident: str, name: str, numbers: Figures) -> None:
        self.ident, self.name, self.numbers = ident, name, numbers

    def ID(self) -> str:
        return self.ident[:12]

    def Container(self) -> str:
        return self.name or self.ident[:12]

    def Name(self) -> str:
        return self.name or "--"

    def CPUPerc(self) -> str:
        return f"{self.numbers.cpu_percent:.2f}%"

    def MemUsage(self) -> str:
        return f"{bytes_size(self.numbers.memory)} / {bytes_size(self.numbers.limit)}"

    def MemPerc(self) -> str:
        limit = self.numbers.limit
        return f"{self.numbers.memory / limit * 100:.2f}%" if limit else "0.00%"

    def NetIO(self) -> str:
        return f"{human_size(self.numbers.rx, 3)} / {human_size(self.numbers.tx, 3)}"

    def BlockIO(self) -> str:
        return f"{human_size(self.numbers.read, 3)} / {human_size(self.numbers.write, 3)}"

    def PIDs(self) -> str:
        return str(self.numbers.pids)

    def template_json(self) -> Any:
        return {k: getattr(self, k)() for k in ("BlockIO", "CPUPerc", "Container", "ID",
                                                 "MemPerc", "MemUsage", "Name", "NetIO",
                                                 "PIDs")}
