"""The engine's own series, under dockerd's names (``engine_daemon_*``, ``builder_*``), and
the per-container counters nobody else exports; the Telemetry the services report into."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# client_golang's default buckets, which dockerd's timers use
BUCKETS = (.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10)
CONTAINER_ACTIONS = ("changes", "commit", "create", "delete", "start")
NETWORK_ACTIONS = ("connect", "create", "delete")
IMAGE_ACTIONS = ("delete", "import", "tag")
INFO_LABELS = ("version", "commit", "architecture", "graphdriver", "kernel", "os", "os_type",
               "os_version", "daemon_id")


@dataclass
class ContainerCounts:
    """What skiffd counted for one container since it started."""

    restarts: int = 0
    health_checks: int = 0
    health_check_failures: int = 0
    log_lines_dropped: int = 0


class _States(Collector):
    """``engine_daemon_container_states_containers``: counted at each scrape."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = {"running": 0, "paused": 0, "stopped": 0, **self._counts()}
        family = GaugeMetricFamily("engine_daemon_container_states",
                                   "The count of containers in various states",
                                   labels=["state"], unit="containers")
        for state, count in counts.items():
            family.add_metric([state], count)
        yield family


BUILD_FAILURES = ("build_canceled", "build_target_not_reachable_error",
                  "command_not_supported_error", "dockerfile_empty_error",
                  "dockerfile_syntax_error", "error_processing_commands_error",
                  "missing_onbuild_arguments_error", "unknown_instruction_error")


def _actions(registry: CollectorRegistry, kind: str, actions: tuple[str, ...]) -> Histogram:
    """dockerd's ``engine_daemon_<kind>_actions_seconds``, every action shown from the start."""
    histogram = Histogram(f"engine_daemon_{kind}_actions_seconds",
                          f"The number of seconds it takes to process each {kind} action",
                          ["action"], buckets=BUCKETS, registry=registry)
    for action in actions:
        histogram.labels(action)
    return histogram


class EngineMetrics:
    """dockerd's engine metrics on a registry of their own; implements the engine's
    Telemetry, and keeps the per-container counts the container collector exports."""

    def __init__(self, registry: CollectorRegistry, cpus: int, memory: int) -> None:
        self.registry = registry
        self._lock = threading.Lock()
        self._counts: dict[str, ContainerCounts] = {}
        self._container_actions = _actions(registry, "container", CONTAINER_ACTIONS)
        self._network_actions = _actions(registry, "network", NETWORK_ACTIONS)
        self._image_actions = _actions(registry, "image", IMAGE_ACTIONS)
        self._engine = Gauge("engine_daemon_engine_info",
                             "The information related to the engine and the OS it is running "
                             "on", list(INFO_LABELS), registry=registry)
        Gauge("engine_daemon_engine_cpus_cpus", "The number of cpus that the host system of the "
              "engine has", unit="cpus", registry=registry).set(cpus)
        Gauge("engine_daemon_engine_memory", "The number of bytes of memory that the host "
              "system of the engine has", unit="bytes", registry=registry).set(memory)
        self._health_checks = Counter("engine_daemon_health_checks",
                                      "The total number of health checks", registry=registry)
        self._health_failed = Counter("engine_daemon_health_checks_failed",
                                      "The total number of failed health checks",
                                      registry=registry)
        self._events = Counter("engine_daemon_events", "The number of events logged",
                               registry=registry)
        self._builds = Counter("builder_builds_triggered",
                               "Number of triggered image builds", registry=registry)
        self._builds_failed = Counter("builder_builds_failed",
                                      "Number of failed image builds", ["reason"],
                                      registry=registry)
        for reason in BUILD_FAILURES:  # every reason shows from the start, as in dockerd
            self._builds_failed.labels(reason)

    def describe_engine(self, info: dict[str, str]) -> None:
        """Set ``engine_daemon_engine_info``'s labels (version, kernel, os, daemon_id ...)."""
        self._engine.clear()
        self._engine.labels(*(info.get(label, "") for label in INFO_LABELS)).set(1)

    def watch_states(self, counts: Callable[[], dict[str, int]]) -> None:
        """Containers by state (running, paused, stopped), asked of ``counts`` at a scrape."""
        self.registry.register(_States(counts))

    def watch_subscribers(self, count: Callable[[], int]) -> None:
        gauge = Gauge("engine_daemon_events_subscribers", "The number of current "
                      "subscribers to events", registry=self.registry)
        gauge.set_function(lambda: float(count()))

    def counts(self, container_id: str) -> ContainerCounts:
        """A copy of what was counted for the container (zeroes for one never seen)."""
        with self._lock:
            counted = self._counts.get(container_id)
            return ContainerCounts(**vars(counted)) if counted else ContainerCounts()

    def _count(self, container_id: str) -> ContainerCounts:
        return self._counts.setdefault(container_id, ContainerCounts())

    # --- Telemetry ------------------------------------------------------------------------
    def container_action(self, action: str, seconds: float) -> None:
        self._container_actions.labels(action).observe(seconds)

    def network_action(self, action: str, seconds: float) -> None:
        self._network_actions.labels(action).observe(seconds)

    def image_action(self, action: str, seconds: float) -> None:
        self._image_actions.labels(action).observe(seconds)

    def health_check(self, container_id: str, failed: bool) -> None:
        self._health_checks.inc()
        if failed:
            self._health_failed.inc()
        with self._lock:
            counted = self._count(container_id)
            counted.health_checks += 1
            counted.health_check_failures += failed

    def restarted(self, container_id: str) -> None:
        with self._lock:
            self._count(container_id).restarts += 1

    def log_lines_dropped(self, container_id: str, count: int) -> None:
        with self._lock:
            self._count(container_id).log_lines_dropped += count

    def event(self, event_type: str, action: str) -> None:
        self._events.inc()

    def build(self, failure: str | None) -> None:
        self._builds.inc()
        if failure:
            self._builds_failed.labels(failure).inc()

    def forget(self, container_id: str) -> None:
        with self._lock:
            self._counts.pop(container_id, None)
