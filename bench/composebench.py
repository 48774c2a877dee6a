"""Compose benchmark: `up -d` of 10 services on the project's network, then `down -t 0`;
skiff compose against skiffd, Debian's docker-compose 1.29 against dockerd, in one run."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from daemons import Engine
from measure import SETTLE_S

SERVICES = 10
PROJECT = "skiffbenchcompose"
LIMIT_S = 300


def _compose_file() -> str:
    services = "".join(f"  s{i}:\n    image: busybox\n    init: true\n"
                       f"    command: [\"sleep\", \"600\"]\n" for i in range(SERVICES))
    return f"services:\n{services}"


def _client(engine: Engine) -> list[str]:
    """skiff compose for skiffd; docker-compose 1.29 (a plain Engine API client) otherwise."""
    if engine.name == "skiff":
        return [str(Path(sys.executable).with_name("skiff")), "compose"]
    found = shutil.which("docker-compose")
    if found is None:
        raise RuntimeError("docker-compose is not installed (scripts/install --test)")
    return [found]


def _timed(engine: Engine, directory: Path, *args: str) -> float:
    command = [*_client(engine), "-p", PROJECT, *args]
    env = {**os.environ, "DOCKER_HOST": f"unix://{engine.sock}"}
    start = time.perf_counter()
    result = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True,
                            timeout=LIMIT_S, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{engine.name}: compose {' '.join(args)} exited "
                           f"{result.returncode}: {result.stderr.strip()[-300:]}")
    return elapsed


def _running(engine: Engine) -> int:
    status, body = engine.api.call(
        "GET", "/containers/json?filters=%7B%22label%22%3A%5B%22com.docker.compose.project%3D"
               f"{PROJECT}%22%5D%7D")
    if status != 200:
        raise RuntimeError(f"{engine.name}: container list -> {status}")
    return body.count(b'"Id"')


def run(engines: list[Engine], runs: int) -> dict[str, Any]:
    """Seconds per `up -d` and per `down -t 0` of the project, per engine."""
    results: dict[str, Any] = {e.name: {"up_s": [], "down_s": []} for e in engines}
    with tempfile.TemporaryDirectory(prefix="skiff-bench-compose-") as tmp:
        directory = Path(tmp)
        (directory / "docker-compose.yml").write_text(_compose_file())
        try:
            for engine in engines:  # warm: the network and image paths once
                _timed(engine, directory, "up", "-d")
                _timed(engine, directory, "down", "-t", "0")
            for _ in range(runs):
                for engine in engines:
                    time.sleep(SETTLE_S)
                    results[engine.name]["up_s"].append(_timed(engine, directory, "up", "-d"))
                    if (count := _running(engine)) != SERVICES:
                        raise RuntimeError(f"{engine.name}: {count} of {SERVICES} running")
                    time.sleep(SETTLE_S)
                    results[engine.name]["down_s"].append(
                        _timed(engine, directory, "down", "-t", "0"))
                    if _running(engine):
                        raise RuntimeError(f"{engine.name}: containers left after down")
        finally:
            for engine in engines:
                with contextlib.suppress(RuntimeError):
                    _timed(engine, directory, "down", "-t", "0")
    return results
