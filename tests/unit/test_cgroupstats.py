"""Reading a container's cgroup files, v2 (recorded in a temporary tree) and v1."""

from __future__ import annotations

from pathlib import Path

from skiff.drivers import cgroupstats


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_v2(tmp_path: Path) -> None:
    _tree(tmp_path, {
        "skiff/c1/cpu.stat": "usage_usec 2500\nuser_usec 1500\nsystem_usec 1000\n"
                             "nr_periods 4\nnr_throttled 1\nthrottled_usec 30\n",
        "skiff/c1/memory.current": "8192000\n", "skiff/c1/memory.max": "16777216\n",
        "skiff/c1/memory.peak": "9000000\n",
        "skiff/c1/memory.stat": "anon 4096000\nfile 4096000\ninactive_file 1024000\n",
        "skiff/c1/memory.events": "low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n",
        "skiff/c1/pids.current": "3\n", "skiff/c1/pids.max": "max\n",
        "skiff/c1/io.stat": "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"})
    sample = cgroupstats.read("/skiff/c1", 0, root=tmp_path, version=2)
    assert (sample.cpu_total_ns, sample.cpu_user_ns, sample.cpu_system_ns) == (
        2_500_000, 1_500_000, 1_000_000)
    assert sample.throttling == {"periods": 4, "throttled_periods": 1, "throttled_time": 30_000}
    assert (sample.memory_usage, sample.memory_limit) == (8192000, 16777216)
    assert sample.memory_stats["inactive_file"] == 1024000
    assert (sample.pids_current, sample.pids_limit) == (3, 0)  # max: no limit
    assert sample.oom_kills == 1
    assert sample.blkio == [(8, 0, "read", 4096), (8, 0, "write", 8192)]
    assert sample.blkio_serviced == [(8, 0, "read", 1), (8, 0, "write", 2)]
    unlimited = tmp_path / "skiff/c1/memory.max"
    unlimited.write_text("max\n")
    assert cgroupstats.read("/skiff/c1", 0, root=tmp_path, version=2).memory_limit == \
        cgroupstats.host_memory()


def test_v1(tmp_path: Path) -> None:
    _tree(tmp_path, {
        "cpuacct/skiff/c1/cpuacct.usage": "3000\n",
        "cpuacct/skiff/c1/cpuacct.usage_percpu": "1000 2000\n",
        "cpuacct/skiff/c1/cpuacct.stat": f"user {cgroupstats.CLOCK_TICKS}\nsystem 0\n",
        "memory/skiff/c1/memory.usage_in_bytes": "5000\n",
        "memory/skiff/c1/memory.limit_in_bytes": "9223372036854771712\n",
        "memory/skiff/c1/memory.stat": "total_inactive_file 1000\ncache 2000\n",
        "memory/skiff/c1/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
        "pids/skiff/c1/pids.current": "1\n", "pids/skiff/c1/pids.max": "50\n",
        "blkio/skiff/c1/blkio.throttle.io_service_bytes_recursive":
            "8:0 Read 10\n8:0 Write 20\n8:0 Total 30\nTotal 30\n"})
    sample = cgroupstats.read("/skiff/c1", 0, root=tmp_path, version=1)
    assert sample.cpu_total_ns == 3000 and sample.percpu_ns == [1000, 2000]
    assert sample.cpu_user_ns == 1_000_000_000
    assert sample.memory_limit == cgroupstats.host_memory()  # unlimited: the host's memory
    assert sample.memory_stats == {"total_inactive_file": 1000, "cache": 2000}
    assert (sample.pids_current, sample.pids_limit) == (1, 50)
    assert sample.oom_kills == 2
    assert sample.blkio == [(8, 0, "Read", 10), (8, 0, "Write", 20), (8, 0, "Total", 30)]
