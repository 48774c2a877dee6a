"""Stats benchmark: `docker stats --no-stream` over 10 running containers, both engines in
one run; the time of the CLI call (dockerd samples each container twice, a second apart)."""

from __future__ import annotations

import subprocess
import time
from typing import Any

from daemons import Engine, docker_cli
from measure import SETTLE_S

CONTAINERS = 10
NAME = "skiff-bench-stats"


def _docker(engine: Engine, *args: str, timeout: float = 120) -> str:
    proc = subprocess.run([docker_cli(), "-H", f"unix://{engine.sock}", *args],
                          capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)} -> {proc.returncode}: {proc.stderr[-300:]}")
    return proc.stdout


def run(engines: list[Engine], runs: int) -> dict[str, Any]:
    """Seconds per `docker stats --no-stream` of CONTAINERS containers, per engine."""
    results: dict[str, Any] = {e.name: {"no_stream_s": []} for e in engines}
    try:
        for engine in engines:
            for i in range(CONTAINERS):
                _docker(engine, "run", "-d", "--init", "--network", "none", "--name",
                        f"{NAME}-{i}", "busybox", "sleep", "600")
            _docker(engine, "stats", "--no-stream")  # warm: the kept samples exist
        for _ in range(runs):
            for engine in engines:
                time.sleep(SETTLE_S)
                start = time.perf_counter()
                out = _docker(engine, "stats", "--no-stream")
                results[engine.name]["no_stream_s"].append(time.perf_counter() - start)
                if out.count(NAME) != CONTAINERS:
                    raise RuntimeError(f"{engine.name}: stats listed {out.count(NAME)} "
                                       f"containers, not {CONTAINERS}")
    finally:
        for engine in engines:
            names = [f"{NAME}-{i}" for i in range(CONTAINERS)]
            subprocess.run([docker_cli(), "-H", f"unix://{engine.sock}", "rm", "-f", *names],
                           capture_output=True, timeout=120, check=False)
    return results
