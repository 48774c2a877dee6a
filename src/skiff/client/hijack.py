"""Hijacked connections: ``Upgrade: tcp`` then the socket is a raw bidirectional stream."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Mapping
from typing import Any

from skiff.client.errors import APIError, ConnectionFailed
from skiff.client.hosts import Host
from skiff.client.http import HOST_HEADER, USER_AGENT, Query, encode_query

_MAX_HEAD = 1 << 16


class Hijacked:
    """The raw stream left after a ``101 UPGRADED`` answer."""

    def __init__(self, sock: socket.socket, initial: bytes, content_type: str) -> None:
        self.sock = sock
        self._pending = initial
        self.content_type = content_type
        self._write_closed = False
        self.tty: bool | None = None  # set by callers that know (daemons before API 1.42
        # answer raw-stream for framed output too)

    @property
    def multiplexed(self) -> bool:
        """True when output uses the 8-byte stream frames: no TTY."""
        if "multiplexed" in self.content_type:
            return True
        return self.tty is False

    def recv(self, size: int = 1 << 16) -> bytes:
        """Next bytes from the daemon; b"" at the end of the stream."""
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        try:
            return self.sock.recv(size)
        except (ConnectionResetError, OSError):
            return b""

    def send(self, data: bytes) -> bool:
        """Send bytes; False once the daemon no longer reads."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def close_write(self) -> None:
        """Half-close: tell the daemon stdin has ended, keep reading output."""
        if not self._write_closed:
            self._write_closed = True
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def _connect(host: Host) -> socket.socket:
    try:
        if host.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(host.path)
            except OSError:
                sock.close()
                raise
            return sock
        return socket.create_connection((host.hostname, host.port))
    except OSError as exc:
        raise ConnectionFailed(host.url, str(exc)) from None


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(4096)
        if not data:
            break
        buf += data
        if len(buf) > _MAX_HEAD:
            break
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head, rest


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


def _error_message(body: bytes, status: int) -> str:
    try:
        decoded = json.loads(body)
        if isinstance(decoded, dict) and "message" in decoded:
            return str(decoded["message"])
    except ValueError:
        pass
    return body.decode(errors="replace").strip() or f"HTTP {status}"


def hijack(host: Host, path: str, query: Query | None = None,
           headers: Mapping[str, str] | None = None, body: Any = None) -> Hijacked:
    """POST ``path`` (with ``body`` as JSON, if given) asking for an upgrade; return the raw
    stream or raise APIError."""
    sock = _connect(host)
    data = b"" if body is None else json.dumps(body).encode()
    content_type = "text/plain" if body is None else "application/json"
    lines = [f"POST {path}{encode_query(query)} HTTP/1.1", f"Host: {HOST_HEADER}",
             f"User-Agent: {USER_AGENT}", f"Content-Length: {len(data)}",
             f"Content-Type: {content_type}", "Connection: Upgrade", "Upgrade: tcp"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data)
        head, rest = _read_head(sock)
    except OSError as exc:
        sock.close()
        raise ConnectionFailed(host.url, str(exc)) from None
    status, response_headers = _parse_head(head)
    if status in (101, 200):
        return Hijacked(sock, rest, response_headers.get("content-type", ""))
    chunked = "chunked" in response_headers.get("transfer-encoding", "")
    body = rest
    length = int(response_headers.get("content-length", "0") or 0)
    try:
        while (b"0\r\n\r\n" not in body) if chunked else (len(body) < length):
            data = sock.recv(4096)
            if not data:
                break
            body += data
    finally:
        sock.close()
    if chunked:
        body = _dechunk(body)
    raise APIError(status, _error_message(body, status))


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        try:
            size = int(size_line.split(b";")[0], 16)
        except ValueError:
            break
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2:]
    return out
