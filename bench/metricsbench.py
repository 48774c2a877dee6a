"""Metrics benchmark: one scrape of each engine's metrics endpoint with 100 containers
running. skiffd's answer holds cAdvisor's series for every container (its cgroup read at the
scrape); dockerd's holds its engine series only, so its time is the floor, not a peer."""

from __future__ import annotations

import http.client
import subprocess
import time
from typing import Any

from daemons import Engine, docker_cli
from measure import SETTLE_S, cli

NAME = "skiff-bench-metrics"


def scrape(address: str) -> tuple[float, bytes]:
    """Seconds for one GET /metrics, and the body."""
    host, port = address.rsplit(":", 1)
    start = time.perf_counter()
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", "/metrics")
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        raise RuntimeError(f"GET http://{address}/metrics -> {response.status}")
    return elapsed, body


def run(engines: list[Engine], containers: int, runs: int) -> dict[str, Any]:
    """Seconds per scrape with ``containers`` running, per engine, and the series counted."""
    results: dict[str, Any] = {e.name: {"scrape_s": [], "series": 0} for e in engines}
    names = [f"{NAME}-{i}" for i in range(containers)]
    try:
        for engine in engines:
            for name in names:
                cli(engine, "run", "-d", "--init", "--network", "none", "--name", name,
                        "busybox", "sleep", "900")
            scrape(engine.metrics)  # warm
        for _ in range(runs):
            for engine in engines:
                time.sleep(SETTLE_S)
                seconds, body = scrape(engine.metrics)
                results[engine.name]["scrape_s"].append(seconds)
                results[engine.name]["series"] = sum(
                    1 for line in body.splitlines() if line and not line.startswith(b"#"))
        skiff = next((e for e in engines if e.name == "skiff"), None)
        if skiff is not None:
            _, body = scrape(skiff.metrics)
            seen = sum(1 for line in body.splitlines()
                       if line.startswith(b"container_pids{") and NAME.encode() in line)
            if seen != containers:
                raise RuntimeError(f"skiff: container_pids for {seen} containers, "
                                   f"not {containers}")
    finally:
        for engine in engines:
            subprocess.run([docker_cli(), "-H", f"unix://{engine.sock}", "rm", "-f", *names],
                           capture_output=True, timeout=300, check=False)
    return results
