"""Per-container series under cAdvisor's names and labels (``id`` the cgroup, ``name``,
``image``, the compose project and service as ``container_label_*``), read from each running
container's cgroup at the scrape; and skiff's own counters for every container."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from skiff.drivers.cgroupstats import NS, HostFacts, Sample
from skiff.engine.containers.model import Container
from skiff.engine.monitoring.engine import ContainerCounts

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
LABELS = ["id", "name", "image", "container_label_com_docker_compose_project",
          "container_label_com_docker_compose_service"]


class _Families:
    """The metric families of one scrape, filled container by container."""

    def __init__(self) -> None:
        self.all: list[Metric] = []

    def counter(self, name: str, doc: str, *extra: str) -> CounterMetricFamily:
        family = CounterMetricFamily(name, doc, labels=[*LABELS, *extra])
        self.all.append(family)
        return family

    def gauge(self, name: str, doc: str, *extra: str) -> GaugeMetricFamily:
        family = GaugeMetricFamily(name, doc, labels=[*LABELS, *extra])
        self.all.append(family)
        return family


def device_name(major: int, minor: int, cache: dict[tuple[int, int], str]) -> str:
    """``/dev/sda`` for 8:0, as cAdvisor's ``device`` label; ``8:0`` when sysfs does not say."""
    key = (major, minor)
    if key not in cache:
        name = f"{major}:{minor}"
        with contextlib.suppress(OSError):
            for line in Path(f"/sys/dev/block/{major}:{minor}/uevent").read_text().splitlines():
                if line.startswith("DEVNAME="):
                    name = "/dev/" + line.split("=", 1)[1]
        cache[key] = name
    return cache[key]


def labels_of(container: Container, group: str) -> list[str]:
    labels = container.labels
    return [group, container.name, container.image_ref or container.image_id,
            labels.get(PROJECT_LABEL, ""), labels.get(SERVICE_LABEL, "")]


def working_set(sample: Sample) -> int:
    """Usage less the inactive file cache, as cAdvisor and docker stats count it."""
    key = "inactive_file" if sample.version == 2 else "total_inactive_file"
    inactive = sample.memory_stats.get(key, 0)
    return max(sample.memory_usage - inactive, 0)


