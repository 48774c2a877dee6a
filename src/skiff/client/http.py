"""HTTP/1.1 to the daemon over a unix socket (or plain tcp) with the stdlib's http.client."""

from __future__ import annotations

import http.client
import json
import os
import socket
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any
from urllib.parse import urlencode

from skiff import __version__
from skiff.client.errors import ConnectionFailed
from skiff.client.hosts import Host

Body = bytes | IO[bytes] | Iterable[bytes] | None
QueryValue = str | int | float | bool | None | Sequence[str]
Query = Mapping[str, QueryValue]

USER_AGENT = f"Skiff-Client/{__version__} (linux)"
HOST_HEADER = "api.moby.localhost"
BLOCK = 1 << 16


class UnixHTTPConnection(http.client.HTTPConnection):
    """An HTTPConnection whose transport is a unix stream socket."""

    def __init__(self, path: str, timeout: float | None = None) -> None:
        super().__init__(HOST_HEADER, timeout=timeout, blocksize=BLOCK)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class Response:
    """A response whose body is read on demand (whole, as chunks, or as JSON)."""

    def __init__(self, conn: http.client.HTTPConnection, raw: http.client.HTTPResponse) -> None:
        self.conn = conn
        self.raw = raw
        self.status = raw.status
        self.headers = raw.headers

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default)

    def read(self) -> bytes:
        """The whole body; closes the connection."""
        try:
            return self.raw.read()
        finally:
            self.close()

    def json(self) -> Any:
        data = self.read()
        return json.loads(data) if data.strip() else None

    def chunks(self) -> Iterator[bytes]:
        """Body bytes as soon as they arrive; closes the connection at the end."""
        try:
            while True:
                data = self.raw.read1(BLOCK)
                if not data:
                    return
                yield data
        except (http.client.IncompleteRead, ConnectionError):
            return
        finally:
            self.close()

    def close(self) -> None:
        self.raw.close()
        self.conn.close()


def encode_query(query: Query | None) -> str:
    """Docker-style query string: booleans as 1/0, lists repeated, None left out."""
    if not query:
        return ""
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        if value is None:
            continue
        if isinstance(value, bool):
            pairs.append((key, "1" if value else "0"))
        elif isinstance(value, str | int | float):
            pairs.append((key, str(value)))
        else:
            pairs.extend((key, str(item)) for item in value)
    return "?" + urlencode(pairs) if pairs else ""


def _content_length(body: Body) -> int | None:
    if body is None:
        return 0
    if isinstance(body, bytes):
        return len(body)
    fileno = getattr(body, "fileno", None)
    tell = getattr(body, "tell", None)
    if fileno is not None and tell is not None:
        try:
            st = os.fstat(fileno())
            if stat.S_ISREG(st.st_mode):
                return int(st.st_size - tell())
        except (OSError, ValueError):
            return None
    return None


class Transport:
    """Opens connections to one daemon and sends requests on them."""

    def __init__(self, host: Host, timeout: float | None = None) -> None:
        self.host = host
        self.timeout = timeout

    def connection(self) -> http.client.HTTPConnection:
        """A fresh connected HTTP connection."""
        conn: http.client.HTTPConnection
        if self.host.scheme == "unix":
            conn = UnixHTTPConnection(self.host.path, self.timeout)
        else:
            conn = http.client.HTTPConnection(self.host.hostname, self.host.port,
                                              timeout=self.timeout, blocksize=BLOCK)
        try:
            conn.connect()
        except (FileNotFoundError, ConnectionRefusedError, socket.gaierror) as exc:
            conn.close()
            raise ConnectionFailed(self.host.url, str(exc)) from None
        except PermissionError as exc:
            conn.close()
            raise ConnectionFailed(self.host.url, str(exc)) from None
        return conn

    def request(self, method: str, path: str, query: Query | None = None, body: Body = None,
                headers: Mapping[str, str] | None = None) -> Response:
        """Send one request and return once the response headers are in."""
        conn = self.connection()
        all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
        length = _content_length(body)
        if length is not None and method != "GET":
            all_headers.setdefault("Content-Length", str(length))
        try:
            try:
                conn.request(method, path + encode_query(query), body=body,
                             headers=all_headers, encode_chunked=length is None)
            except (BrokenPipeError, ConnectionResetError):
                if conn.sock is None:
                    raise
                # the daemon answered (an error) before reading the whole body: read it
            raw = conn.getresponse()
        except (ConnectionError, http.client.RemoteDisconnected) as exc:
            conn.close()
            raise ConnectionFailed(self.host.url, str(exc)) from None
        return Response(conn, raw)
