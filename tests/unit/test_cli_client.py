"""The Engine API client against a tiny fake daemon, and the skiffd autostart logic."""

from __future__ import annotations

import base64
import io
import json
import re
import socket
import struct
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skiff.cli import autostart
from skiff.client import APIError, Client, ConnectionFailed, Host
from skiff.client.streams import demux, json_messages


def test_json_messages_across_chunk_boundaries() -> None:
    chunks = [b'{"status": "a"}\n{"sta', b'tus": "b"}{"x": "\xc3', b'\xa9"}\n']
    assert list(json_messages(chunks)) == [{"status": "a"}, {"status": "b"}, {"x": "é"}]


def test_demux_frames() -> None:
    frame = struct.pack(">BxxxL", 1, 3) + b"out" + struct.pack(">BxxxL", 2, 3) + b"err"
    assert list(demux([frame[:5], frame[5:13], frame[13:]])) == [(1, b"out"), (2, b"err")]


class FakeDaemon:
    """A unix-socket HTTP server with canned answers (one request per connection)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.requests: list[str] = []
        self.heads: list[str] = []
        self.bodies: list[bytes] = []
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(str(path))
        self.sock.listen(8)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self.handle(conn)

    def handle(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(4096)
        line = data.split(b"\r\n", 1)[0].decode()
        self.requests.append(line)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", head).group(1)) \
            if b"Content-Length:" in head else 0
        while len(body) < length:
            body += conn.recv(4096)
        self.heads.append(head.decode())
        self.bodies.append(body)
        if line.startswith("GET /_ping"):
            conn.sendall(b"HTTP/1.1 200 OK\r\nApi-Version: 1.43\r\nContent-Length: 2\r\n\r\nOK")
        elif "/containers/nosuch/json" in line:
            body = json.dumps({"message": "No such container: nosuch"}).encode()
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        elif "/attach" in line:
            conn.sendall(b"HTTP/1.1 101 UPGRADED\r\nContent-Type: "
                         b"application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\n"
                         b"Upgrade: tcp\r\n\r\n")
            received = b""
            while chunk := conn.recv(4096):  # until the client half-closes
                received += chunk
            conn.sendall(b"echo:" + received)
        elif "/exec/e1/start" in line:
            conn.sendall(b"HTTP/1.1 101 UPGRADED\r\nContent-Type: "
                         b"application/vnd.docker.multiplexed-stream\r\n"
                         b"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
                         + struct.pack(">BxxxL", 2, 4) + b"oops")
        elif line.startswith("HEAD /v1.50/containers/c/archive"):
            stat = base64.b64encode(json.dumps({"name": "etc", "size": 4096,
                                                "mode": 2147484141, "mtime": "",
                                                "linkTarget": ""}).encode())
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Docker-Container-Path-Stat: " + stat +
                         b"\r\nContent-Length: 0\r\n\r\n")
        elif line.startswith("HEAD "):
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        elif "/events" in line:
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                         b"f\r\n{\"Action\": \"a\"}\r\n10\r\n\n{\"Action\": \"b\"}\r\n0\r\n\r\n")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeDaemon]:
    daemon = FakeDaemon(tmp_path / "d.sock")
    yield daemon
    daemon.close()


def test_negotiates_down_and_maps_errors(fake: FakeDaemon) -> None:
    client = Client(Host.parse(f"unix://{fake.path}"))
    with pytest.raises(APIError) as info:
        client.containers.inspect("nosuch")
    assert info.value.status == 404
    assert str(info.value) == "Error response from daemon: No such container: nosuch"
    assert fake.requests == ["GET /_ping HTTP/1.1", "GET /v1.43/containers/nosuch/json "
                                                    "HTTP/1.1"]


def test_streams_chunked_json(fake: FakeDaemon) -> None:
    client = Client(Host.parse(f"unix://{fake.path}"), version="1.50")
    assert [e["Action"] for e in client.system.events()] == ["a", "b"]


def test_hijack_half_closes_and_keeps_reading(fake: FakeDaemon) -> None:
    client = Client(Host.parse(f"unix://{fake.path}"), version="1.50")
    stream = client.containers.attach("c", stdin=True)
    assert not stream.multiplexed
    stream.send(b"hello")
    stream.close_write()
    received = b""
    while chunk := stream.recv():
        received += chunk
    stream.close()
    assert received == b"echo:hello"


def test_exec_start_sends_its_body_and_asks_for_an_upgrade(fake: FakeDaemon) -> None:
    client = Client(Host.parse(f"unix://{fake.path}"), version="1.50")
    stream = client.execs.start("e1", tty=False, console_size=None)
    assert stream.multiplexed
    received = b""
    while chunk := stream.recv():
        received += chunk
    stream.close()
    assert list(demux([received])) == [(2, b"oops")]
    assert fake.requests[-1] == "POST /v1.50/exec/e1/start HTTP/1.1"
    assert "Connection: Upgrade\r\nUpgrade: tcp" in fake.heads[-1]
    assert "Content-Type: application/json" in fake.heads[-1]
    assert json.loads(fake.bodies[-1]) == {"Detach": False, "Tty": False}


def test_archive_stat_decodes_the_header(fake: FakeDaemon) -> None:
    client = Client(Host.parse(f"unix://{fake.path}"), version="1.50")
    stat = client.containers.stat_path("c", "/etc")
    assert stat["mode"] == 2147484141 and stat["name"] == "etc"
    assert fake.requests[-1] == "HEAD /v1.50/containers/c/archive?path=%2Fetc HTTP/1.1"
    with pytest.raises(APIError) as info:
        client.containers.stat_path("other", "/nope")
    assert info.value.status == 404


def test_connection_failure(tmp_path: Path) -> None:
    client = Client(Host.parse(f"unix://{tmp_path}/none.sock"))
    with pytest.raises(ConnectionFailed, match="Is the docker daemon running"):
        client.system.version()


class _FakeProcess:
    pid = 4242
    returncode: int | None = None

    def poll(self) -> int | None:
        return None


class _FakeAPI:
    def __init__(self, failures: int) -> None:
        self.failures = failures

    def ping(self) -> dict[str, str]:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionFailed("unix:///run/skiff/skiff.sock")
        return {"api-version": "1.50"}


class _FakeClient:
    def __init__(self, failures: int, default: bool = True) -> None:
        self.api = _FakeAPI(failures)
        self.host = Host.parse("unix:///run/skiff/skiff.sock", is_default=default)


def test_autostart_starts_skiffd_once(monkeypatch: pytest.MonkeyPatch,
                                      tmp_path: Path) -> None:
    started: list[list[str]] = []

    def popen(argv: list[str], **kwargs: Any) -> _FakeProcess:
        assert kwargs["start_new_session"] is True
        started.append(argv)
        return _FakeProcess()

    monkeypatch.setattr(autostart.os, "geteuid", lambda: 0)
    monkeypatch.setattr(autostart, "LOCK_FILE", tmp_path / "lock")
    monkeypatch.setattr(autostart, "LOG_FILE", tmp_path / "skiffd.log")
    monkeypatch.setattr(autostart, "find_skiffd", lambda: "/usr/bin/skiffd")
    monkeypatch.setattr(subprocess, "Popen", popen)
    err = io.StringIO()
    autostart.ensure_daemon(_FakeClient(failures=4), err)  # type: ignore[arg-type]
    assert started == [["/usr/bin/skiffd"]]
    assert err.getvalue() == "skiff: started skiffd (pid 4242)\n"


def test_no_autostart_for_other_hosts_or_users(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: pytest.fail("started"))
    monkeypatch.setattr(autostart.os, "geteuid", lambda: 0)
    autostart.ensure_daemon(_FakeClient(1, default=False), io.StringIO())  # type: ignore[arg-type]
    monkeypatch.setattr(autostart.os, "geteuid", lambda: 1000)
    autostart.ensure_daemon(_FakeClient(1), io.StringIO())  # type: ignore[arg-type]
