"""The versioned Engine API: negotiation through /_ping, error replies turned into APIError."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from skiff.client.errors import APIError
from skiff.client.hijack import Hijacked, hijack
from skiff.client.hosts import Host
from skiff.client.http import Body, Query, Response, Transport

MAX_VERSION = "1.50"
FALLBACK_VERSION = "1.24"


def version_tuple(version: str) -> tuple[int, int]:
    """Parse "1.43" into (1, 43); unparseable versions sort first."""
    major, _, minor = version.partition(".")
    try:
        return int(major), int(minor or 0)
    except ValueError:
        return 0, 0


def negotiated(server: str | None) -> str:
    """min(client maximum, server version), as the docker CLI picks it."""
    if not server:
        return MAX_VERSION
    return server if version_tuple(server) < version_tuple(MAX_VERSION) else MAX_VERSION


def error_message(body: bytes, status: int) -> str:
    """The ``message`` of an error body, or the body text."""
    try:
        decoded = json.loads(body)
    except ValueError:
        decoded = None
    if isinstance(decoded, dict) and "message" in decoded:
        return str(decoded["message"])
    text = body.decode(errors="replace").strip()
    return text or f"HTTP {status}"


class APIClient:
    """Low-level calls on one daemon; the version is negotiated on first use."""

    def __init__(self, host: Host, version: str | None = None,
                 timeout: float | None = None) -> None:
        self.host = host
        self.transport = Transport(host, timeout)
        self._version = version
        self.ping_headers: dict[str, str] | None = None

    def ping(self) -> dict[str, str]:
        """GET /_ping; returns the response headers (lower-case names)."""
        response = self.transport.request("GET", "/_ping")
        body = response.read()
        headers = {k.lower(): v for k, v in response.headers.items()}
        if response.status >= 400 and "api-version" not in headers:
            raise APIError(response.status, error_message(body, response.status))
        self.ping_headers = headers
        return headers

    @property
    def version(self) -> str:
        """The API version every request uses (negotiated once)."""
        if self._version is None:
            headers = self.ping_headers if self.ping_headers is not None else self.ping()
            self._version = negotiated(headers.get("api-version"))
        return self._version

    def path(self, path: str) -> str:
        return f"/v{self.version}{path}"

    def request(self, method: str, path: str, query: Query | None = None, body: Body = None,
                headers: Mapping[str, str] | None = None) -> Response:
        """Send a request; raise APIError for error statuses."""
        response = self.transport.request(method, self.path(path), query, body, headers)
        if response.status >= 400:
            raise APIError(response.status, error_message(response.read(), response.status))
        return response

    def get(self, path: str, query: Query | None = None) -> Any:
        return self.request("GET", path, query).json()

    def get_raw(self, path: str, query: Query | None = None) -> bytes:
        """The body exactly as the daemon sent it (inspect prints it re-indented)."""
        return self.request("GET", path, query).read()

    def post(self, path: str, query: Query | None = None, body: Any = None) -> Any:
        """POST a JSON body (or none) and decode the JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else None
        return self.request("POST", path, query, data, headers).json()

    def delete(self, path: str, query: Query | None = None) -> Any:
        return self.request("DELETE", path, query).json()

    def hijack(self, path: str, query: Query | None = None, body: Any = None) -> Hijacked:
        """POST asking for ``Upgrade: tcp``; the socket becomes the stream (101)."""
        return hijack(self.host, self.path(path), query, body=body)

    def head(self, path: str, query: Query | None = None) -> Response:
        """A HEAD request: only the status and headers matter."""
        response = self.request("HEAD", path, query)
        response.read()
        return response
