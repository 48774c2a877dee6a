"""Benchmark skiffd against the reference dockerd, side by side in one run.

Usage (as root, from the repository): .venv/bin/python bench/run.py [--runs N] [--keep]
[--only core|network|restart|build|stats|metrics|compose]
Start the reference first with `bash bench/setup-reference`; without docker.io installed
only skiff's absolute figures are printed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import buildbench
import composebench
import daemons
import measure
import metricsbench
import netbench
import statsbench
from daemons import Engine
from report import Metric, Target, median, p90, table, write_json

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
T = TypeVar("T")
GROUPS = ("core", "network", "restart", "build", "stats", "metrics", "compose")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=20, help="timed `docker run --rm` runs")
    p.add_argument("--warmups", type=int, default=2, help="untimed runs/execs first")
    p.add_argument("--exec-runs", type=int, default=20, help="timed `docker exec` runs")
    p.add_argument("--containers", type=int, default=100,
                   help="containers for the list and metrics tests")
    p.add_argument("--requests", type=int, default=50, help="timed list requests")
    p.add_argument("--log-mib", type=int, default=200, help="MiB the log writer prints")
    p.add_argument("--log-reads", type=int, default=3, help="read-backs of the log (median)")
    p.add_argument("--restart-containers", type=int, default=50,
                   help="running containers for the restart test")
    p.add_argument("--restarts", type=int, default=3, help="kill -9 + restarts (median)")
    p.add_argument("--net-runs", type=int, default=20,
                   help=f"timed `docker run --rm --network {netbench.NETWORK}` runs")
    p.add_argument("--net-mib", type=int, default=1024, help="MiB per TCP throughput read")
    p.add_argument("--net-reads", type=int, default=10,
                   help="timed TCP throughput reads per path and engine (median)")
    p.add_argument("--build-runs", type=int, default=3,
                   help="timed builds per build benchmark and engine (median)")
    p.add_argument("--stats-runs", type=int, default=5,
                   help="timed `docker stats --no-stream` calls per engine (median)")
    p.add_argument("--metrics-runs", type=int, default=20,
                   help="timed scrapes of the metrics endpoint per engine (median)")
    p.add_argument("--compose-runs", type=int, default=3,
                   help="timed compose up -d / down -t 0 per engine (median)")
    p.add_argument("--only", action="append", choices=GROUPS, metavar="GROUP",
                   help="run only this group of benchmarks: core (run/exec/list/logs/memory), "
                   "network, restart, build, stats, metrics or compose; repeatable "
                   "(default: all)")
    p.add_argument("--no-reference", action="store_true", help="benchmark skiffd alone")
    p.add_argument("--keep", action="store_true", help="leave the daemons running")
    p.add_argument("--output", type=Path, default=RESULTS, help="JSON results file")
    return p.parse_args(argv)


def per_engine(engines: list[Engine], fn: Callable[[Engine], T]) -> dict[str, T]:
    """fn applied to each engine in turn, keyed by engine name."""
    results = {}
    for engine in engines:
        print(f"  {engine.name} ...", flush=True)
        results[engine.name] = fn(engine)
    return results


def pair(results: dict[str, Any], pick: Callable[[Any], float]) -> tuple[float, float | None]:
    """(skiff, dockerd) figures picked out of per-engine results."""
    ref = results.get("dockerd")
    return pick(results["skiff"]), None if ref is None else pick(ref)


def idle_memory(engines: list[Engine]) -> dict[str, float]:
    """RSS (MiB) of each engine's resident daemons after warm-up operations."""
    per_engine(engines, measure.warm_up)
    time.sleep(2.0)
    return {e.name: measure.total_rss_mib(e.daemon_pids()) for e in engines}


