"""Stats benchmark: `docker stats --no-stream` over 10 running containers, both engines in
one run. Two figures: the requests the CLI makes (``GET /containers/{id}/stats?stream=false``
for each container, all at once: dockerd samples each container twice, a second apart), and
the CLI call itself, which never ends before its 500 ms render tick whatever the engine."""

from __future__ import annotations

import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from daemons import Engine, docker_cli
from measure import SETTLE_S, cli, cli_output

CONTAINERS = 10
NAME = "skiff-bench-stats"


def _api_once(engine: Engine, names: list[str]) -> float:
    """Seconds for every container's ``stats?stream=false`` answer, asked at once."""
    def one(name: str) -> None:
        status, _ = engine.api.call("GET", f"/containers/{name}/stats?stream=false")
        if status != 200:
            raise RuntimeError(f"{engine.name}: stats of {name} -> {status}")

    with ThreadPoolExecutor(len(names)) as pool:
        start = time.perf_counter()
        list(pool.map(one, names))
        return time.perf_counter() - start


def run(engines: list[Engine], runs: int) -> dict[str, Any]:
    """Seconds per `docker stats --no-stream` of CONTAINERS containers, and per round of its
    API requests, per engine."""
    results: dict[str, Any] = {e.name: {"no_stream_s": [], "api_s": []} for e in engines}
    names = [f"{NAME}-{i}" for i in range(CONTAINERS)]
    try:
        for engine in engines:
            for i in range(CONTAINERS):
                cli(engine, "run", "-d", "--init", "--network", "none", "--name",
                        f"{NAME}-{i}", "busybox", "sleep", "600")
            cli(engine, "stats", "--no-stream")  # warm: the kept samples exist
        for _ in range(runs):
            for engine in engines:
                time.sleep(SETTLE_S)
                start = time.perf_counter()
                out = cli_output(engine, "stats", "--no-stream").decode()
                results[engine.name]["no_stream_s"].append(time.perf_counter() - start)
                if out.count(NAME) != CONTAINERS:
                    raise RuntimeError(f"{engine.name}: stats listed {out.count(NAME)} "
                                       f"containers, not {CONTAINERS}")
                time.sleep(SETTLE_S)
                results[engine.name]["api_s"].append(_api_once(engine, names))
    finally:
        for engine in engines:
            subprocess.run([docker_cli(), "-H", f"unix://{engine.sock}", "rm", "-f", *names],
                           capture_output=True, timeout=120, check=False)
    return results
