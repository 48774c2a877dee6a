"""Start, find and stop the two engines under test: a fresh skiffd and the reference dockerd."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from unixhttp import Api

REPO = Path(__file__).resolve().parent.parent
LIB = Path("/var/lib/skiff-bench")
RUN = Path("/run/skiff-bench")
SKIFF_ROOT = LIB / "skiff"
SKIFF_EXEC = RUN / "skiff"
SKIFF_SOCK = RUN / "skiff.sock"
SKIFF_PID = RUN / "skiffd.pid"
DOCKER_SOCK = RUN / "docker.sock"
DOCKERD_PID = RUN / "dockerd.pid"
CONTAINERD_PID = RUN / "containerd.pid"
SETUP_REFERENCE = REPO / "bench" / "setup-reference"
BUSYBOX_TAR = REPO / "images" / "busybox.tar"
# skiffd's default bridge: its own name and subnet, clear of the reference's docker0
# (172.17.0.0/16) and of the test suite's bridges (10.213.x.0/24)
SKIFF_BRIDGE = "skiffbench0"
SKIFF_BIP = "10.199.0.1/24"
SKIFF_METRICS = "127.0.0.1:9399"  # the metrics endpoints (bench/setup-reference: dockerd's)
DOCKER_METRICS = "127.0.0.1:9398"

_skiffd: subprocess.Popen[bytes] | None = None
_dockerd: subprocess.Popen[bytes] | None = None  # a dockerd restarted by the bench


@dataclass
class Engine:
    """One engine under test: its name, socket and the pid files of its resident daemons."""

    name: str
    sock: Path
    pidfiles: list[Path] = field(default_factory=list)
    metrics: str = ""  # host:port of its metrics endpoint

    @property
    def api(self) -> Api:
        """An API client on this engine's socket."""
        return Api(str(self.sock))

    def daemon_pids(self) -> list[int]:
        """Pids of the engine's resident daemons (skiffd; or dockerd and containerd)."""
        return [pid for f in self.pidfiles if (pid := read_pid(f)) is not None]


