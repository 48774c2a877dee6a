"""Attaching to a running container: through conmon's attach socket, or (for a container
whose output goes to output files) fed by its log copier."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

STDOUT_TAG, STDERR_TAG = 2, 3
RECV_SIZE = 8193
BEHIND_LIMIT = 16 << 20  # output queued for an attached client before the copier waits


class ContainerStream(Protocol):
    """An attached client's view of the container's stdio."""

    async def read(self) -> tuple[str, bytes] | None:
        """Next (stream, data), or None once the container has exited."""

    async def write(self, data: bytes) -> None: ...

    def close_stdin(self) -> None: ...

    def close(self) -> None: ...


class OutputStream:
    """Output of a container without stdin, as its log copier reads it. A client that falls
    behind holds the copier back (``behind``/``drained``), never the container."""

    def __init__(self, on_close: Callable[[], None]) -> None:
        self._on_close = on_close
        self._pending: deque[tuple[str, bytes]] = deque()
        self.behind = 0  # bytes queued and not yet read by the client
        self.drained = asyncio.Event()  # set while the client is not too far behind
        self.drained.set()
        self._ended = False
        self._ready = asyncio.Event()

    def feed(self, chunks: list[tuple[str, bytes]]) -> None:
        self._pending.extend(chunks)
        self.behind += sum(len(data) for _, data in chunks)
        if self.behind > BEHIND_LIMIT:
            self.drained.clear()
        self._ready.set()

    def end(self) -> None:
        self._ended = True
        self._ready.set()
        self.drained.set()

    async def read(self) -> tuple[str, bytes] | None:
        while not self._pending:
            if self._ended:
                return None
            self._ready.clear()
            await self._ready.wait()
        stream, data = self._pending.popleft()
        self.behind -= len(data)
        if self.behind <= BEHIND_LIMIT // 2:
            self.drained.set()
        return stream, data

    async def write(self, data: bytes) -> None:
        """The container has no stdin: input is dropped, as dockerd drops it."""

    def close_stdin(self) -> None:
        pass

    def close(self) -> None:
        self.drained.set()
        self._on_close()


class MonitorStream:
    """One connection to conmon's SOCK_SEQPACKET attach socket.

    Output arrives as messages tagged with a first byte (2 stdout, 3 stderr); input is raw
    bytes; ``close_stdin`` half-closes so conmon closes the container's stdin.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    @classmethod
    async def connect(cls, path: Path) -> MonitorStream:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sock.setblocking(False)
        # the path may exceed sun_path: connect through an O_PATH descriptor of the directory
        dir_fd = os.open(path.parent, os.O_PATH)
        try:
            await asyncio.get_running_loop().sock_connect(sock, f"/proc/self/fd/{dir_fd}/"
                                                          f"{path.name}")
        except OSError:
            sock.close()
            raise
        finally:
            os.close(dir_fd)
        return cls(sock)

    async def read(self) -> tuple[str, bytes] | None:
        """Next (stream, data) message, or None once the container has exited."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                data = await loop.sock_recv(self._sock, RECV_SIZE)
            except (ConnectionResetError, OSError):
                return None
            if not data:
                return None
            if len(data) > 1:
                return ("stderr" if data[0] == STDERR_TAG else "stdout"), data[1:]

    async def write(self, data: bytes) -> None:
        loop = asyncio.get_running_loop()
        for start in range(0, len(data), 32768):
            await loop.sock_sendall(self._sock, data[start : start + 32768])

    def close_stdin(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._sock.close()
