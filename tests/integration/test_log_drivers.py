"""The remote log drivers against receivers on loopback: syslog (udp, tcp), gelf (udp,
tcp) and fluentd (forward protocol, acks, retries), their framing, priorities, tags and
fields; ``docker logs`` through the local cache;
a receiver that is down or goes away; drops in non-blocking mode; Docker's errors."""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import (
    DOCKER,
    Daemon,
    DockerCLI,
    free_port,
    import_busybox,
    start_daemon,
    stop_daemon,
    wait_until,
)


class UdpReceiver:
    """Datagrams sent to 127.0.0.1:<port>."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(10)
        self.port = self.sock.getsockname()[1]

    def take(self, count: int) -> list[bytes]:
        return [self.sock.recv(65536) for _ in range(count)]


class TcpReceiver:
    """A stream server on 127.0.0.1:<port>; everything any client sent, kept in order."""

    def __init__(self, port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.data = bytearray()
        self.lock = threading.Lock()
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", port))
        self.server.listen()
        self.port = self.server.getsockname()[1]
        self.clients: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.tls is not None:
                try:
                    client = self.tls.wrap_socket(client, server_side=True)
                except OSError:
                    client.close()
                    continue
            self.clients.append(client)
            threading.Thread(target=self._read, args=(client,), daemon=True).start()

    def _read(self, client: socket.socket) -> None:
        while True:
            try:
                chunk = client.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            with self.lock:
                self.data += chunk

    def close(self) -> None:
        for sock in (self.server, *self.clients):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the threads blocked on it
            sock.close()


@pytest.fixture
def receiver() -> Iterator[UdpReceiver]:
    udp = UdpReceiver()
    yield udp
    udp.sock.close()


@pytest.fixture
def named(docker: DockerCLI) -> Iterator[str]:
    name = f"logdrv-{time.monotonic_ns()}"
    yield name
    docker("rm", "-f", name, check=False)


def wait_exit(docker: DockerCLI, name: str) -> None:
    docker("wait", name, timeout=60)


def test_syslog_udp_rfc5424micro(docker: DockerCLI, named: str,
                                 receiver: UdpReceiver) -> None:
    docker("run", "-d", "--name", named, "--log-driver", "syslog",
           "--log-opt", f"syslog-address=udp://127.0.0.1:{receiver.port}",
           "--log-opt", "syslog-format=rfc5424micro", "--log-opt", "syslog-facility=local0",
           "--log-opt", "tag={{.Name}}/{{.ID}}", "busybox", "sh", "-c",
           "echo out; sleep 0.2; echo err >&2")
    first, second = receiver.take(2)
    cid = docker("inspect", "-f", "{{.Id}}", named).stdout.strip()
    tag = f"{named}/{cid[:12]}"
    # local0 is 16: <16*8+6> for stdout (info), <16*8+3> for stderr (err)
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)"
    assert re.fullmatch(rf"<134>1 {stamp} \S+ {re.escape(tag)} \d+ {re.escape(tag)} - out",
                        first.decode()), first
    assert re.fullmatch(rf"<131>1 {stamp} \S+ {re.escape(tag)} \d+ {re.escape(tag)} - err",
                        second.decode()), second
    wait_exit(docker, named)
    logs = docker("logs", named)
    assert (logs.stdout, logs.stderr) == ("out\n", "err\n")  # the local cache


def test_syslog_tcp_rfc3164_survives_a_receiver_restart(docker: DockerCLI, named: str) -> None:
    receiver = TcpReceiver()
    port = receiver.port
    docker("run", "-d", "--name", named, "--log-driver", "syslog",
           "--log-opt", f"syslog-address=tcp://127.0.0.1:{port}",
           "--log-opt", "syslog-format=rfc3164", "busybox", "sh", "-c",
           "i=0; while [ $i -lt 40 ]; do echo line-$i; i=$((i+1)); sleep 0.1; done")
    wait_until(lambda: b"line-5\n" in receiver.data, timeout=20, what="the first lines")
    first = bytes(receiver.data)
    assert re.match(rb"<30>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [0-9a-f]{12}\[\d+\]: "
                    rb"line-0\n", first), first[:80]
    receiver.close()  # the receiver goes away mid-stream ...
    time.sleep(0.5)
    again = TcpReceiver(port)  # ... and comes back on the same port
    try:
        wait_until(lambda: b"line-39\n" in again.data, timeout=30,
                   what="the last line after the receiver came back")
    finally:
        again.close()
    wait_exit(docker, named)
    # the container never stalled: every line is in the cache, in order
    assert docker("logs", named).stdout == "".join(f"line-{i}\n" for i in range(40))


def test_syslog_over_tls(docker: DockerCLI, named: str, tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True,
                   capture_output=True, timeout=60)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    receiver = TcpReceiver(tls=context)
    try:
        docker("run", "--name", named, "--log-driver", "syslog",
               "--log-opt", f"syslog-address=tcp+tls://127.0.0.1:{receiver.port}",
               "--log-opt", f"syslog-tls-ca-cert={cert}", "--log-opt", "syslog-format=rfc5424",
               "busybox", "echo", "sealed")
        wait_until(lambda: receiver.data.endswith(b" - sealed"), timeout=20,
                   what="the line over TLS")
        length, _, body = bytes(receiver.data).partition(b" ")
        assert int(length) == len(body) and body.startswith(b"<30>1 ")
    finally:
        receiver.close()


def test_gelf_udp_and_tcp(docker: DockerCLI, named: str, receiver: UdpReceiver) -> None:
    udp = receiver
    docker("run", "-d", "--name", named, "--log-driver", "gelf",
           "--log-opt", f"gelf-address=udp://127.0.0.1:{udp.port}",
           "--log-opt", "labels=team", "--label", "team=shop", "--log-opt", "env=STAGE",
           "-e", "STAGE=prod", "busybox", "sh", "-c", "echo hello; sleep 0.2; echo oops >&2")
    out, err = (json.loads(gzip.decompress(d)) for d in udp.take(2))
    cid = docker("inspect", "-f", "{{.Id}}", named).stdout.strip()
    assert out["version"] == "1.1" and out["short_message"] == "hello" and out["level"] == 6
    assert err["short_message"] == "oops" and err["level"] == 3
    assert out["_container_id"] == cid and out["_container_name"] == named
    assert out["_image_name"] == "busybox" and out["_tag"] == cid[:12]
    assert (out["_team"], out["_STAGE"]) == ("shop", "prod")
    assert abs(out["timestamp"] - time.time()) < 60
    wait_exit(docker, named)
    docker("rm", named)

    tcp = TcpReceiver()
    try:
        docker("run", "--name", named, "--log-driver", "gelf",
               "--log-opt", f"gelf-address=tcp://127.0.0.1:{tcp.port}", "busybox",
               "sh", "-c", "echo one; echo two")
        wait_until(lambda: tcp.data.count(b"\0") == 2, timeout=20, what="two gelf records")
        records = [json.loads(r) for r in bytes(tcp.data).split(b"\0") if r]
        assert [r["short_message"] for r in records] == ["one", "two"]
    finally:
        tcp.close()


def test_a_receiver_that_is_down_never_blocks_a_start(docker: DockerCLI, named: str) -> None:
    port = free_port()  # nothing listens there
    started = time.monotonic()
    docker("run", "-d", "--name", named, "--log-driver", "syslog",
           "--log-opt", f"syslog-address=tcp://127.0.0.1:{port}", "busybox", "sh", "-c",
           "echo still-logged")
    assert time.monotonic() - started < 10
    wait_exit(docker, named)
    wait_until(lambda: docker("logs", named).stdout == "still-logged\n", timeout=10,
               what="the line in the local cache")


def test_non_blocking_drops_are_counted(daemon: Daemon, docker: DockerCLI,
                                        named: str) -> None:
    docker("run", "--name", named, "--log-driver", "syslog",
           "--log-opt", f"syslog-address=tcp://127.0.0.1:{free_port()}",
           "--log-opt", "mode=non-blocking", "--log-opt", "max-buffer-size=4k",
           "busybox", "sh", "-c", "seq 1 2000")
    assert docker("logs", "--tail", "1", named).stdout == "2000\n"
    # 4 KiB holds a few dozen messages and the receiver never comes: most lines are dropped
    wait_until(lambda: _dropped(daemon, named) > 1000, timeout=15,
               what="over 1000 dropped lines counted")
    assert _dropped(daemon, named) <= 2000


def _dropped(daemon: Daemon, name: str) -> float:
    """skiffd's count of the container's log lines dropped."""
    with urllib.request.urlopen(daemon.metrics, timeout=10) as response:
        text = response.read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (sample.name == "skiff_container_log_lines_dropped_total" and
                    sample.labels["name"] == name):
                return sample.value
    return 0


def test_cache_disabled_refuses_docker_logs(docker: DockerCLI, named: str,
                                            receiver: UdpReceiver) -> None:
    docker("run", "--name", named, "--log-driver", "gelf",
           "--log-opt", f"gelf-address=udp://127.0.0.1:{receiver.port}",
           "--log-opt", "cache-disabled=true", "busybox", "echo", "x")
    result = docker("logs", named, check=False)
    assert result.returncode != 0
    assert "configured logging driver does not support reading" in result.stderr


@pytest.mark.parametrize(("options", "message"), [
    (["--log-driver", "nosuch"], "logger: no log driver named 'nosuch' is registered"),
    (["--log-driver", "syslog", "--log-opt", "max-size=1m"],
     "unknown log opt 'max-size' for syslog log driver"),
    (["--log-driver", "syslog", "--log-opt", "syslog-address=bogus://x"],
     "unsupported scheme"),
    (["--log-driver", "syslog", "--log-opt", "syslog-format=rfc9999"],
     "Invalid syslog format"),
    (["--log-driver", "gelf"], "gelf-address is a required parameter"),
    (["--log-opt", "tag={{.ID"], "unclosed action"),
    (["--log-opt", "tag={{.Nope}}"], "can't evaluate field Nope"),
    (["--log-opt", "max-buffer-size=1m"],
     "max-buffer-size option is only supported with 'mode=non-blocking'"),
    (["--log-opt", "mode=fast"], "unknown log mode: fast"),
])
def test_bad_log_options(docker: DockerCLI, named: str, options: list[str],
                         message: str) -> None:
    result = docker("create", "--name", named, *options, "busybox", "true", check=False)
    assert result.returncode != 0 and message in result.stderr, result.stderr
    assert named not in docker("ps", "-a", "--format", "{{.Names}}").stdout


def test_info_lists_the_drivers(docker: DockerCLI) -> None:
    info = json.loads(docker("info", "--format", "{{json .}}").stdout)
    assert {"json-file", "local", "none", "syslog", "gelf", "fluentd", "journald"} <= \
        set(info["Plugins"]["Log"])
    assert info["LoggingDriver"] == "json-file"


def test_fluentd_forward_protocol(docker: DockerCLI, named: str) -> None:
    receiver = TcpReceiver()
    try:
        docker("run", "--name", named, "--log-driver", "fluentd",
               "--log-opt", f"fluentd-address=127.0.0.1:{receiver.port}",
               "--log-opt", "fluentd-sub-second-precision=true",
               "--log-opt", "tag=app.{{.Name}}", "busybox", "sh", "-c",
               "echo first; sleep 0.2; echo second >&2")
        unpacker = msgpack.Unpacker(raw=False)

        def two() -> list[list[object]] | None:
            unpacker.feed(bytes(receiver.data))
            receiver.data.clear()
            got.extend(unpacker)
            return got if len(got) >= 2 else None

        got: list[list[object]] = []
        wait_until(two, timeout=20, what="two forward-protocol entries")
    finally:
        receiver.close()
    cid = docker("inspect", "-f", "{{.Id}}", named).stdout.strip()
    (tag1, time1, rec1), (_, _, rec2) = got
    assert tag1 == f"app.{named}"
    assert isinstance(time1, msgpack.ExtType) and time1.code == 0  # EventTime: s + ns
    seconds, _ = struct.unpack(">II", time1.data)
    assert abs(seconds - time.time()) < 60
    assert rec1 == {"container_id": cid, "container_name": f"/{named}", "source": "stdout",
                    "log": "first"}
    assert (rec2["source"], rec2["log"]) == ("stderr", "second")  # type: ignore[index]
    assert docker("logs", named).stdout == "first\n"


class AckingReceiver:
    """A forward-protocol server that acknowledges each record's chunk, except that it drops
    the first connection at its first record, unacknowledged."""

    def __init__(self) -> None:
        self.records: list[list[object]] = []
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        first = True
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            with client:
                unpacker = msgpack.Unpacker(raw=False)
                while chunk := client.recv(65536):
                    unpacker.feed(chunk)
                    for record in unpacker:
                        self.records.append(record)
                        if first:
                            break
                        client.sendall(msgpack.packb({"ack": record[3]["chunk"]}))
                    if first:
                        first = False
                        break


def test_fluentd_without_async_needs_its_receiver(docker: DockerCLI, named: str) -> None:
    port = free_port()
    refused = docker("run", "--name", named, "--log-driver", "fluentd", "--log-opt",
                     f"fluentd-address=127.0.0.1:{port}", "busybox", "true", check=False)
    assert refused.returncode == 125
    assert (f"failed to initialize logging driver: dial tcp 127.0.0.1:{port}: connect: "
            "connection refused") in refused.stderr
    docker("rm", named)
    docker("run", "--name", named, "--log-driver", "fluentd", "--log-opt",
           f"fluentd-address=127.0.0.1:{port}", "--log-opt", "fluentd-async=true",
           "busybox", "echo", "queued")
    assert docker("logs", named).stdout == "queued\n"


def test_fluentd_request_ack_sends_a_record_again_until_acknowledged(
        docker: DockerCLI, named: str) -> None:
    receiver = AckingReceiver()
    try:
        docker("run", "--name", named, "--log-driver", "fluentd",
               "--log-opt", f"fluentd-address=127.0.0.1:{receiver.port}",
               "--log-opt", "fluentd-request-ack=true", "--log-opt", "fluentd-retry-wait=50ms",
               "busybox", "sh", "-c", "echo one; echo two; echo three")
        wait_until(lambda: len(receiver.records) >= 4, timeout=20,
                   what="the first record twice, then the others")
    finally:
        receiver.server.close()
    logs = [record[2]["log"] for record in receiver.records]  # type: ignore[index]
    assert logs == ["one", "one", "two", "three"]  # at least once, in order
    chunks = [record[3]["chunk"] for record in receiver.records]  # type: ignore[index]
    assert chunks[0] == chunks[1] and len(set(chunks)) == 3


def test_fluentd_max_retries_then_drops(daemon: Daemon, docker: DockerCLI,
                                         named: str) -> None:
    docker("run", "--name", named, "--log-driver", "fluentd",
           "--log-opt", f"fluentd-address=127.0.0.1:{free_port()}",
           "--log-opt", "fluentd-async=true", "--log-opt", "fluentd-max-retries=1",
           "--log-opt", "fluentd-retry-wait=10ms", "busybox", "seq", "1", "50")
    wait_until(lambda: _dropped(daemon, named) == 50, timeout=15,
               what="the 50 lines dropped once the retries ran out")
    assert docker("logs", "--tail", "1", named).stdout == "50\n"


def test_fluentd_buffer_limit_bounds_the_records_held(daemon: Daemon, docker: DockerCLI,
                                                      named: str) -> None:
    docker("run", "--name", named, "--log-driver", "fluentd",
           "--log-opt", f"fluentd-address=127.0.0.1:{free_port()}",
           "--log-opt", "fluentd-async=true", "--log-opt", "fluentd-buffer-limit=5",
           "-d", "busybox", "sh", "-c", "seq 1 50; sleep 30")  # running: the 5 still held
    wait_until(lambda: _dropped(daemon, named) == 45, timeout=15,
               what="45 of the 50 lines dropped, 5 held for the receiver")


def test_a_restarted_skiffd_takes_back_containers_whose_receivers_are_gone(
        private_root: Path) -> None:
    private_root.mkdir(parents=True)
    receiver = TcpReceiver()
    journal = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    journal.bind(str(private_root / "journal.sock"))
    env = {"SKIFF_JOURNAL_SOCKET": str(private_root / "journal.sock")}
    own = start_daemon(private_root, env=env)
    try:
        import_busybox(own)
        cli = DockerCLI(own.host)
        loop = ["busybox", "sh", "-c", "while true; do echo tick; sleep 0.2; done"]
        cli("run", "-d", "--name", "f1", "--log-driver", "fluentd",
            "--log-opt", f"fluentd-address=127.0.0.1:{receiver.port}", *loop)
        cli("run", "-d", "--name", "j1", "--log-driver", "journald", *loop)
        wait_until(lambda: b"tick" in receiver.data, timeout=20, what="a tick received")
        receiver.close()  # both gone: a start of either would be refused now
        (private_root / "journal.sock").unlink()
        stop_daemon(own)
        own = start_daemon(private_root, env=env)
        assert cli("inspect", "-f", "{{.State.Running}}", "f1", "j1").stdout.split() == [
            "true", "true"]
        cli("rm", "-f", "f1", "j1")
    finally:
        receiver.close()
        journal.close()
        stop_daemon(own)


def test_journald_native_protocol(private_root: Path) -> None:
    private_root.mkdir(parents=True)
    journal = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    journal.bind(str(private_root / "journal.sock"))
    journal.settimeout(15)
    own = start_daemon(private_root, env={"SKIFF_JOURNAL_SOCKET":
                                          str(private_root / "journal.sock")})
    try:
        import_busybox(own)
        cli = DockerCLI(own.host)
        cli("run", "--name", "j1", "--log-driver", "journald", "--label", "team=shop",
            "--log-opt", "labels=team", "busybox", "sh", "-c", "echo hello journal")
        cid = cli("inspect", "-f", "{{.Id}}", "j1").stdout.strip()
        fields = dict(line.split("=", 1) for line in
                      journal.recv(65536).decode().splitlines())
        assert fields["MESSAGE"] == "hello journal" and fields["PRIORITY"] == "6"
        assert (fields["CONTAINER_ID"], fields["CONTAINER_ID_FULL"]) == (cid[:12], cid)
        assert fields["CONTAINER_NAME"] == "j1" and fields["IMAGE_NAME"] == "busybox"
        assert fields["SYSLOG_IDENTIFIER"] == fields["CONTAINER_TAG"] == cid[:12]
        assert fields["TEAM"] == "shop"
        assert cli("logs", "j1").stdout == "hello journal\n"
        (private_root / "journal.sock").unlink()  # journald goes away: refused, as dockerd
        refused = cli("create", "--log-driver", "journald", "busybox", "true", check=False)
        assert "journald is not enabled on this host" in refused.stderr
        cli("rm", "-f", "j1")
    finally:
        journal.close()
        stop_daemon(own)


def test_json_file_compresses_rotated_files(daemon: Daemon, docker: DockerCLI,
                                            named: str) -> None:
    docker("run", "--name", named, "--log-opt", "max-size=20k", "--log-opt", "max-file=3",
           "--log-opt", "compress=true", "busybox", "seq", "1", "20000")
    cid = docker("inspect", "-f", "{{.Id}}", named).stdout.strip()
    files = sorted(p.name for p in (daemon.data_root / "containers" / cid).iterdir()
                   if p.name.startswith(f"{cid}-json.log"))
    assert files == [f"{cid}-json.log", f"{cid}-json.log.1.gz", f"{cid}-json.log.2.gz"]
    numbers = [int(n) for n in docker("logs", named).stdout.split()]
    assert numbers[-1] == 20000 and numbers == list(range(numbers[0], 20001))
    current = (daemon.data_root / "containers" / cid / f"{cid}-json.log").read_bytes()
    assert len(numbers) > current.count(b"\n")  # the gzipped rotations were read too
    assert docker("logs", "--tail", "3", named).stdout == "19998\n19999\n20000\n"


def test_local_driver(daemon: Daemon, docker: DockerCLI, named: str) -> None:
    docker("run", "--name", named, "--log-driver", "local", "busybox", "sh", "-c",
           "seq 1 500; echo gone >&2")
    cid = docker("inspect", "-f", "{{.Id}}", named).stdout.strip()
    assert docker("inspect", "-f", "{{.LogPath}}", named).stdout.strip() == ""
    raw = (daemon.data_root / "containers" / cid / "local-logs" / "container.log").read_bytes()
    # Docker's format: a length, a protobuf LogEntry (source, time_nano, line), the length
    (size,) = struct.unpack(">I", raw[:4])
    assert raw[4 + size:8 + size] == raw[:4] and raw[4:12] == b"\x0a\x06stdout"
    assert raw[4 + size - 3:4 + size] == b"\x1a\x011"  # the line "1", its newline left out
    logs = docker("logs", named)
    assert logs.stdout.split() == [str(n) for n in range(1, 501)] and logs.stderr == "gone\n"


@pytest.mark.parametrize(("options", "message"), [
    (["--log-opt", "compress=true"], "compress cannot be true when max-file is less than 2"),
    (["--log-driver", "local", "--log-opt", "compress=maybe"], 'parsing "maybe"'),
    (["--log-driver", "local", "--log-opt", "syslog-address=udp://x"],
     "unknown log opt 'syslog-address' for local log driver"),
])
def test_bad_local_options(docker: DockerCLI, named: str, options: list[str],
                           message: str) -> None:
    result = docker("create", "--name", named, *options, "busybox", "true", check=False)
    assert result.returncode != 0 and message in result.stderr, result.stderr


def test_syslog_read_by_rsyslog(docker: DockerCLI, named: str, tmp_path: Path) -> None:
    binary = shutil.which("rsyslogd")
    assert binary, "rsyslogd is not installed (scripts/install --test installs rsyslog)"
    udp, tcp = free_port(socket.SOCK_DGRAM), free_port()
    out = tmp_path / "received.log"
    (tmp_path / "rsyslog.conf").write_text(f"""
