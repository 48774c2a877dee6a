"""Shared fixtures: a real skiffd on a temporary data root and socket, the docker CLI, docker-py."""

from __future__ import annotations

import gc
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUSYBOX_TAR = ROOT / "images" / "busybox.tar"
DOCKER = shutil.which("docker") or "/usr/local/bin/docker"


@dataclass
class Daemon:
    """A running skiffd under test."""

    root: Path
    socket: Path
    process: subprocess.Popen[bytes]
    metrics: str = ""  # its metrics endpoint, http://host:port/metrics, when it serves one

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def data_root(self) -> Path:
        return self.root / "data"

    @property
    def exec_root(self) -> Path:
        return self.root / "run"

    @property
    def log(self) -> str:
        return (self.root / "skiffd.log").read_text(errors="replace")


def free_port(kind: int = socket.SOCK_STREAM, host: str = "127.0.0.1") -> int:
    """A port (TCP, or UDP with SOCK_DGRAM) on ``host`` that nothing uses now."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def start_daemon(root: Path, *extra: str, bridge: str = "none",
                 env: dict[str, str] | None = None) -> Daemon:
    """Start skiffd on ``root`` (with ``env`` added to its environment) and wait until its
    API answers."""
    root.mkdir(parents=True, exist_ok=True)
    sock = root / "skiff.sock"
    log = open(root / "skiffd.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "skiff.daemon.main", "--data-root", str(root / "data"),
         "--exec-root", str(root / "run"), "-H", f"unix://{sock}",
         "--config-file", str(root / "daemon.json"), "--pidfile", str(root / "skiffd.pid"),
         "--bridge", bridge, *extra],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, **(env or {})})
    log.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("skiffd exited: " + (root / "skiffd.log").read_text())
        if sock.exists():
            result = subprocess.run([DOCKER, "-H", f"unix://{sock}", "version"],
                                    capture_output=True)
            if result.returncode == 0:
                return Daemon(root, sock, process)
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("skiffd did not answer in time")


def stop_daemon(daemon: Daemon, sig: int = signal.SIGTERM) -> None:
    if daemon.process.poll() is None:
        daemon.process.send_signal(sig)
        try:
            daemon.process.wait(30)
        except subprocess.TimeoutExpired:
            daemon.process.kill()
            daemon.process.wait()


def cleanup_root(root: Path) -> None:
    """Remove every mount, monitor and file the daemon left under ``root``."""
    subprocess.run(["pkill", "-9", "-f", f"conmon.*{root}"], capture_output=True)
    with open("/proc/mounts") as fh:
        mounts = [line.split()[1] for line in fh if str(root) in line.split()[1]]
    for mount in sorted(mounts, key=len, reverse=True):
        subprocess.run(["umount", "-l", mount], capture_output=True)
    for runtime in ("crun", "runc"):
        state = root / "run" / "runtime" / runtime
        if state.exists():
            for entry in state.iterdir():
                subprocess.run([runtime, "--root", str(state), "delete", "--force", entry.name],
                               capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


def remove_bridge(bridge: str) -> None:
    """Drop a default bridge a test daemon made and its firewall rules (like docker0's, they
    outlive the daemon)."""
    subprocess.run(["ip", "link", "delete", bridge], capture_output=True)
    subprocess.run([sys.executable, "-m", "skiff.drivers.network.firewall", "release", bridge],
                   capture_output=True, timeout=60)


def import_busybox(daemon: Daemon) -> None:
    if not BUSYBOX_TAR.exists():
        BUSYBOX_TAR.parent.mkdir(exist_ok=True)
        subprocess.run([ROOT / "scripts" / "make-busybox-rootfs", BUSYBOX_TAR], check=True,
                       capture_output=True)
    subprocess.run([DOCKER, "-H", daemon.host, "import", "--change", 'CMD ["sh"]',
                    str(BUSYBOX_TAR), "busybox:latest"], check=True, capture_output=True)


@pytest.fixture(scope="session")
def session_root() -> Iterator[Path]:
    """The one directory under which every daemon of this test session keeps its root.

    Mounts and processes (conmon, private daemons) whose paths contain it belong to this
    session and to no other pytest run side by side on the machine.
    """
    root = Path(f"/tmp/skiff-test-{secrets.token_hex(4)}")
    root.mkdir()
    yield root
    cleanup_root(root)


def processes(needle: str) -> set[tuple[int, str]]:
    """(pid, command line) of every process whose command line mentions ``needle``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace").strip()
        except OSError:
            continue
        if needle in cmdline:
            found.add((int(entry.name), cmdline))
    return found


