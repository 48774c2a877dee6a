"""Container create/start/inspect: Config and HostConfig options as a docker user sees them."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Daemon, DockerCLI

pytestmark = pytest.mark.timeout(120)

DEFAULT_CAPS = 0x00000000A80425FB  # Docker's default capability set
CAP_CHOWN = 1 << 0
CAP_SYS_ADMIN = 1 << 21


@pytest.fixture
def cleanup(docker: DockerCLI) -> Iterator[list[str]]:
    """Names/ids appended here are force-removed after the test."""
    names: list[str] = []
    yield names
    if names:
        docker("rm", "-f", *names, check=False)


def inspect(docker: DockerCLI, ref: str) -> dict[str, Any]:
    info: dict[str, Any] = json.loads(docker("inspect", ref).stdout)[0]
    return info


def run(docker: DockerCLI, cleanup: list[str], *args: str, check: bool = False,
        timeout: float = 60) -> Any:
    """``docker run --name <unique> ARGS`` and remember the container for cleanup."""
    name = f"t-{secrets.token_hex(4)}"
    cleanup.append(name)
    result = docker("run", "--name", name, *args, check=check, timeout=timeout)
    result.name = name  # type: ignore[attr-defined]
    return result


def cap_eff(output: str) -> int:
    match = re.search(r"^CapEff:\s*([0-9a-f]+)$", output, re.M)
    assert match, output
    return int(match.group(1), 16)


# --- Config -------------------------------------------------------------------------------


def test_create_records_config_fields(docker: DockerCLI, name: str,
                                      cleanup: list[str]) -> None:
    cleanup.append(name)
    cid = docker("create", "--name", name, "--entrypoint", "/bin/sh", "-e", "FOO=bar",
                 "--env", "EMPTY=", "-w", "/tmp", "-u", "daemon", "-l", "app=web",
                 "--label", "tier=front", "--hostname", "myhost", "-t", "-i",
                 "--stop-signal", "SIGUSR1", "--stop-timeout", "7",
                 "busybox", "-c", "echo hi").stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", cid)
    info = inspect(docker, name)
    assert info["Id"] == cid
    assert info["Name"] == "/" + name
    assert info["Path"] == "/bin/sh"
    assert info["Args"] == ["-c", "echo hi"]
    cfg = info["Config"]
    assert cfg["Entrypoint"] == ["/bin/sh"]
    assert cfg["Cmd"] == ["-c", "echo hi"]
    assert "FOO=bar" in cfg["Env"]
    assert "EMPTY=" in cfg["Env"]
    assert cfg["WorkingDir"] == "/tmp"
    assert cfg["User"] == "daemon"
    assert cfg["Labels"] == {"app": "web", "tier": "front"}
    assert cfg["Hostname"] == "myhost"
    assert cfg["Tty"] is True
    assert cfg["OpenStdin"] is True
    assert cfg["StopSignal"] == "SIGUSR1"
    assert cfg["StopTimeout"] == 7
    assert cfg["Image"] == "busybox"
    assert info["Image"].startswith("sha256:")
    assert info["State"]["Status"] == "created"
    assert info["State"]["Running"] is False
    assert info["State"]["Pid"] == 0


def test_image_default_cmd_is_used(docker: DockerCLI, name: str, cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("create", "--name", name, "busybox")
    info = inspect(docker, name)
    assert info["Config"]["Cmd"] == ["sh"]
    assert info["Path"] == "sh"
    assert info["Args"] == []


def test_process_sees_env_workdir_hostname(docker: DockerCLI) -> None:
    out = docker("run", "--rm", "-e", "FOO=bar", "-w", "/var/tmp", "--hostname", "myhost",
                 "busybox", "sh", "-c", 'echo "$FOO"; pwd; hostname; echo "$HOME"; echo "$PATH"'
                 ).stdout.splitlines()
    assert out[:4] == ["bar", "/var/tmp", "myhost", "/root"]
    assert "/bin" in out[4].split(":")


def test_workdir_is_created_when_missing(docker: DockerCLI) -> None:
    assert docker("run", "--rm", "-w", "/does/not/exist", "busybox", "pwd").stdout == \
        "/does/not/exist\n"


def test_entrypoint_override(docker: DockerCLI) -> None:
    assert docker("run", "--rm", "--entrypoint", "echo", "busybox", "a", "b").stdout == "a b\n"


@pytest.mark.parametrize(("user", "expected", "home"), [
    ("root", "uid=0(root) gid=0(root)", "/root"),
    ("daemon", "uid=1(daemon) gid=1(daemon)", "/usr/sbin"),
    ("www-data", "uid=33(www-data) gid=33(www-data)", "/var/www"),
    ("nobody", "uid=65534(nobody) gid=65534(nogroup)", "/home"),
    ("33:100", "uid=33(www-data) gid=100(users)", "/var/www"),
    ("1:100", "uid=1(daemon) gid=100(users)", "/usr/sbin"),
    # HOME for a uid missing from /etc/passwd is left to the OCI runtime.
    ("4242:4243", "uid=4242 gid=4243", None),
    ("www-data:users", "uid=33(www-data) gid=100(users)", "/var/www"),
])
def test_user_resolved_from_image_passwd(docker: DockerCLI, user: str, expected: str,
                                         home: str | None) -> None:
    out = docker("run", "--rm", "-u", user, "busybox", "sh", "-c", 'id; echo "$HOME"'
                 ).stdout.splitlines()
    assert out[0].startswith(expected + " ") or out[0] == expected, out
    if home is not None:
        assert out[1] == home


def test_unknown_user_fails(docker: DockerCLI, name: str, cleanup: list[str]) -> None:
    cleanup.append(name)
    result = docker("run", "--name", name, "-u", "nosuchuser", "busybox", "true", check=False)
    assert result.returncode != 0
    assert "unable to find user nosuchuser" in result.stderr


# --- mounts -----------------------------------------------------------------------------


def test_bind_mount_rw_and_ro(docker: DockerCLI, tmp_path: Path, cleanup: list[str]) -> None:
    rw = tmp_path / "rw"
    ro = tmp_path / "ro"
    rw.mkdir()
    ro.mkdir()
    (ro / "hello").write_text("from host\n")
    result = run(docker, cleanup, "-v", f"{rw}:/data", "-v", f"{ro}:/ro:ro", "busybox", "sh",
                 "-c", "echo written > /data/new; cat /ro/hello; echo nope > /ro/x")
    assert result.returncode != 0
    assert result.stdout == "from host\n"
    assert "Read-only file system" in result.stderr
    assert (rw / "new").read_text() == "written\n"
    assert not (ro / "x").exists()
    mounts = {m["Destination"]: m for m in inspect(docker, result.name)["Mounts"]}
    assert mounts["/data"]["Type"] == "bind"
    assert mounts["/data"]["Source"] == str(rw)
    assert mounts["/data"]["RW"] is True
    assert mounts["/ro"]["Type"] == "bind"
    assert mounts["/ro"]["Source"] == str(ro)
    assert mounts["/ro"]["RW"] is False
    assert mounts["/ro"]["Mode"] == "ro"


def test_mount_flag_bind_and_tmpfs(docker: DockerCLI, tmp_path: Path,
                                   cleanup: list[str]) -> None:
    (tmp_path / "f").write_text("x\n")
    result = run(docker, cleanup,
                 "--mount", f"type=bind,source={tmp_path},target=/b,readonly",
                 "--mount", "type=tmpfs,target=/scratch,tmpfs-size=1m",
                 "busybox", "sh", "-c",
                 "cat /b/f; touch /b/g || echo denied; grep ' /scratch ' /proc/mounts; "
                 "df -k /scratch | tail -n 1; echo ok > /scratch/y && cat /scratch/y",
                 check=True)
    lines = result.stdout.splitlines()
    assert lines[0] == "x"
    assert lines[1] == "denied"
    assert lines[2].split()[2] == "tmpfs"
    assert lines[3].split()[1] == "1024"
    assert lines[4] == "ok"
    assert not (tmp_path / "g").exists()
    info = inspect(docker, result.name)
    mounts = {m["Destination"]: m for m in info["Mounts"]}
    assert mounts["/b"]["Type"] == "bind"
    assert mounts["/b"]["RW"] is False
    assert mounts["/scratch"]["Type"] == "tmpfs"
    kinds = {m["Target"]: m["Type"] for m in info["HostConfig"]["Mounts"]}
    assert kinds == {"/b": "bind", "/scratch": "tmpfs"}


def test_tmpfs_flag(docker: DockerCLI, cleanup: list[str]) -> None:
    result = run(docker, cleanup, "--tmpfs", "/cache:size=2m", "busybox", "sh", "-c",
                 "grep ' /cache ' /proc/mounts; df -k /cache | tail -n 1", check=True)
    mount_line, df_line = result.stdout.splitlines()
    assert mount_line.split()[2] == "tmpfs"
    assert df_line.split()[1] == "2048"
    assert inspect(docker, result.name)["HostConfig"]["Tmpfs"] == {"/cache": "size=2m"}


def test_missing_bind_source_with_mount_flag_is_rejected(docker: DockerCLI, name: str,
                                                         tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    result = docker("run", "--name", name, "--mount",
                    f"type=bind,source={missing},target=/x", "busybox", "true", check=False)
    assert result.returncode == 125
    assert f"bind source path does not exist: {missing}" in result.stderr
    assert name not in docker("ps", "-a", "--format", "{{.Names}}").stdout.split()


def test_missing_bind_source_with_v_flag_is_created(docker: DockerCLI, tmp_path: Path,
                                                    cleanup: list[str]) -> None:
    missing = tmp_path / "auto"
    run(docker, cleanup, "-v", f"{missing}:/x", "busybox", "true", check=True)
    assert missing.is_dir()


# --- resources ---------------------------------------------------------------------------


def test_memory_limit_oom_kill(docker: DockerCLI, runtime: str, cleanup: list[str]) -> None:
    result = run(docker, cleanup, "--runtime", runtime, "-m", "20m", "busybox", "sh", "-c",
                 "echo start; exec dd if=/dev/zero of=/dev/null bs=50M count=1")
    assert result.returncode == 137, result.stderr
    assert result.stdout == "start\n"
    info = inspect(docker, result.name)
    assert info["State"]["OOMKilled"] is True
    assert info["State"]["ExitCode"] == 137
    assert info["State"]["Status"] == "exited"
    assert info["HostConfig"]["Memory"] == 20 * 1024 * 1024
    assert info["HostConfig"]["Runtime"] == runtime


def test_memory_limit_visible_in_cgroup(docker: DockerCLI, cleanup: list[str]) -> None:
    result = run(docker, cleanup, "-m", "32m", "busybox", "cat",
                 "/sys/fs/cgroup/memory/memory.limit_in_bytes", check=True)
    assert result.stdout.strip() == str(32 * 1024 * 1024)
    assert inspect(docker, result.name)["State"]["OOMKilled"] is False


def test_cpu_options(docker: DockerCLI, cleanup: list[str]) -> None:
    result = run(docker, cleanup, "--cpus", "1.5", "--cpu-shares", "512", "--cpuset-cpus", "0",
                 "busybox", "sh", "-c",
                 "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us"
                 " /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpuset/cpuset.cpus; nproc",
                 check=True)
    assert result.stdout.split() == ["150000", "100000", "512", "0", "1"]
    host = inspect(docker, result.name)["HostConfig"]
    assert host["NanoCpus"] == 1_500_000_000
    assert host["CpuShares"] == 512
    assert host["CpusetCpus"] == "0"


def test_pids_limit_stops_fork_bomb(docker: DockerCLI, cleanup: list[str]) -> None:
    result = run(docker, cleanup, "--pids-limit", "10", "busybox", "sh", "-c",
                 "cat /sys/fs/cgroup/pids/pids.max; "
                 "for i in $(seq 40); do sleep 3 & done; echo all-forked")
    assert result.stdout.splitlines()[0] == "10"
    assert "all-forked" not in result.stdout
    assert "can't fork" in result.stderr
    assert inspect(docker, result.name)["HostConfig"]["PidsLimit"] == 10


def test_ulimit_nofile(docker: DockerCLI, cleanup: list[str]) -> None:
    result = run(docker, cleanup, "--ulimit", "nofile=100:200", "busybox", "sh", "-c",
                 "ulimit -n; ulimit -Hn", check=True)
    assert result.stdout.split() == ["100", "200"]
    assert inspect(docker, result.name)["HostConfig"]["Ulimits"] == [
        {"Name": "nofile", "Soft": 100, "Hard": 200}]


def test_default_capabilities(docker: DockerCLI) -> None:
    out = docker("run", "--rm", "busybox", "cat", "/proc/self/status").stdout
    assert cap_eff(out) == DEFAULT_CAPS


def test_cap_drop_chown(docker: DockerCLI, cleanup: list[str]) -> None:
    result = run(docker, cleanup, "--cap-drop", "CHOWN", "busybox", "sh", "-c",
                 "grep CapEff /proc/self/status; touch /f; chown 1:1 /f")
    assert result.returncode != 0
    assert "Operation not permitted" in result.stderr
    assert cap_eff(result.stdout) == DEFAULT_CAPS & ~CAP_CHOWN
    assert inspect(docker, result.name)["HostConfig"]["CapDrop"] == ["CAP_CHOWN"]


def test_cap_add_sys_admin(docker: DockerCLI, cleanup: list[str]) -> None:
    result = run(docker, cleanup, "--cap-add", "SYS_ADMIN", "busybox", "sh", "-c",
                 "grep CapEff /proc/self/status", check=True)
    assert cap_eff(result.stdout) == DEFAULT_CAPS | CAP_SYS_ADMIN


def test_privileged(docker: DockerCLI) -> None:
    # Docker 23+ grants every capability available in the daemon's environment (moby
    # oci/caps: containerd's cap.Current(), the daemon's effective set), which may be fewer
    # than the kernel knows (cap_last_cap): here the daemon runs as the same root as the test.
    available = cap_eff(Path("/proc/self/status").read_text())
    out = docker("run", "--rm", "--privileged", "busybox", "sh", "-c",
                 "grep CapEff /proc/self/status; mkdir /m; mount -t tmpfs none /m && echo mounted"
                 ).stdout
    assert cap_eff(out) == available
    assert "mounted" in out
    denied = docker("run", "--rm", "busybox", "sh", "-c",
                    "mkdir /m; mount -t tmpfs none /m && echo mounted", check=False)
    assert "mounted" not in denied.stdout


def test_read_only_rootfs(docker: DockerCLI, cleanup: list[str]) -> None:
    result = run(docker, cleanup, "--read-only", "--tmpfs", "/tmp", "busybox", "sh", "-c",
                 "touch /x || echo denied; echo ok > /tmp/y && cat /tmp/y", check=True)
    assert result.stdout.splitlines() == ["denied", "ok"]
    assert "Read-only file system" in result.stderr
    assert inspect(docker, result.name)["HostConfig"]["ReadonlyRootfs"] is True


def test_no_new_privileges(docker: DockerCLI) -> None:
    out = docker("run", "--rm", "--security-opt", "no-new-privileges", "busybox", "grep",
                 "NoNewPrivs", "/proc/self/status").stdout
    assert out.split() == ["NoNewPrivs:", "1"]
    out = docker("run", "--rm", "busybox", "grep", "NoNewPrivs", "/proc/self/status").stdout
    assert out.split() == ["NoNewPrivs:", "0"]


def test_sysctl(docker: DockerCLI, cleanup: list[str]) -> None:
    result = run(docker, cleanup, "--sysctl", "net.ipv4.ip_forward=1", "busybox", "cat",
                 "/proc/sys/net/ipv4/ip_forward", check=True)
    assert result.stdout.strip() == "1"
    assert inspect(docker, result.name)["HostConfig"]["Sysctls"] == {"net.ipv4.ip_forward": "1"}


def test_init_process(docker: DockerCLI, cleanup: list[str]) -> None:
    result = run(docker, cleanup, "--init", "busybox", "sh", "-c",
                 "cat /proc/1/comm; tr '\\0' ' ' < /proc/1/cmdline; echo; echo $$", check=True)
    comm, cmdline, shell_pid = result.stdout.splitlines()
    assert comm == "docker-init"
    assert cmdline.startswith("/sbin/docker-init -- sh -c")
    assert shell_pid != "1"
    assert inspect(docker, result.name)["HostConfig"]["Init"] is True
    # Without --init the command itself is PID 1.
    assert docker("run", "--rm", "busybox", "sh", "-c", "echo $$").stdout == "1\n"


def test_network_none(docker: DockerCLI, cleanup: list[str]) -> None:
    result = run(docker, cleanup, "--network", "none", "busybox", "sh", "-c",
                 "ls /sys/class/net; ip link show lo", check=True)
    lines = result.stdout.splitlines()
    assert lines[0] == "lo"
    assert re.search(r"<[^>]*\bUP\b[^>]*>", lines[1]), lines[1]
    assert inspect(docker, result.name)["HostConfig"]["NetworkMode"] == "none"


def test_network_host(docker: DockerCLI) -> None:
    out = docker("run", "--rm", "--network", "host", "busybox", "cat", "/proc/net/dev").stdout
    inside = {line.split(":")[0].strip() for line in out.splitlines()[2:]}
    assert inside == set(os.listdir("/sys/class/net"))
    hostname = docker("run", "--rm", "--network", "host", "busybox", "hostname").stdout.strip()
    assert hostname == os.uname().nodename


def test_shm_size(docker: DockerCLI, cleanup: list[str]) -> None:
    result = run(docker, cleanup, "--shm-size", "128m", "busybox", "sh", "-c",
                 "df -k /dev/shm | tail -n 1", check=True)
    assert result.stdout.split()[1] == "131072"
    assert inspect(docker, result.name)["HostConfig"]["ShmSize"] == 128 * 1024 * 1024
    default = docker("run", "--rm", "busybox", "sh", "-c", "df -k /dev/shm | tail -n 1").stdout
    assert default.split()[1] == "65536"


def test_log_driver_none(docker: DockerCLI, cleanup: list[str]) -> None:
    result = run(docker, cleanup, "-d", "--log-driver", "none", "busybox", "echo", "hello",
                 check=True)
    docker("wait", result.name)
    logs = docker("logs", result.name, check=False)
    assert logs.returncode != 0
    assert "configured logging driver does not support reading" in logs.stderr
    info = inspect(docker, result.name)
    assert info["HostConfig"]["LogConfig"]["Type"] == "none"


@pytest.mark.parametrize("driver_flag", [[], ["--log-driver", "json-file"]],
                         ids=["default-driver", "explicit-json-file"])
def test_json_log_rotation(docker: DockerCLI, daemon: Daemon, cleanup: list[str],
                           driver_flag: list[str]) -> None:
    # Without --log-driver the CLI sends LogConfig {"Type": "", "Config": {...}}: Docker fills
    # in the default driver and keeps the options.
    result = run(docker, cleanup, "-d", *driver_flag, "--log-opt", "max-size=1k",
                 "--log-opt", "max-file=2",
                 "busybox", "sh", "-c",
                 "for i in $(seq 1 300); do echo line-$i-padding-padding-padding; done",
                 check=True)
    cid = result.stdout.strip()
    assert docker("wait", result.name).stdout.strip() == "0"
    info = inspect(docker, result.name)
    directory = daemon.data_root / "containers" / cid
    current = directory / f"{cid}-json.log"
    assert info["LogPath"] == str(current)
    rotated = directory / f"{cid}-json.log.1"
    assert current.exists() and rotated.exists()
    assert not (directory / f"{cid}-json.log.2").exists()
    entries = []
    for path in (rotated, current):
        assert path.stat().st_size < 2048, path
        for raw in path.read_text().splitlines():
            entry = json.loads(raw)
            assert set(entry) == {"log", "stream", "time"}
            assert entry["stream"] == "stdout"
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", entry["time"])
            entries.append(entry["log"])
    assert entries[-1] == "line-300-padding-padding-padding\n"
    assert len(entries) < 300
    # docker logs shows what is still on disk, in order, ending with the last line.
    shown = docker("logs", result.name).stdout.splitlines()
    assert shown == [e.rstrip("\n") for e in entries]
    assert info["HostConfig"]["LogConfig"] == {
        "Type": "json-file", "Config": {"max-size": "1k", "max-file": "2"}}


# --- names, --rm, -d ---------------------------------------------------------------------


def test_generated_name(docker: DockerCLI, cleanup: list[str]) -> None:
    cid = docker("create", "busybox").stdout.strip()
    cleanup.append(cid)
    got = inspect(docker, cid)["Name"]
    assert re.fullmatch(r"/[a-z]+_[a-z]+[0-9]*", got), got
    assert docker("ps", "-a", "--filter", f"id={cid}", "--format", "{{.Names}}"
                  ).stdout.strip() == got[1:]


def test_named_container_and_detached_id(docker: DockerCLI, name: str,
                                         cleanup: list[str]) -> None:
    cleanup.append(name)
    out = docker("run", "-d", "--name", name, "busybox", "sleep", "30").stdout
    assert re.fullmatch(r"[0-9a-f]{64}\n", out)
    info = inspect(docker, name)
    assert info["Id"] == out.strip()
    assert info["State"]["Running"] is True
    assert info["State"]["Pid"] > 0
    assert docker("ps", "--filter", f"name={name}", "--format", "{{.ID}} {{.Names}}"
                  ).stdout.strip() == f"{out[:12]} {name}"


def test_rm_flag_removes_after_exit(docker: DockerCLI, name: str) -> None:
    result = docker("run", "--rm", "--name", name, "busybox", "sh", "-c", "exit 4", check=False)
    assert result.returncode == 4
    assert docker("inspect", name, check=False).returncode != 0
    docker("run", "-d", "--rm", "--name", name, "busybox", "true")
    deadline = time.monotonic() + 10
    while docker("inspect", name, check=False).returncode == 0:
        assert time.monotonic() < deadline, "detached --rm container was not removed"
        time.sleep(0.05)


# --- inspect shape ------------------------------------------------------------------------


def test_inspect_shape(docker: DockerCLI, name: str, cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "--name", name, "busybox", "true")
    info = inspect(docker, name)
    for key in ("Id", "Created", "Path", "Args", "State", "Image", "ResolvConfPath",
                "HostnamePath", "HostsPath", "LogPath", "Name", "RestartCount", "Driver",
                "Platform", "HostConfig", "GraphDriver", "Mounts", "Config",
                "NetworkSettings"):
        assert key in info, key
    state = info["State"]
    for key in ("Status", "Running", "Paused", "Restarting", "OOMKilled", "Dead", "Pid",
                "ExitCode", "Error", "StartedAt", "FinishedAt"):
        assert key in state, key
    assert state["Status"] == "exited"
    assert (state["Running"], state["Paused"], state["Restarting"], state["Dead"]) == \
        (False, False, False, False)
    assert state["Pid"] == 0
    assert state["ExitCode"] == 0
    assert state["Error"] == ""
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"
    for key in ("StartedAt", "FinishedAt"):
        assert re.fullmatch(stamp, state[key]), state[key]
    def ns(value: str) -> tuple[str, int]:
        whole, _, frac = value.rstrip("Z").partition(".")
        return whole, int(frac.ljust(9, "0"))

    assert ns(state["FinishedAt"]) >= ns(state["StartedAt"])
    assert re.fullmatch(stamp, info["Created"])
    assert info["Platform"] == "linux"
    assert info["RestartCount"] == 0
    assert info["Mounts"] == []
    assert isinstance(info["GraphDriver"]["Name"], str) and info["GraphDriver"]["Name"]
    assert isinstance(info["NetworkSettings"], dict)
    for key in ("ResolvConfPath", "HostnamePath", "HostsPath", "LogPath"):
        assert info[key].startswith("/"), key
    created = docker("create", "busybox").stdout.strip()
    cleanup.append(created)
    fresh = inspect(docker, created)["State"]
    assert fresh["Status"] == "created"
    assert fresh["StartedAt"] == "0001-01-01T00:00:00Z"
    assert fresh["FinishedAt"] == "0001-01-01T00:00:00Z"