class ContainerCollector(Collector):
    """Collects at each scrape; ``sample`` reads a running container's cgroup."""

    def __init__(self, containers: Callable[[], list[Container]],
                 group: Callable[[Container], str],
                 sample: Callable[[Container, HostFacts], Sample],
                 counts: Callable[[str], ContainerCounts]) -> None:
        self._containers = containers
        self._group = group
        self._sample = sample
        self._counts = counts
        self._devices: dict[tuple[int, int], str] = {}

    def collect(self) -> Iterator[Metric]:
        f = _Families()
        restarts = f.counter("skiff_container_restarts", "Restarts by the restart policy "
                             "since skiffd started")
        checks = f.counter("skiff_container_health_checks", "Healthcheck probes run")
        failures = f.counter("skiff_container_health_check_failures",
                             "Healthcheck probes that failed")
        dropped = f.counter("skiff_container_log_lines_dropped",
                            "Log lines a non-blocking log driver dropped")
        cpu = f.counter("container_cpu_usage_seconds", "Cumulative cpu time consumed in "
                        "seconds.", "cpu")
        user = f.counter("container_cpu_user_seconds", "Cumulative user cpu time consumed "
                         "in seconds.")
        system = f.counter("container_cpu_system_seconds", "Cumulative system cpu time "
                           "consumed in seconds.")
        periods = f.counter("container_cpu_cfs_periods", "Number of elapsed enforcement "
                            "period intervals.")
        throttled = f.counter("container_cpu_cfs_throttled_periods",
                              "Number of throttled period intervals.")
        throttled_s = f.counter("container_cpu_cfs_throttled_seconds",
                                "Total time duration the container has been throttled.")
        usage = f.gauge("container_memory_usage_bytes", "Current memory usage in bytes, "
                        "including all memory regardless of when it was accessed")
        wset = f.gauge("container_memory_working_set_bytes", "Current working set in bytes.")
        rss = f.gauge("container_memory_rss", "Size of RSS in bytes.")
        cache = f.gauge("container_memory_cache", "Number of bytes of page cache memory.")
        swap = f.gauge("container_memory_swap", "Container swap usage in bytes.")
        max_usage = f.gauge("container_memory_max_usage_bytes",
                            "Maximum memory usage recorded in bytes")
        failcnt = f.gauge("container_memory_failcnt", "Number of memory usage hits limits")
        limit = f.gauge("container_spec_memory_limit_bytes", "Memory limit for the container.")
        shares = f.gauge("container_spec_cpu_shares", "CPU share of the container.")
        quota = f.gauge("container_spec_cpu_quota", "CPU quota of the container.")
        period = f.gauge("container_spec_cpu_period", "CPU period of the container.")
        oom = f.counter("container_oom_events", "Count of out of memory events observed for "
                        "the container")
        pids = f.gauge("container_pids", "Number of tasks (processes and threads) in the "
                       "container's pids cgroup")
        threads_max = f.gauge("container_threads_max", "Maximum number of threads allowed "
                              "inside the container, infinity if value is zero")
        started = f.gauge("container_start_time_seconds", "Start time of the container since "
                          "unix epoch in seconds.")
        seen = f.gauge("container_last_seen", "Last time a container was seen by the exporter")
        net = {key: f.counter(f"container_network_{name}", doc, "interface") for key, name, doc
               in (("rx_bytes", "receive_bytes", "Cumulative count of bytes received"),
                   ("rx_packets", "receive_packets", "Cumulative count of packets received"),
                   ("rx_errors", "receive_errors", "Cumulative count of errors encountered "
                    "while receiving"),
                   ("rx_dropped", "receive_packets_dropped", "Cumulative count of packets "
                    "dropped while receiving"),
                   ("tx_bytes", "transmit_bytes", "Cumulative count of bytes transmitted"),
                   ("tx_packets", "transmit_packets", "Cumulative count of packets "
                    "transmitted"),
                   ("tx_errors", "transmit_errors", "Cumulative count of errors encountered "
                    "while transmitting"),
                   ("tx_dropped", "transmit_packets_dropped", "Cumulative count of packets "
                    "dropped while transmitting"))}
        fs_bytes = {"read": f.counter("container_fs_reads_bytes", "Cumulative count of bytes "
                                      "read", "device"),
                    "write": f.counter("container_fs_writes_bytes", "Cumulative count of "
                                       "bytes written", "device")}
        fs_ops = {"read": f.counter("container_fs_reads", "Cumulative count of reads "
                                    "completed", "device"),
                  "write": f.counter("container_fs_writes", "Cumulative count of writes "
                                     "completed", "device")}
        now = time.time()
        facts = HostFacts.now()
        for container in self._containers():
            group = self._group(container)
            labels = labels_of(container, group)
            counted = self._counts(container.id)
            restarts.add_metric(labels, counted.restarts)
            checks.add_metric(labels, counted.health_checks)
            failures.add_metric(labels, counted.health_check_failures)
            dropped.add_metric(labels, counted.log_lines_dropped)
            if not container.state.Running or container.state.Restarting:
                continue
            try:
                sample = self._sample(container, facts)
            except OSError:  # it stopped while the scrape read it
                continue
            cpu.add_metric([*labels, "total"], sample.cpu_total_ns / NS)
            user.add_metric(labels, sample.cpu_user_ns / NS)
            system.add_metric(labels, sample.cpu_system_ns / NS)
            if sample.throttling.get("periods"):
                periods.add_metric(labels, sample.throttling["periods"])
                throttled.add_metric(labels, sample.throttling.get("throttled_periods", 0))
                throttled_s.add_metric(labels, sample.throttling.get("throttled_time", 0) / NS)
            stats = sample.memory_stats
            v2 = sample.version == 2
            usage.add_metric(labels, sample.memory_usage)
            wset.add_metric(labels, working_set(sample))
            rss.add_metric(labels, stats.get("anon" if v2 else "total_rss", 0))
            cache.add_metric(labels, stats.get("file" if v2 else "total_cache", 0))
            swap.add_metric(labels, stats.get("swap" if v2 else "total_swap", 0))
            max_usage.add_metric(labels, sample.memory_max_usage)
            failcnt.add_metric(labels, sample.memory_failcnt)
            host = container.host_config
            limit.add_metric(labels, int(host.get("Memory") or 0))
            shares.add_metric(labels, int(host.get("CpuShares") or 1024))
            quota.add_metric(labels, int(host.get("CpuQuota") or 0)
                             or int(host.get("NanoCpus") or 0) // 10_000)
            period.add_metric(labels, int(host.get("CpuPeriod") or 0) or 100_000)
            oom.add_metric(labels, sample.oom_kills)
            pids.add_metric(labels, sample.pids_current)
            threads_max.add_metric(labels, sample.pids_limit)
            started.add_metric(labels, container.state.StartedAt / NS)
            seen.add_metric(labels, now)
            for interface, counters in sample.networks.items():
                for key, family in net.items():
                    family.add_metric([*labels, interface], counters.get(key, 0))
            for major, minor, op, value in sample.blkio:
                if op.lower() in fs_bytes:
                    fs_bytes[op.lower()].add_metric(
                        [*labels, device_name(major, minor, self._devices)], value)
            for major, minor, op, value in sample.blkio_serviced:
                if op.lower() in fs_ops:
                    fs_ops[op.lower()].add_metric(
                        [*labels, device_name(major, minor, self._devices)], value)
        yield from f.all
