"""The per-container collector over recorded cgroup v2 files: cAdvisor's names, labels and
units, and only skiff's counters for a container that does not run."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from skiff.drivers import cgroupstats
from skiff.engine.containers.model import Container
from skiff.engine.monitoring.containers import ContainerCollector
from skiff.engine.monitoring.engine import ContainerCounts

V2_FILES = {
    "cpu.stat": "usage_usec 2500000\nuser_usec 1500000\nsystem_usec 1000000\n"
                "nr_periods 10\nnr_throttled 2\nthrottled_usec 500000\n",
    "memory.current": "8192000\n", "memory.max": "16777216\n", "memory.peak": "9000000\n",
    "memory.stat": "anon 4096000\nfile 2048000\ninactive_file 1024000\nswap 0\n",
    "memory.events": "low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n",
    "pids.current": "3\n", "pids.max": "100\n",
    "io.stat": "253:7 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n",
}


def _container(cid: str, name: str, running: bool) -> Container:
    labels = {"com.docker.compose.project": "shop", "com.docker.compose.service": "web"}
    container = Container(cid, name, 0, "sha256:" + "1" * 64, "shop-web:latest",
                          {"Labels": labels}, {"Memory": 16777216, "NanoCpus": 500_000_000})
    if running:
        container.state.set_running(4242, 1_700_000_000 * cgroupstats.NS)
    return container


def _scrape(tmp_path: Path, containers: list[Container],
            counts: dict[str, ContainerCounts]) -> dict[str, dict[tuple, float]]:
    def sample(container: Container, facts: cgroupstats.HostFacts) -> cgroupstats.Sample:
        return cgroupstats.read(f"/skiff/{container.id}", 0, root=tmp_path, version=2,
                                host=facts)

    registry = CollectorRegistry()
    registry.register(ContainerCollector(lambda: containers, lambda c: f"/skiff/{c.id}",
                                         sample, lambda cid: counts.get(cid, ContainerCounts())))
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for s in family.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def test_cadvisor_series_from_v2_files(tmp_path: Path) -> None:
    for name, text in V2_FILES.items():
        (tmp_path / "skiff" / "c1").mkdir(parents=True, exist_ok=True)
        (tmp_path / "skiff" / "c1" / name).write_text(text)
    up, down = _container("c1", "web-1", True), _container("c2", "web-2", False)
    series = _scrape(tmp_path, [up, down], {"c1": ContainerCounts(restarts=3,
                                                                  health_checks=5,
                                                                  health_check_failures=2)})
    labels = (("container_label_com_docker_compose_project", "shop"),
              ("container_label_com_docker_compose_service", "web"), ("id", "/skiff/c1"),
              ("image", "shop-web:latest"), ("name", "web-1"))

    def one(metric: str, *extra: tuple[str, str]) -> float:
        return series[metric][tuple(sorted(labels + extra))]

    assert one("container_cpu_usage_seconds_total", ("cpu", "total")) == 2.5
    assert one("container_cpu_user_seconds_total") == 1.5
    assert one("container_cpu_cfs_throttled_periods_total") == 2
    assert one("container_cpu_cfs_throttled_seconds_total") == 0.5
    assert one("container_memory_usage_bytes") == 8192000
    assert one("container_memory_working_set_bytes") == 8192000 - 1024000
    assert one("container_memory_rss") == 4096000 and one("container_memory_cache") == 2048000
    assert one("container_memory_max_usage_bytes") == 9000000
    assert one("container_spec_memory_limit_bytes") == 16777216
    assert one("container_spec_cpu_quota") == 50_000  # half a CPU over the default period
    assert one("container_oom_events_total") == 1
    assert one("container_pids") == 3 and one("container_threads_max") == 100
    assert one("container_start_time_seconds") == 1_700_000_000
    device = next(dict(k)["device"] for k in series["container_fs_reads_bytes_total"])
    assert one("container_fs_reads_bytes_total", ("device", device)) == 4096
    assert one("container_fs_writes_total", ("device", device)) == 2
    assert one("skiff_container_restarts_total") == 3
    assert one("skiff_container_health_check_failures_total") == 2
    # the stopped container: skiff's counters, and no cgroup series
    names = {dict(k)["name"] for k in series["skiff_container_restarts_total"]}
    assert names == {"web-1", "web-2"}
    assert {dict(k)["name"] for k in series["container_memory_usage_bytes"]} == {"web-1"}
