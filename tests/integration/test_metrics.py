"""skiffd's metrics endpoint (``--metrics-addr``): dockerd's engine series, cAdvisor's series
for every running container agreeing with ``/stats``, skiff's own counters, and a real
Prometheus server scraping it."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Daemon, DockerCLI, free_port, start_daemon, stop_daemon, wait_until

MiB = 1024 * 1024


def scrape(url: str) -> list[tuple[str, dict[str, str], float]]:
    """Every sample of one scrape: (name, labels, value)."""
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text)
            for s in family.samples]


def value(samples: list[tuple[str, dict[str, str], float]], metric: str, /,
          **labels: str) -> float | None:
    """The one sample called ``metric`` whose labels include ``labels`` (None: none is)."""
    found = [v for n, lab, v in samples if n == metric and labels.items() <= lab.items()]
    assert len(found) <= 1, f"{metric}{labels} matches {len(found)} series"
    return found[0] if found else None


@pytest.fixture
def busy(docker: DockerCLI) -> Iterator[str]:
    name = f"metrics-busy-{time.monotonic_ns()}"
    docker("run", "-d", "--init", "--name", name, "-m", "64m",
           "--label", "com.docker.compose.project=shop",
           "--label", "com.docker.compose.service=web", "busybox", "sh", "-c",
           "while :; do :; done")
    yield name
    docker("rm", "-f", name, check=False)


def test_engine_series_as_dockerd_names_them(daemon: Daemon, docker: DockerCLI,
                                             name: str) -> None:
    before = scrape(daemon.metrics)
    info = [lab for n, lab, _ in before if n == "engine_daemon_engine_info"]
    assert len(info) == 1 and info[0]["graphdriver"] == "overlay2"
    assert info[0]["os_type"] == "linux" and info[0]["kernel"] and info[0]["daemon_id"]
    assert (value(before, "engine_daemon_engine_cpus_cpus") or 0) >= 1
    assert (value(before, "engine_daemon_engine_memory_bytes") or 0) > 0
    for reason in ("dockerfile_syntax_error", "build_canceled"):  # there from the start
        assert value(before, "builder_builds_failed_total", reason=reason) is not None
    created = value(before, "engine_daemon_container_actions_seconds_count", action="create")
    stopped = value(before, "engine_daemon_container_states_containers", state="stopped")
    events = value(before, "engine_daemon_events_total")
    assert created is not None and stopped is not None and events is not None

    docker("create", "--name", name, "busybox", "true")
    after = scrape(daemon.metrics)
    assert value(after, "engine_daemon_container_actions_seconds_count",
                 action="create") == created + 1
    assert value(after, "engine_daemon_container_states_containers",
                 state="stopped") == stopped + 1
    assert (value(after, "engine_daemon_events_total") or 0) > events
    docker("rm", name)


def test_container_series_agree_with_stats(daemon: Daemon, client: Any, busy: str) -> None:
    container = client.containers.get(busy)
    time.sleep(0.5)
    samples = scrape(daemon.metrics)
    stats = container.stats(stream=False, one_shot=True)
    labels = {"name": busy, "id": f"/skiff/{container.id}", "image": "busybox",
              "container_label_com_docker_compose_project": "shop",
              "container_label_com_docker_compose_service": "web"}
    assert value(samples, "container_spec_memory_limit_bytes", **labels) == 64 * MiB
    assert value(samples, "container_pids", **labels) == stats["pids_stats"]["current"] == 2
    cpu = value(samples, "container_cpu_usage_seconds_total", cpu="total", **labels)
    assert cpu is not None and cpu > 0.1  # it spins
    assert abs(stats["cpu_stats"]["cpu_usage"]["total_usage"] / 1e9 - cpu) < 0.5
    usage = value(samples, "container_memory_usage_bytes", **labels)
    assert usage is not None and abs(stats["memory_stats"]["usage"] - usage) < MiB
    working = value(samples, "container_memory_working_set_bytes", **labels)
    assert working is not None and 0 < working <= usage
    received = value(samples, "container_network_receive_bytes_total", interface="eth0",
                     **labels)
    assert received is not None and received <= stats["networks"]["eth0"]["rx_bytes"]
    started = value(samples, "container_start_time_seconds", **labels)
    assert started is not None and abs(started - time.time()) < 120
    assert abs((value(samples, "container_last_seen", **labels) or 0) - time.time()) < 10
    assert value(samples, "container_oom_events_total", **labels) == 0
    assert value(samples, "skiff_container_restarts_total", **labels) == 0


def test_healthchecks_and_restarts_counted(daemon: Daemon, docker: DockerCLI,
                                           cleanup: list[str]) -> None:
    sick, flaky = f"metrics-sick-{time.monotonic_ns()}", f"metrics-flaky-{time.monotonic_ns()}"
    cleanup += [sick, flaky]
    failed = value(scrape(daemon.metrics), "engine_daemon_health_checks_failed_total") or 0
    docker("run", "-d", "--init", "--name", sick, "--health-cmd", "exit 1",
           "--health-interval", "1s", "--health-retries", "1", "busybox", "sleep", "60")
    docker("run", "-d", "--name", flaky, "--restart", "on-failure:2", "busybox",
           "sh", "-c", "exit 3")

    def counted() -> bool:
        samples = scrape(daemon.metrics)
        return ((value(samples, "skiff_container_health_check_failures_total", name=sick)
                 or 0) >= 2 and
                value(samples, "skiff_container_restarts_total", name=flaky) == 2)

    wait_until(counted, timeout=30, what="two failed probes and two restarts counted")
    samples = scrape(daemon.metrics)
    assert (value(samples, "engine_daemon_health_checks_failed_total") or 0) >= failed + 2
    assert (value(samples, "skiff_container_health_checks_total", name=sick) or 0) >= 2


def test_openmetrics_and_other_paths(daemon: Daemon) -> None:
    request = urllib.request.Request(
        daemon.metrics, headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read().decode()
        assert response.headers["Content-Type"].startswith("application/openmetrics-text")
    assert body.endswith("# EOF\n") and "engine_daemon_engine_info" in body
    with urllib.request.urlopen(daemon.metrics, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(daemon.metrics.replace("/metrics", "/other"), timeout=10)
    assert missing.value.code == 404
    missing.value.close()


def test_bad_metrics_addresses_stop_the_daemon(private_root: Path) -> None:
    with pytest.raises(RuntimeError, match="invalid metrics-addr"):
        start_daemon(private_root, "--metrics-addr", "nonsense")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match=f"cannot serve metrics on 127.0.0.1:{port}"):
            start_daemon(private_root, "--metrics-addr", f"127.0.0.1:{port}")


def test_metrics_addr_from_daemon_json(private_root: Path) -> None:
    private_root.mkdir(parents=True)
    port = free_port()
    (private_root / "daemon.json").write_text(json.dumps({"metrics-addr": f"127.0.0.1:{port}"}))
    own = start_daemon(private_root)
    try:
        assert value(scrape(f"http://127.0.0.1:{port}/metrics"),
                     "engine_daemon_container_states_containers", state="running") == 0
    finally:
        stop_daemon(own)


def query(prometheus: str, promql: str) -> list[dict[str, Any]]:
    url = f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=10) as response:
        answer = json.loads(response.read())
    assert answer["status"] == "success", answer
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


def test_scraped_by_prometheus(daemon: Daemon, client: Any, busy: str,
                               tmp_path: Path) -> None:
    binary = shutil.which("prometheus")
    assert binary, "prometheus is not installed (scripts/install --test installs it)"
    target = daemon.metrics.removeprefix("http://").removesuffix("/metrics")
    (tmp_path / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
        "scrape_configs:\n"
        f"  - {{job_name: skiff, static_configs: [{{targets: ['{target}']}}]}}\n")
    port = free_port()
    server = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "prometheus.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [binary, f"--config.file={tmp_path / 'prometheus.yml'}",
         f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    log.close()
    try:
        def scraped() -> list[dict[str, Any]] | None:
            assert process.poll() is None, (tmp_path / "prometheus.log").read_text()
            try:
                return query(server, f'container_pids{{name="{busy}"}}') or None
            except OSError:  # not listening yet
                return None

        wait_until(scraped, timeout=60, what="prometheus to scrape skiffd")
        assert [r["value"][1] for r in query(server, 'up{job="skiff"}')] == ["1"]
        assert query(server, f'container_pids{{name="{busy}"}}')[0]["value"][1] == "2"
        limit = query(server, f'container_spec_memory_limit_bytes{{name="{busy}"}}')
        assert limit[0]["metric"]["container_label_com_docker_compose_service"] == "web"
        assert int(limit[0]["value"][1]) == 64 * MiB
        usage = query(server, f'container_memory_usage_bytes{{name="{busy}"}}')
        stats = client.containers.get(busy).stats(stream=False, one_shot=True)
        assert abs(float(usage[0]["value"][1]) - stats["memory_stats"]["usage"]) < MiB
        rate = query(server, f'rate(container_cpu_usage_seconds_total{{name="{busy}"}}[5s])')
        if rate:  # two scrapes in the window: a spinning shell uses about one CPU
            assert 0.5 < float(rate[0]["value"][1]) < 1.5
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
