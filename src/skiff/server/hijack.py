"""Hijacked connections: ``101 UPGRADED`` then a raw bidirectional byte stream."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import web

RAW = "application/vnd.docker.raw-stream"
MULTIPLEXED = "application/vnd.docker.multiplexed-stream"


class _RawProtocol(asyncio.Protocol):
    """Takes over the connection from aiohttp once the upgrade response is sent."""

    def __init__(self, initial: bytes) -> None:
        self.incoming: asyncio.Queue[bytes | None] = asyncio.Queue()
        if initial:
            self.incoming.put_nowait(initial)
        self.closed = asyncio.Event()
        self._can_write = asyncio.Event()
        self._can_write.set()

    def data_received(self, data: bytes) -> None:
        self.incoming.put_nowait(data)

    def eof_received(self) -> bool:
        self.incoming.put_nowait(b"")
        return True  # keep the write side open: output continues after stdin ends

    def connection_lost(self, exc: Exception | None) -> None:
        self.incoming.put_nowait(None)
        self.closed.set()
        self._can_write.set()

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    async def drain(self) -> None:
        await self._can_write.wait()


class Hijacked:
    """The client connection after the upgrade."""

    def __init__(self, transport: asyncio.Transport, protocol: _RawProtocol) -> None:
        self._transport = transport
        self._protocol = protocol

    async def write(self, data: bytes) -> bool:
        """Send bytes; False once the client has gone."""
        if self._transport.is_closing():
            return False
        self._transport.write(data)
        await self._protocol.drain()
        return not self._transport.is_closing()

    async def read(self) -> bytes | None:
        """Next bytes from the client; b"" when it closed its write side, None when gone."""
        return await self._protocol.incoming.get()

    @property
    def gone(self) -> asyncio.Event:
        return self._protocol.closed

    def close(self) -> None:
        if not self._transport.is_closing():
            if self._transport.can_write_eof():
                with contextlib.suppress(OSError):
                    self._transport.write_eof()
            self._transport.close()


async def upgrade(request: web.Request, content_type: str) -> tuple[web.StreamResponse, Hijacked]:
    """Answer 101 (or 200 for clients that did not ask to upgrade) and take the socket."""
    upgrading = request.headers.get("Upgrade", "").lower() == "tcp"
    headers = {"Content-Type": content_type}
    if upgrading:
        headers.update({"Connection": "Upgrade", "Upgrade": "tcp"})
    response = web.StreamResponse(status=101 if upgrading else 200, headers=headers)
    if not upgrading:
        response.force_close()
    await response.prepare(request)
    transport = request.transport
    assert transport is not None
    protocol_obj: Any = request.protocol
    tail = bytes(getattr(protocol_obj, "_message_tail", b"") or b"")
    raw = _RawProtocol(tail)
    transport.set_protocol(raw)
    return response, Hijacked(transport, raw)  # type: ignore[arg-type]
