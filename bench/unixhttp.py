"""A minimal Engine API client over a unix socket, used for timing without client overhead."""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any

CHUNK = 1 << 20


class ApiError(Exception):
    """The daemon answered with an unexpected HTTP status."""


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client connection whose transport is a unix stream socket."""

    def __init__(self, path: str, timeout: float | None = None) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        """Connect to the unix socket instead of TCP."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class Api:
    """Engine API calls on one daemon socket; each call uses a fresh connection."""

    def __init__(self, sock_path: str, timeout: float | None = 600.0) -> None:
        self.sock_path = sock_path
        self.timeout = timeout

    def _send(self, method: str, path: str, body: Any = None) -> http.client.HTTPResponse:
        conn = UnixHTTPConnection(self.sock_path, self.timeout)
        headers = {"Host": "localhost"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        return conn.getresponse()

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """Send one request and return (status, body)."""
        resp = self._send(method, path, body)
        try:
            return resp.status, resp.read()
        finally:
            resp.close()

    def json(self, method: str, path: str, body: Any = None) -> Any:
        """Send one request, fail on a non-2xx status, and decode a JSON body if any."""
        status, data = self.call(method, path, body)
        if not 200 <= status < 300:
            raise ApiError(f"{method} {path}: HTTP {status}: {data[:300]!r}")
        return json.loads(data) if data.strip() else None

    def drain(self, path: str) -> int:
        """GET a (streamed) body, discard it and return its size in bytes."""
        resp = self._send("GET", path)
        try:
            if resp.status != 200:
                raise ApiError(f"GET {path}: HTTP {resp.status}: {resp.read(300)!r}")
            total = 0
            while chunk := resp.read(CHUNK):
                total += len(chunk)
            return total
        finally:
            resp.close()

    def ping(self) -> bool:
        """True when the daemon answers /_ping."""
        try:
            return self.call("GET", "/_ping")[0] == 200
        except OSError:
            return False
