"""Attaching to a running container through conmon's attach socket."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from pathlib import Path

STDOUT_TAG, STDERR_TAG = 2, 3
RECV_SIZE = 8193


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
