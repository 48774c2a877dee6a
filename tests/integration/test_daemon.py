"""skiffd itself: TLS-only tcp, side-by-side daemons, live restore and crash recovery."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import (
    DOCKER,
    Daemon,
    DockerCLI,
    import_busybox,
    start_daemon,
    stop_daemon,
)


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _make_certs(directory: Path) -> None:
    directory.mkdir(parents=True)
    d = str(directory)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{d}/ca-key.pem",
             "-out", f"{d}/ca.pem", "-days", "1", "-subj", "/CN=test-ca")
    for role, usage, san in (("server", "serverAuth", "subjectAltName=IP:127.0.0.1\n"),
                             ("client", "clientAuth", "")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{d}/{role}-key.pem",
                 "-out", f"{d}/{role}.csr", "-subj", f"/CN={role}")
        (directory / f"{role}.ext").write_text(f"{san}extendedKeyUsage={usage}\n")
        _openssl("x509", "-req", "-in", f"{d}/{role}.csr", "-CA", f"{d}/ca.pem", "-CAkey",
                 f"{d}/ca-key.pem", "-CAcreateserial", "-out", f"{d}/{role}.pem", "-days", "1",
                 "-extfile", f"{d}/{role}.ext")


def test_tcp_without_tls_is_refused(private_root: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "skiff.daemon.main", "--data-root", str(private_root / "data"),
         "--exec-root", str(private_root / "run"), "-H", "tcp://127.0.0.1:23999",
         "--config-file", str(private_root / "none.json"),
         "--pidfile", str(private_root / "pid")], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "without TLS" in result.stderr


def test_tcp_with_tls_serves_verified_clients(private_root: Path) -> None:
    certs = private_root / "certs"
    _make_certs(certs)
    daemon = start_daemon(private_root, "-H", f"unix://{private_root}/second.sock",
                          "-H", "tcp://127.0.0.1:23998", "--tlsverify",
                          "--tlscacert", str(certs / "ca.pem"),
                          "--tlscert", str(certs / "server.pem"),
                          "--tlskey", str(certs / "server-key.pem"))
    try:
        tls = ["--tlsverify", "--tlscacert", str(certs / "ca.pem"), "--tlscert",
               str(certs / "client.pem"), "--tlskey", str(certs / "client-key.pem"),
               "-H", "tcp://127.0.0.1:23998"]
        ok = subprocess.run([DOCKER, *tls, "version", "--format", "{{.Server.APIVersion}}"],
                            capture_output=True, text=True, timeout=30)
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout.strip() == "1.50"
        plain = subprocess.run([DOCKER, "-H", "tcp://127.0.0.1:23998", "version"],
                               capture_output=True, text=True, timeout=30)
        assert plain.returncode != 0
    finally:
        stop_daemon(daemon)


def test_two_daemons_side_by_side(daemon: Daemon, docker: DockerCLI,
                                  private_root: Path) -> None:
    other = start_daemon(private_root)
    try:
        import_busybox(other)
        second = DockerCLI(other.host)
        second("run", "--name", "only-here", "busybox", "true")
        assert "only-here" in second("ps", "-a", "--format", "{{.Names}}").stdout
        assert "only-here" not in docker("ps", "-a", "--format", "{{.Names}}").stdout
    finally:
        stop_daemon(other)


def _lines(text: str) -> list[int]:
    return [int(line) for line in text.split()]


def test_live_restore_keeps_containers_and_logs(private_root: Path) -> None:
    first = start_daemon(private_root)
    import_busybox(first)
    cli = DockerCLI(first.host)
    cli("run", "-d", "--name", "ticker", "busybox", "sh", "-c",
        "i=0; while true; do i=$((i+1)); echo $i; sleep 0.01; done")
    cli("run", "-d", "--name", "sleeper", "busybox", "sleep", "300")
    cli("run", "-d", "--name", "quitter", "busybox", "sh", "-c", "sleep 0.5; exit 4")
    time.sleep(0.3)
    stop_daemon(first, signal.SIGKILL)
    time.sleep(1.0)
    second = start_daemon(private_root)
    try:
        names = cli("ps", "--format", "{{.Names}}").stdout.split()
        assert "ticker" in names and "sleeper" in names
        deadline = time.monotonic() + 10
        while cli("inspect", "-f", "{{.State.Status}}", "quitter").stdout.strip() != "exited":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert cli("inspect", "-f", "{{.State.ExitCode}}", "quitter").stdout.strip() == "4"
        cli("stop", "-t", "1", "ticker")
        numbers = _lines(cli("logs", "ticker").stdout)
        assert numbers == list(range(1, len(numbers) + 1))
        assert len(numbers) > 50
        assert cli("exec", "sleeper", "echo", "inside").stdout == "inside\n"
        cli("pause", "sleeper")
        assert cli("inspect", "-f", "{{.State.Status}}", "sleeper").stdout.strip() == "paused"
        cli("unpause", "sleeper")
        waiter = subprocess.Popen([DOCKER, "-H", second.host, "wait", "sleeper"],
                                  stdout=subprocess.PIPE, text=True)
        cli("kill", "sleeper")
        assert waiter.communicate(timeout=30)[0].strip() == "137"
    finally:
        cli("rm", "-f", "ticker", "sleeper", "quitter", check=False)
        stop_daemon(second)


def test_no_live_restore_stops_containers(private_root: Path) -> None:
    first = start_daemon(private_root, "--no-live-restore")
    import_busybox(first)
    cli = DockerCLI(first.host)
    cli("run", "-d", "--name", "stopped-on-exit", "--stop-timeout", "1", "busybox", "sleep",
        "300")
    stop_daemon(first)
    again = start_daemon(private_root)
    try:
        state = cli("inspect", "-f", "{{.State.Status}}", "stopped-on-exit").stdout.strip()
        assert state == "exited"
    finally:
        cli("rm", "-f", "stopped-on-exit", check=False)
        stop_daemon(again)


def test_no_mounts_left_after_rm(daemon: Daemon, docker: DockerCLI, name: str) -> None:
    docker("run", "-d", "--name", name, "busybox", "sleep", "60")
    cid = docker("inspect", "-f", "{{.Id}}", name).stdout.strip()
    docker("rm", "-f", name)
    with open("/proc/mounts") as fh:
        assert cid not in fh.read()
    assert not (daemon.data_root / "containers" / cid).exists()
    assert subprocess.run(["pgrep", "-f", f"conmon.*{cid}"]).returncode != 0
