"""The measurements themselves; each takes an Engine and returns plain numbers."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from daemons import Engine, crash_and_respawn, docker_cli
from unixhttp import ApiError

LABEL = "skiff-bench"
MIB = 1 << 20
LOG_LINE = "0123456789" * 7
HOST_CONFIG = {"NetworkMode": "none"}


def cli(engine: Engine, *args: str, timeout: float = 600.0) -> subprocess.CompletedProcess[bytes]:
    """Run the docker CLI against engine, output discarded, failing loudly."""
    cmd = [docker_cli(), "-H", f"unix://{engine.sock}", *args]
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} -> {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return proc


def cli_output(engine: Engine, *args: str, timeout: float = 60.0) -> bytes:
    """Run the docker CLI against engine and return its stdout, failing loudly."""
    cmd = [docker_cli(), "-H", f"unix://{engine.sock}", *args]
    proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} -> {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return proc.stdout


# pause before each timed sample: the engine measured before (its shim, its log copier) may
# still be finishing work on these 2 cores, which would be charged to the next engine
SETTLE_S = 0.15


def timed_cli(engine: Engine, *args: str) -> float:
    """Seconds one docker CLI invocation takes, on a machine left to settle first."""
    time.sleep(SETTLE_S)
    start = time.perf_counter()
    cli(engine, *args)
    return time.perf_counter() - start


def run_rm_once(engine: Engine, network: str = "none") -> float:
    """Seconds for `docker run --rm --network <network> busybox true`."""
    return timed_cli(engine, "run", "--rm", "--network", network, "busybox", "true")


def run_latency(engines: list[Engine], runs: int, warmups: int,
                network: str = "none") -> dict[str, list[float]]:
    """`docker run --rm` latency samples per engine, engines interleaved run by run."""
    samples: dict[str, list[float]] = {e.name: [] for e in engines}
    for i in range(warmups + runs):
        for engine in engines:
            elapsed = run_rm_once(engine, network)
            if i >= warmups:
                samples[engine.name].append(elapsed)
    return samples


def create(engine: Engine, cmd: list[str], name: str | None = None) -> str:
    """Create a labelled busybox container with no network; return its id."""
    query = f"?name={urllib.parse.quote(name)}" if name else ""
    body = {"Image": "busybox:latest", "Cmd": cmd, "Labels": {LABEL: "1"},
            "HostConfig": HOST_CONFIG}
    return str(engine.api.json("POST", f"/containers/create{query}", body)["Id"])


def remove_bench_containers(engine: Engine) -> int:
    """Force-remove every container carrying the bench label; return how many."""
    filters = urllib.parse.quote(f'{{"label":["{LABEL}"]}}')
    found = engine.api.json("GET", f"/containers/json?all=1&filters={filters}")
    for c in found:
        engine.api.json("DELETE", f"/containers/{c['Id']}?force=1&v=1")
    return len(found)


def start_container(engine: Engine, cmd: list[str], name: str | None = None) -> str:
    """Create and start a labelled busybox container with no network; return its id."""
    cid = create(engine, cmd, name)
    engine.api.json("POST", f"/containers/{cid}/start")
    return cid


def exec_latency(engines: list[Engine], runs: int, warmups: int) -> dict[str, list[float]]:
    """`docker exec <ctr> true` latency samples per engine against a running
    `sleep 3600` container, engines interleaved run by run."""
    targets: dict[str, str] = {}
    try:
        for engine in engines:
            targets[engine.name] = start_container(engine, ["sleep", "3600"])
        samples: dict[str, list[float]] = {e.name: [] for e in engines}
        for i in range(warmups + runs):
            for engine in engines:
                elapsed = timed_cli(engine, "exec", targets[engine.name], "true")
                if i >= warmups:
                    samples[engine.name].append(elapsed)
        return samples
    finally:
        for engine in engines:
            if engine.name in targets:
                engine.api.json("DELETE", f"/containers/{targets[engine.name]}?force=1")


def list_latency(engine: Engine, containers: int, requests: int) -> list[float]:
    """Latency samples of GET /containers/json?all=1 with `containers` created containers."""
    for i in range(containers):
        create(engine, ["true"], name=f"bench-list-{i}")
    api = engine.api
    for _ in range(3):
        api.call("GET", "/containers/json?all=1")
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        status, body = api.call("GET", "/containers/json?all=1")
        samples.append(time.perf_counter() - start)
        if status != 200 or body.count(b'"Id"') < containers:
            raise RuntimeError(f"{engine.name}: bad list answer: HTTP {status}, {len(body)} B")
    remove_bench_containers(engine)
    return samples


def log_writer_cmd(size: int) -> list[str]:
    """A shell command printing `size` bytes of 71-byte lines to stdout."""
    return ["sh", "-c", f"yes {LOG_LINE} | head -c {size}"]


def log_write(engine: Engine, size: int) -> tuple[str, float]:
    """Run the log writer; return its id and the seconds from start until wait returns."""
    cid = create(engine, log_writer_cmd(size))
    start = time.perf_counter()
    engine.api.json("POST", f"/containers/{cid}/start")
    exit_code = engine.api.json("POST", f"/containers/{cid}/wait")["StatusCode"]
    elapsed = time.perf_counter() - start
    if exit_code != 0:
        raise RuntimeError(f"{engine.name}: log writer exited {exit_code}")
    return cid, elapsed


def raw_read(engine: Engine, cid: str, size: int) -> float:
    """Seconds to drain GET /containers/{id}/logs?stdout=1, checking nothing is missing."""
    start = time.perf_counter()
    got = engine.api.drain(f"/containers/{cid}/logs?stdout=1")
    elapsed = time.perf_counter() - start
    if got < size:
        raise RuntimeError(f"{engine.name}: logs API returned {got} B, expected >= {size}")
    return elapsed


def log_throughput(engine: Engine, size: int, reads: int) -> dict[str, Any]:
    """MiB/s writing `size` bytes to stdout, then reading them back `reads` times each
    with `docker logs` and the raw API (median of the reads)."""
    cid, write_s = log_write(engine, size)
    try:
        cli_s = [timed_cli(engine, "logs", cid) for _ in range(reads)]
        raw_s = [raw_read(engine, cid, size) for _ in range(reads)]
    finally:
        engine.api.json("DELETE", f"/containers/{cid}?force=1")
    mib = size / MIB
    return {"write_mibps": mib / write_s, "cli_mibps": mib / statistics.median(cli_s),
            "raw_mibps": mib / statistics.median(raw_s),
            "write_s": write_s, "cli_s": cli_s, "raw_s": raw_s}


RESTART_CMD = ["sh", "-c", "echo up && exec sleep 3600"]  # a line for `docker logs` to show


def wait_for(check: Callable[[], bool], seconds: float, what: str) -> float:
    """Poll check every 10 ms until it is true; return perf_counter() at that moment."""
    deadline = time.perf_counter() + seconds
    last: Exception | None = None
    while time.perf_counter() < deadline:
        try:
            if check():
                return time.perf_counter()
        except (OSError, RuntimeError, ApiError, subprocess.TimeoutExpired) as e:
            last = e
        time.sleep(0.01)
    raise RuntimeError(f"timed out after {seconds} s waiting for {what} (last error: {last})")


def running_ids(engine: Engine) -> set[str]:
    """Ids of the running bench containers, as GET /containers/json lists them."""
    filters = urllib.parse.quote(f'{{"label":["{LABEL}"]}}')
    found = engine.api.json("GET", f"/containers/json?filters={filters}")
    return {c["Id"] for c in found if c.get("State") == "running"}


def restored(engine: Engine, ids: list[str]) -> bool:
    """All ids listed as running, and `docker logs` and `docker exec` work on the first."""
    if not set(ids) <= running_ids(engine):
        return False
    if b"up" not in cli_output(engine, "logs", ids[0]):
        raise RuntimeError(f"{engine.name}: docker logs lacks the container's output")
    if cli_output(engine, "exec", ids[0], "echo", "ok").strip() != b"ok":
        raise RuntimeError(f"{engine.name}: docker exec printed something else")
    return True


def container_pids(engine: Engine, ids: list[str]) -> dict[str, int]:
    """State.Pid of each container."""
    return {cid: engine.api.json("GET", f"/containers/{cid}/json")["State"]["Pid"]
            for cid in ids}


def restart_time(engine: Engine, containers: int, restarts: int,
                 seconds: float = 120.0) -> dict[str, Any]:
    """With `containers` running sleepers, kill -9 the daemon and start a new one on the same
    root, `restarts` times; seconds from the new process's start until /_ping answers and
    until every container is listed running and `docker logs`/`docker exec` work on one."""
    ids = [start_container(engine, RESTART_CMD, name=f"bench-restart-{i}")
           for i in range(containers)]
    try:
        wait_for(lambda: restored(engine, ids), seconds, "the containers to run")
        pids = container_pids(engine, ids)
        ping_s, ready_s = [], []
        for _ in range(restarts):
            start = crash_and_respawn(engine)
            ping_s.append(wait_for(engine.api.ping, seconds, "/_ping") - start)
            ready_s.append(wait_for(lambda: restored(engine, ids), seconds,
                                    "all containers listed running") - start)
        moved = sum(1 for cid, pid in container_pids(engine, ids).items() if pid != pids[cid])
        if moved:
            print(f"  warning: {engine.name}: {moved} containers have a new pid after restart",
                  flush=True)
        return {"ping_s": ping_s, "ready_s": ready_s, "containers": containers,
                "pids_changed": moved}
    finally:
        removed = remove_bench_containers(engine)
        if removed < containers:
            print(f"  warning: {engine.name}: removed {removed} of {containers}", flush=True)


def rss_kib(pid: int) -> int:
    """Resident set size of one process in KiB (VmRSS), 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def total_rss_mib(pids: Iterable[int]) -> float:
    """Summed RSS of pids in MiB."""
    return sum(rss_kib(pid) for pid in pids) / 1024