def leftovers(root: Path) -> list[str]:
    """Mounts and processes (conmon, skiffd) that still mention ``root``."""
    with open("/proc/mounts") as fh:
        found = [f"mount {line.split()[1]}" for line in fh if str(root) in line]
    found += [f"process {pid}: {cmdline}" for pid, cmdline in sorted(processes(str(root)))]
    return found


@pytest.fixture(scope="session")
def private_leftovers() -> list[str]:
    """What private daemons' tests left under their roots, for the module's leak check."""
    return []


@pytest.fixture
def private_root(request: pytest.FixtureRequest, session_root: Path,
                 private_leftovers: list[str]) -> Iterator[Path]:
    """A data root for a private daemon a test starts (and stops, and cleans up) itself.

    Anything still mounted or running under it afterwards is noted for the leak check (see
    tests/integration/conftest.py), then removed.
    """
    root = session_root / f"p-{secrets.token_hex(4)}"
    yield root
    deadline = time.monotonic() + 3
    while (left := leftovers(root)) and time.monotonic() < deadline:
        time.sleep(0.1)
    private_leftovers.extend(f"{request.node.nodeid}: {item}" for item in left)
    cleanup_root(root)


@pytest.fixture(scope="session")
def daemon(session_root: Path) -> Iterator[Daemon]:
    root = session_root / "daemon"
    # the session daemon owns a default bridge of its own, so no other daemon's addresses clash
    bridge = f"skt{secrets.token_hex(3)}"
    subnet = f"10.213.{secrets.randbelow(250) + 1}"  # test sessions side by side never clash
    metrics = f"127.0.0.1:{free_port()}"
    d = start_daemon(root, "--no-live-restore", "--bip", f"{subnet}.1/24",
                     "--metrics-addr", metrics, bridge=bridge)
    d.metrics = f"http://{metrics}/metrics"
    try:
        import_busybox(d)
        yield d
    finally:
        subprocess.run([DOCKER, "-H", d.host, "container", "prune", "-f"], capture_output=True)
        ids = subprocess.run([DOCKER, "-H", d.host, "ps", "-aq"], capture_output=True,
                             text=True).stdout.split()
        if ids:
            subprocess.run([DOCKER, "-H", d.host, "rm", "-f", *ids], capture_output=True)
        stop_daemon(d)
        cleanup_root(root)
        remove_bridge(bridge)


class DockerCLI:
    """The real docker CLI pointed at a skiffd."""

    def __init__(self, host: str) -> None:
        self.host = host

    def __call__(self, *args: str, input: str | bytes | None = None, check: bool = True,
                 timeout: float = 60, text: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DOCKER_HOST": self.host}
        env.pop("DOCKER_CONTEXT", None)
        result = subprocess.run([DOCKER, *args], input=input, capture_output=True,
                                text=text, env=env, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} exited {result.returncode}:\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result


@pytest.fixture(scope="session")
def docker(daemon: Daemon) -> DockerCLI:
    return DockerCLI(daemon.host)


@pytest.fixture
def client(daemon: Daemon) -> Iterator[Any]:
    import docker as docker_py

    c = docker_py.DockerClient(base_url=daemon.host, version="auto", timeout=60)
    yield c
    c.close()


@pytest.fixture
def name() -> str:
    """A unique container name for one test."""
    return f"t-{secrets.token_hex(4)}"


@pytest.fixture(params=["crun", "runc"])
def runtime(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def cleanup(docker: DockerCLI) -> Iterator[list[str]]:
    """Names of containers a test creates; removed afterwards."""
    names: list[str] = []
    yield names
    if names:
        docker("rm", "-f", *names, check=False)


@pytest.fixture
def collect_streams() -> Iterator[None]:
    """docker-py's streams leave their socket in a reference cycle: collect it here, where the
    test's ResourceWarning filter applies, rather than in some later test."""
    yield
    gc.collect()


def inspect(docker: DockerCLI, ref: str) -> dict[str, Any]:
    info: dict[str, Any] = json.loads(docker("inspect", ref).stdout)[0]
    return info


def wait_until(predicate: Callable[[], Any], timeout: float = 10, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.05)


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over the daemon's unix socket, for raw API requests in tests."""

    def __init__(self, path: str, timeout: float | None = 60) -> None:
        super().__init__("localhost", timeout=timeout)
        self._unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._unix_path)
        self.sock = sock