def read_pid(pidfile: Path) -> int | None:
    """The pid in pidfile if that process is alive, else None."""
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def docker_cli() -> str:
    """The docker CLI used for both engines (28.x in /usr/local/bin when present)."""
    for candidate in ("/usr/local/bin/docker", shutil.which("docker")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit("no docker CLI found")


def wait_ping(api: Api, seconds: float) -> bool:
    """Poll /_ping until it answers or seconds pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if api.ping():
            return True
        time.sleep(0.05)
    return False


def mounts_under(*prefixes: Path) -> list[str]:
    """Mount points below any of prefixes, deepest first."""
    found = []
    with open("/proc/self/mounts") as f:
        for line in f:
            point = line.split()[1].encode().decode("unicode_escape")
            if any(point == str(p) or point.startswith(f"{p}/") for p in prefixes):
                found.append(point)
    return sorted(found, key=len, reverse=True)


def unmount_under(*prefixes: Path) -> list[str]:
    """Lazily unmount everything below prefixes; return what was unmounted."""
    points = mounts_under(*prefixes)
    for point in points:
        subprocess.run(["umount", "-l", point], check=False, stderr=subprocess.DEVNULL)
    return points


def gone(pid: int) -> bool:
    """True when pid has exited (a zombie counts as exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state == "Z"


def stop_pid(pidfile: Path, seconds: float = 20.0) -> None:
    """SIGTERM the process in pidfile and wait for it; SIGKILL it after seconds."""
    pid = read_pid(pidfile)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if gone(pid):
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def reset_skiff_root() -> None:
    """Stop a skiffd left by --keep and wipe its roots so the run starts fresh."""
    api = Api(str(SKIFF_SOCK))
    if read_pid(SKIFF_PID) is not None and api.ping():
        for c in api.json("GET", "/containers/json?all=1"):
            api.call("DELETE", f"/containers/{c['Id']}?force=1&v=1")
        for n in api.json("GET", "/networks"):  # user networks take their bridges along
            if n["Name"] not in ("bridge", "host", "none"):
                api.call("DELETE", f"/networks/{n['Id']}")
    stop_pid(SKIFF_PID)
    unmount_under(SKIFF_ROOT, SKIFF_EXEC)
    if mounts_under(SKIFF_ROOT, SKIFF_EXEC):
        raise SystemExit(f"mounts remain under {SKIFF_ROOT}; not wiping it")
    shutil.rmtree(SKIFF_ROOT, ignore_errors=True)
    shutil.rmtree(SKIFF_EXEC, ignore_errors=True)


def skiff_engine() -> Engine:
    """The skiffd engine description."""
    return Engine("skiff", SKIFF_SOCK, [SKIFF_PID], SKIFF_METRICS)


def spawn_skiffd() -> float:
    """Start skiffd on the bench roots as they are; return perf_counter() just before."""
    RUN.mkdir(parents=True, exist_ok=True)
    LIB.mkdir(parents=True, exist_ok=True)
    skiffd = REPO / ".venv" / "bin" / "skiffd"
    cmd = [str(skiffd), "--data-root", str(SKIFF_ROOT), "--exec-root", str(SKIFF_EXEC),
           "-H", f"unix://{SKIFF_SOCK}", "--config-file", "/nonexistent",
           "--pidfile", str(SKIFF_PID), "--bridge", SKIFF_BRIDGE, "--bip", SKIFF_BIP,
           "--metrics-addr", SKIFF_METRICS]
    global _skiffd
    with open(LIB / "skiffd.log", "ab") as log:
        start = time.perf_counter()
        _skiffd = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   start_new_session=True)
    return start


def start_skiffd() -> Engine:
    """Start a fresh skiffd on the bench roots and wait until it answers."""
    reset_skiff_root()
    spawn_skiffd()
    engine = skiff_engine()
    if not wait_ping(engine.api, 30):
        raise SystemExit(f"skiffd did not answer on {SKIFF_SOCK}; see {LIB / 'skiffd.log'}")
    return engine


def stop_skiffd() -> None:
    """Stop the bench skiffd, reap it, unmount what it left and drop its default bridge."""
    stop_pid(SKIFF_PID)
    if _skiffd is not None:
        _skiffd.wait(timeout=30)
    unmount_under(SKIFF_ROOT, SKIFF_EXEC)
    remove_skiff_bridge()


def remove_skiff_bridge() -> None:
    """Delete skiffd's default bridge and its rules (skiffd leaves them when it stops)."""
    subprocess.run(["ip", "link", "delete", SKIFF_BRIDGE], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "skiff.drivers.network.firewall", "release",
                    SKIFF_BRIDGE], check=False, timeout=60, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def kill9(pidfile: Path, seconds: float = 10.0) -> list[str]:
    """SIGKILL the process in pidfile, wait until it is gone (or a zombie: pid 1 here does
    not always reap), remove the stale pidfile; return the process's argv."""
    pid = read_pid(pidfile)
    if pid is None:
        raise RuntimeError(f"no live process in {pidfile}")
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + seconds
    while not gone(pid):
        if time.monotonic() > deadline:
            raise RuntimeError(f"pid {pid} survived SIGKILL for {seconds} s")
        time.sleep(0.01)
    pidfile.unlink(missing_ok=True)
    return [a.decode() for a in argv]


def crash_and_respawn(engine: Engine) -> float:
    """kill -9 the engine's API daemon and start a new one on the same roots (skiffd as
    always: live restore is its default; dockerd with its own argv plus --live-restore,
    containerd left running); return perf_counter() just before the new process starts."""
    if engine.name == "skiff":
        kill9(SKIFF_PID)
        if _skiffd is not None:
            _skiffd.wait(timeout=30)
        return spawn_skiffd()
    global _dockerd
    argv = kill9(DOCKERD_PID)
    if _dockerd is not None:  # restarted by us before
        _dockerd.wait(timeout=30)
    if "--live-restore" not in argv:
        argv.append("--live-restore")
    with open(LIB / "dockerd.log", "ab") as log:
        start = time.perf_counter()
        _dockerd = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    start_new_session=True)
    return start


def reference_engine() -> Engine:
    """The reference engine description (dockerd + containerd)."""
    return Engine("dockerd", DOCKER_SOCK, [DOCKERD_PID, CONTAINERD_PID], DOCKER_METRICS)


def start_reference() -> Engine | None:
    """Reuse or start the reference dockerd; None when docker.io is not installed."""
    engine = reference_engine()
    if engine.api.ping():
        return engine
    if not shutil.which("dockerd") or not shutil.which("containerd"):
        return None
    subprocess.run(["bash", str(SETUP_REFERENCE)], check=True, stdout=subprocess.DEVNULL)
    return engine if wait_ping(engine.api, 30) else None


def stop_reference() -> None:
    """Stop the reference daemons (they belong to the bench: own roots and sockets)."""
    if _dockerd is not None:  # our child: stop and reap it here, or it lingers as a zombie
        stop_pid(DOCKERD_PID)
        _dockerd.wait(timeout=30)
    if SETUP_REFERENCE.exists():
        subprocess.run(["bash", str(SETUP_REFERENCE), "--stop"], check=False,
                       stdout=subprocess.DEVNULL)


def import_busybox(engine: Engine) -> None:
    """Import the offline busybox rootfs as busybox:latest unless it is there."""
    status, _ = engine.api.call("GET", "/images/busybox:latest/json")
    if status == 200:
        return
    if not BUSYBOX_TAR.exists():
        subprocess.run([str(REPO / "scripts" / "make-busybox-rootfs"), str(BUSYBOX_TAR)],
                       check=True, stdout=subprocess.DEVNULL)
    subprocess.run([docker_cli(), "-H", f"unix://{engine.sock}", "import", "--change",
                    'CMD ["sh"]', str(BUSYBOX_TAR), "busybox:latest"],
                   check=True, stdout=subprocess.DEVNULL)