def collect(engines: list[Engine], args: argparse.Namespace) -> tuple[list[Metric], dict[str, Any]]:
    """Run the selected benchmark groups; return the table rows and the raw samples."""
    groups = set(args.only or GROUPS)
    metrics: list[Metric] = []
    raw: dict[str, Any] = {"groups": sorted(groups), "errors": []}
    if "core" in groups:
        metrics, core_raw = collect_core(engines, args)
        raw.update(core_raw)
    if "network" in groups:
        print("network", flush=True)
        net = network_or_none(engines, args, raw["errors"])
        raw["network"] = net
        rows = network_metrics(net, args.net_mib)
        at = next((i + 1 for i, m in enumerate(metrics) if m.key == "log_raw"), len(metrics))
        metrics[at:at] = rows
    if "core" in groups:
        after = {e.name: measure.total_rss_mib(e.daemon_pids()) for e in engines}
        raw["rss_after_mib"] = after
        at = next(i + 1 for i, m in enumerate(metrics) if m.key == "idle_rss")
        metrics.insert(at, Metric("rss_after", "daemon RSS after all benchmarks", "MiB",
                                  *pair(after, float)))
    if "restart" in groups:
        print(f"kill -9 + restart with {args.restart_containers} running x{args.restarts}",
              flush=True)
        restarts = per_engine(engines, lambda e: restart_or_none(e, args))
        raw["restart"] = restarts
        metrics += restart_metrics(restarts, args.restart_containers)
    if "build" in groups:
        print(f"docker build (classic protocol) x{args.build_runs}", flush=True)
        builds = buildbench.run(engines, args.build_runs)
        raw["build"] = builds
        metrics += build_bench_metrics(builds)
    if "stats" in groups:
        print(f"docker stats --no-stream, {statsbench.CONTAINERS} containers "
              f"x{args.stats_runs}", flush=True)
        stats = statsbench.run(engines, args.stats_runs)
        raw["stats"] = stats
        metrics.append(Metric("stats_no_stream_api", f"stats?stream=false, "
                                                     f"{statsbench.CONTAINERS} containers", "s",
                              *pair(stats, lambda r: median(r["api_s"])),
                              Target("ratio_max", 0.05),
                              note="the requests `docker stats --no-stream` makes, all at once"))
        metrics.append(Metric("stats_no_stream", f"docker stats --no-stream, "
                                                 f"{statsbench.CONTAINERS} containers", "s",
                              *pair(stats, lambda r: median(r["no_stream_s"])),
                              note="the CLI renders on a 500 ms tick: 0.5 s is its floor"))
    if "metrics" in groups:
        print(f"GET /metrics, {args.containers} containers x{args.metrics_runs}", flush=True)
        scrapes = metricsbench.run(engines, args.containers, args.metrics_runs)
        raw["metrics"] = scrapes
        series = " vs ".join(f"{name} {r['series']}" for name, r in scrapes.items())
        metrics.append(Metric("metrics_scrape", f"metrics scrape, {args.containers} "
                                                f"containers", "s",
                              *pair(scrapes, lambda r: median(r["scrape_s"])),
                              Target("abs_max", 0.05),
                              note=f"series {series}: dockerd has no per-container ones"))
    if "compose" in groups:
        print(f"compose up -d / down -t 0, {composebench.SERVICES} services "
              f"x{args.compose_runs}", flush=True)
        composed = composebench.run(engines, args.compose_runs)
        raw["compose"] = composed
        clients = "skiff compose on skiffd vs docker-compose 1.29 on dockerd"
        metrics.append(Metric("compose_up", f"compose up -d, {composebench.SERVICES} services",
                              "s", *pair(composed, lambda r: median(r["up_s"])),
                              Target("ratio_max", 0.3), note=clients))
        metrics.append(Metric("compose_down", f"compose down -t 0, {composebench.SERVICES} "
                                              f"services", "s",
                              *pair(composed, lambda r: median(r["down_s"])),
                              Target("ratio_max", 0.3), note=clients))
    return metrics, raw


def build_bench_metrics(builds: dict[str, dict[str, list[float]]]) -> list[Metric]:
    """Rows of the build benchmarks."""
    steps = " vs ".join(f"{name} {max(r['changed_cached_steps'])}"
                        for name, r in builds.items())
    return [
        Metric("build_parallel_cold", "build: two sleep-3 stages, --no-cache", "s",
               *pair(builds, lambda r: median(r["cold_s"])), Target("ratio_max", 0.5)),
        Metric("build_parallel_cached", "build: the same, fully cached", "s",
               *pair(builds, lambda r: median(r["cached_s"])), Target("ratio_max", 0.7)),
        Metric("build_context_changed", f"build: {buildbench.BIG_MIB} MiB context, one file "
               f"changed", "s", *pair(builds, lambda r: median(r["changed_s"])),
               note=f"steps from the cache: {steps} (the 100 MiB COPY)"),
    ]