global(workDirectory="{tmp_path}")
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="{udp}")
input(type="imtcp" address="127.0.0.1" port="{tcp}")
template(name="fields" type="string"
         string="%pri%|%hostname%|%app-name%|%syslogtag%|%msg:::drop-last-lf%\\n")
*.* action(type="omfile" file="{out}" template="fields")
""")
    rsyslogd = subprocess.Popen([binary, "-n", "-f", str(tmp_path / "rsyslog.conf"),
                                 "-i", str(tmp_path / "rsyslogd.pid")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: _listening(tcp), timeout=20, what="rsyslogd to listen")
        docker("run", "--name", named, "--log-driver", "syslog",
               "--log-opt", f"syslog-address=tcp://127.0.0.1:{tcp}",
               "--log-opt", "syslog-format=rfc5424", "--log-opt", "tag=shop-web",
               "busybox", "sh", "-c", "echo over tcp; echo trouble >&2")
        docker("run", "--name", f"{named}-udp", "--log-driver", "syslog",
               "--log-opt", f"syslog-address=udp://127.0.0.1:{udp}",
               "--log-opt", "syslog-format=rfc3164", "--log-opt", "syslog-facility=local3",
               "--log-opt", "tag={{.Name}}", "busybox", "echo", "over udp")
        wait_until(lambda: out.exists() and out.read_text().count("\n") >= 3, timeout=20,
                   what="three messages written by rsyslogd")
    finally:
        rsyslogd.terminate()
        rsyslogd.wait(timeout=20)
        docker("rm", "-f", f"{named}-udp", check=False)
    rows = [line.split("|", 4) for line in out.read_text().splitlines()]
    by_text = {row[4].strip(): row for row in rows}
    host = socket.gethostname()
    assert by_text["over tcp"][:3] == ["30", host, "shop-web"]  # daemon.info
    assert by_text["trouble"][:3] == ["27", host, "shop-web"]  # daemon.err
    assert by_text["over udp"][0] == "158"  # local3.info
    assert by_text["over udp"][3].startswith(f"{named}-udp[")


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_output_files_feed_attach_and_logs_and_are_freed(daemon: Daemon, docker: DockerCLI,
                                                         named: str) -> None:
    """A container without a TTY or stdin writes to output files: `docker run` shows both
    streams (even with the none driver), a line without newline comes last, 8 MiB of
    output is logged whole and its files are removed once the container has ended."""
    run = docker("run", "--rm", "--log-driver", "none", "busybox", "sh", "-c",
                 "echo out; sleep 0.2; echo err >&2; sleep 0.2; printf 'no newline'")
    assert run.stdout == "out\nno newline" and run.stderr == "err\n"
    docker("run", "--name", named, "busybox", "sh", "-c",
           "seq 1 1000000; printf 'tab\\there \"quoted\" \\\\ end'")
    cid = docker("inspect", "-f", "{{.Id}}", named).stdout.strip()
    directory = daemon.data_root / "containers" / cid
    assert not (directory / "stdout.raw").exists() and not (directory / "stderr.raw").exists()
    logs = docker("logs", named).stdout
    *numbers, last = logs.split("\n")
    assert numbers == [str(n) for n in range(1, 1000001)]
    assert last == 'tab\there "quoted" \\ end'
    entry = json.loads((directory / f"{cid}-json.log").read_bytes().splitlines()[-1])
    assert entry["log"] == last and entry["stream"] == "stdout"


def test_interactive_and_tty_containers_keep_the_journal(daemon: Daemon, docker: DockerCLI,
                                                         named: str) -> None:
    docker("run", "-d", "-i", "--name", named, "busybox", "sh", "-c", "echo ready; cat")
    cid = docker("inspect", "-f", "{{.Id}}", named).stdout.strip()
    wait_until(lambda: docker("logs", named).stdout == "ready\n", 10, "no output")
    assert not (daemon.data_root / "containers" / cid / "stdout.raw").exists()


def test_a_slow_attached_client_gets_all_output(daemon: Daemon, named: str) -> None:
    """A client that reads nothing for a while (more than the 16 MiB the copier queues
    for it) still gets every line: the copier waits for it; the container never does."""
    client = subprocess.Popen([DOCKER, "-H", daemon.host, "run", "--name", named, "busybox",
                               "seq", "1", "3000000"], stdout=subprocess.PIPE)
    try:
        time.sleep(2)  # reads nothing while the container prints everything
        output, _ = client.communicate(timeout=120)
    finally:
        client.kill()
        client.wait()
    assert output.count(b"\n") == 3000000 and output.endswith(b"\n3000000\n")