def pids_mentioning(text: str) -> list[int]:
    """Pids whose command line contains text."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if text.encode() in cmdline:
            found.append(int(entry))
    return found


def process_name(pid: int) -> str:
    """Basename of pid's argv[0] ('' if it is gone); comm would truncate to 15 chars."""
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0]
    except OSError:
        return ""
    return os.path.basename(argv0.decode(errors="replace"))


MONITORS = ("conmon", "containerd-shim-runc-v2")


def monitor_rss(engine: Engine) -> tuple[float, str]:
    """RSS (MiB) and name of the per-container monitor of a running `sleep` container."""
    cid = create(engine, ["sleep", "300"])
    try:
        engine.api.json("POST", f"/containers/{cid}/start")
        time.sleep(1.0)
        monitors = [p for p in pids_mentioning(cid) if process_name(p) in MONITORS]
        if not monitors:
            raise RuntimeError(f"{engine.name}: no monitor process found for {cid[:12]}")
        return total_rss_mib(monitors) / len(monitors), process_name(monitors[0])
    finally:
        engine.api.json("DELETE", f"/containers/{cid}?force=1")


def warm_up(engine: Engine) -> None:
    """A few ordinary operations, so idle memory reflects a daemon that has done work."""
    for args in (("version",), ("images",), ("ps", "-a")):
        cli(engine, *args)
    for _ in range(2):
        run_rm_once(engine)