def collect_core(engines: list[Engine],
                 args: argparse.Namespace) -> tuple[list[Metric], dict[str, Any]]:
    """The core benchmarks (all with --network none): memory, run, exec, list, logs."""
    print("idle memory", flush=True)
    idle = idle_memory(engines)
    print(f"docker run --rm x{args.runs} (interleaved)", flush=True)
    runs = measure.run_latency(engines, args.runs, args.warmups)
    print(f"docker exec true x{args.exec_runs} (interleaved)", flush=True)
    execs = measure.exec_latency(engines, args.exec_runs, args.warmups)
    print("monitor memory", flush=True)
    monitors = per_engine(engines, measure.monitor_rss)
    print(f"list {args.containers} containers x{args.requests}", flush=True)
    lists = per_engine(engines, lambda e: measure.list_latency(e, args.containers, args.requests))
    print(f"logs {args.log_mib} MiB", flush=True)
    size = args.log_mib * measure.MIB
    logs = per_engine(engines, lambda e: measure.log_throughput(e, size, args.log_reads))
    metrics = build_metrics(idle, runs, args.containers, monitors, lists, logs)
    metrics[2:2] = [
        Metric("exec_median", "docker exec true, median", "ms",
               *pair(execs, median_ms), Target("ratio_max", 0.5)),
        Metric("exec_p90", "docker exec true, p90", "ms", *pair(execs, lambda s: p90(s) * 1000)),
    ]
    raw = {"run_rm_s": runs, "exec_s": execs, "list_s": lists, "logs": logs,
           "idle_rss_mib": idle, "monitor": monitors}
    return metrics, raw


def network_or_none(engines: list[Engine], args: argparse.Namespace,
                    errors: list[str]) -> dict[str, Any] | None:
    """The network figures, or None when the benchmark failed (reported, the run goes on)."""
    try:
        return netbench.network_benchmarks(engines, args.net_runs, args.warmups, args.net_mib,
                                           args.net_reads)
    except Exception as e:
        print(f"  warning: network benchmarks failed: {e}", file=sys.stderr)
        errors.append(f"network: {e}")
        return None


def network_metrics(net: dict[str, Any] | None, mib: int) -> list[Metric]:
    """Rows of the network benchmarks (figures missing when they failed)."""
    def figure(name: str, key: str, pick: Callable[[list[float]], float]) -> float | None:
        samples = None if net is None else net[key].get(name)
        return None if not samples else pick(samples)

    def rate(samples: list[float]) -> float:
        return mib / median(samples)

    def both(key: str, pick: Callable[[list[float]], float]) -> tuple[float | None,
                                                                      float | None]:
        return figure("skiff", key, pick), figure("dockerd", key, pick)

    paths = {} if net is None else net["publish_path"]
    path_note = "; ".join(f"{name}: {path}" for name, path in paths.items())
    name = netbench.NETWORK
    return [
        Metric("net_run_median", f"docker run --rm --network {name} true, median", "ms",
               *both("run_s", median_ms), Target("ratio_max", 0.5),
               f"user-defined bridge network `{name}` on each engine"
               + ("" if net is not None else "; the network benchmarks failed, see stderr")),
        Metric("net_run_p90", f"docker run --rm --network {name} true, p90", "ms",
               *both("run_s", lambda s: p90(s) * 1000)),
        Metric("net_c2c", f"TCP container -> container ({mib} MiB), median", "MiB/s",
               *both("c2c_s", rate), Target("ratio_min", 0.9),
               f"busybox wget <server IP>:{netbench.PORT} from a second container on `{name}`,"
               " timed inside it; server: busybox httpd, file on tmpfs"),
        Metric("net_host", f"TCP host -> 127.0.0.1 published port ({mib} MiB), median",
               "MiB/s", *both("host_s", rate), Target("ratio_min", 0.9),
               f"python socket on the host; path: {path_note or 'unknown'}"),
    ]


def restart_or_none(engine: Engine, args: argparse.Namespace) -> dict[str, Any] | None:
    """The restart figures, or None when the test failed (reported, the run goes on)."""
    try:
        return measure.restart_time(engine, args.restart_containers, args.restarts)
    except Exception as e:
        print(f"  warning: {engine.name} restart test failed: {e}", file=sys.stderr)
        return None


def restart_metrics(restarts: dict[str, dict[str, Any] | None], count: int) -> list[Metric]:
    """Rows of the restart test (informational; dockerd only if it could be measured)."""
    def figure(name: str, key: str) -> float | None:
        result = restarts.get(name)
        return None if result is None else median(result[key])

    note = ("kill -9, new daemon on the same root, live restore; dockerd column: dockerd "
            "restarted with --live-restore, containerd kept running")
    return [
        Metric("restart_ping", f"restart, {count} running: /_ping", "s",
               figure("skiff", "ping_s"), figure("dockerd", "ping_s"), note=note),
        Metric("restart_ready", f"restart, {count} running: all listed + logs/exec", "s",
               figure("skiff", "ready_s"), figure("dockerd", "ready_s")),
    ]


