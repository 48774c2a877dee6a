"""Build benchmarks: the same Dockerfiles built by both engines with the docker CLI's classic
protocol (DOCKER_BUILDKIT=0, dockerd 20.10's legacy builder on the reference side)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from daemons import Engine, docker_cli
from measure import SETTLE_S

TAG = "skiff-bench-build"
PARALLEL = """\
FROM busybox AS one
RUN sleep 3 && echo one > /one
FROM busybox AS two
RUN sleep 3 && echo two > /two
FROM busybox
COPY --from=one /one /one
COPY --from=two /two /two
"""
BIG = """\
FROM busybox
COPY big/ /big/
COPY app.txt /app.txt
RUN cat /app.txt > /seen
"""
BIG_MIB = 100


def build(engine: Engine, context: Path, *flags: str, timeout: float = 600.0) -> tuple[float,
                                                                                       str]:
    """Seconds one `docker build` takes, and its output."""
    cmd = [docker_cli(), "-H", f"unix://{engine.sock}", "build", "-t", TAG, *flags,
           str(context)]
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    time.sleep(SETTLE_S)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout,
                          check=False)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} -> {proc.returncode}: {proc.stderr[-500:]}")
    return took, proc.stdout


def _context(root: Path, dockerfile: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_text(dockerfile)
    return root


def _big_context(root: Path) -> Path:
    _context(root, BIG)
    (root / "big").mkdir(exist_ok=True)
    for i in range(BIG_MIB):
        (root / "big" / f"blob-{i:03d}").write_bytes(os.urandom(1 << 20))
    (root / "app.txt").write_text("version 0\n")
    return root


def cached_steps(output: str) -> int:
    """How many steps the classic output says came from the cache."""
    return output.count("Using cache")


def run(engines: list[Engine], runs: int) -> dict[str, Any]:
    """Cold parallel stages, the same fully cached, and a 100 MiB context with one file
    changed; samples per engine, interleaved so both see the same machine."""
    work = Path(tempfile.mkdtemp(prefix="skiff-bench-build-"))
    results: dict[str, Any] = {e.name: {"cold_s": [], "cached_s": [], "changed_s": [],
                                        "changed_cached_steps": []} for e in engines}
    try:
        parallel = _context(work / "parallel", PARALLEL)
        big = _big_context(work / "big")
        for engine in engines:  # warm: base images resolved, caches filled
            build(engine, parallel)
            build(engine, big)
        for _ in range(runs):
            for engine in engines:
                results[engine.name]["cold_s"].append(build(engine, parallel, "--no-cache")[0])
                results[engine.name]["cached_s"].append(build(engine, parallel)[0])
        for number in range(1, runs + 1):
            (big / "app.txt").write_text(f"version {number}\n")
            for engine in engines:
                took, output = build(engine, big)
                results[engine.name]["changed_s"].append(took)
                results[engine.name]["changed_cached_steps"].append(cached_steps(output))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        for engine in engines:
            subprocess.run([docker_cli(), "-H", f"unix://{engine.sock}", "rmi", "-f", TAG],
                           capture_output=True, timeout=60, check=False)
            subprocess.run([docker_cli(), "-H", f"unix://{engine.sock}", "image", "prune",
                            "-f"], capture_output=True, timeout=120, check=False)
    return results