def median_ms(samples: list[float]) -> float:
    """Median of second samples, in milliseconds."""
    return median(samples) * 1000


def build_metrics(idle: dict[str, float], runs: dict[str, list[float]], containers: int,
                  monitors: dict[str, tuple[float, str]], lists: dict[str, list[float]],
                  logs: dict[str, dict[str, Any]]) -> list[Metric]:
    """The table rows, with their targets."""
    monitor_names = " vs ".join(name for _, name in monitors.values())
    return [
        Metric("run_rm_median", "docker run --rm true, median", "ms",
               *pair(runs, median_ms), Target("ratio_max", 0.5)),
        Metric("run_rm_p90", "docker run --rm true, p90", "ms",
               *pair(runs, lambda s: p90(s) * 1000)),
        Metric("list_median", f"GET /containers/json ({containers}), median", "ms",
               *pair(lists, median_ms), Target("ratio_max", 1.0)),
        Metric("log_write", "log write (start..wait)", "MiB/s",
               *pair(logs, lambda r: r["write_mibps"]), Target("ratio_min", 4.0)),
        Metric("log_cli", "docker logs > /dev/null", "MiB/s",
               *pair(logs, lambda r: r["cli_mibps"]), Target("ratio_min", 2.0)),
        Metric("log_raw", "GET /containers/{id}/logs", "MiB/s",
               *pair(logs, lambda r: r["raw_mibps"]), Target("abs_min", 100.0)),
        Metric("idle_rss", "idle daemon RSS", "MiB", *pair(idle, float),
               Target("abs_max", 60.0), "dockerd column: dockerd + containerd"),
        Metric("monitor_rss", "per-container monitor RSS", "MiB",
               *pair(monitors, lambda m: m[0]), note=monitor_names),
    ]


def start_engines(args: argparse.Namespace) -> list[Engine]:
    """Start skiffd and (unless disabled or absent) the reference; import busybox in both."""
    engines = [daemons.start_skiffd()]
    if not args.no_reference:
        ref = daemons.start_reference()
        if ref is None:
            print("reference dockerd not installed (bash bench/setup-reference): skipping it")
        else:
            engines.append(ref)
    for engine in engines:
        daemons.import_busybox(engine)
    return engines


def clean_up(engines: list[Engine], args: argparse.Namespace) -> None:
    """Remove bench containers; stop the daemons unless --keep; report leftovers."""
    for engine in engines:
        try:
            measure.remove_bench_containers(engine)
        except Exception as e:  # keep cleaning the rest
            print(f"warning: cleaning {engine.name} failed: {e}", file=sys.stderr)
    if args.keep:
        return
    daemons.stop_skiffd()
    if not args.no_reference:
        daemons.stop_reference()
    left = daemons.mounts_under(daemons.LIB, daemons.RUN)
    if left:
        print(f"warning: mounts left behind: {left}", file=sys.stderr)


def versions(engines: list[Engine]) -> dict[str, str]:
    """Server version of each engine."""
    return {e.name: str(e.api.json("GET", "/version").get("Version")) for e in engines}


def notes(metrics: list[Metric]) -> str:
    """Footnotes of the rows that have one."""
    return "\n".join(f"  {m.label}: {m.note}" for m in metrics if m.note)


def context(engines: list[Engine], args: argparse.Namespace) -> dict[str, Any]:
    """Run metadata for the JSON file."""
    return {"versions": versions(engines),
            "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "host": platform.node(), "kernel": platform.release(),
            "engines": [e.name for e in engines],
            "network": f"core and restart benchmarks: none; network benchmarks: "
                       f"{netbench.NETWORK} (user-defined bridge) and 127.0.0.1 published port",
            "options": {k: str(v) for k, v in vars(args).items()}}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print the table, write JSON; 1 if a target failed."""
    args = parse_args(argv)
    engines: list[Engine] = []
    try:
        engines = start_engines(args)
        meta = context(engines, args)
        print("engines: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()))
        metrics, raw = collect(engines, args)
    finally:
        clean_up(engines, args)
    print()
    print(table(metrics))
    print(notes(metrics))
    write_json(args.output, metrics, {**meta, "samples": raw})
    print(f"\nresults: {args.output}")
    for error in raw["errors"]:
        print(f"error: {error}", file=sys.stderr)
    return 1 if raw["errors"] or any(m.verdict == "FAIL" for m in metrics) else 0


if __name__ == "__main__":
    sys.exit(main())
