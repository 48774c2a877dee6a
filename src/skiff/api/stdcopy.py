"""Docker's multiplexed stream framing: an 8-byte header (stream, 0, 0, 0, big-endian size)."""

from __future__ import annotations

import struct
from collections.abc import Iterator

STDIN = 0
STDOUT = 1
STDERR = 2
SYSTEMERR = 3

_HEADER = struct.Struct(">BxxxL")
HEADER_SIZE = _HEADER.size


def frame(stream: int, payload: bytes) -> bytes:
    """Encode one frame."""
    return _HEADER.pack(stream, len(payload)) + payload


class Demuxer:
    """Incremental decoder: feed bytes, get back (stream, payload) frames."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        self._buf += data
        while len(self._buf) >= HEADER_SIZE:
            stream, size = _HEADER.unpack_from(self._buf)
            if len(self._buf) < HEADER_SIZE + size:
                return
            payload = bytes(self._buf[HEADER_SIZE : HEADER_SIZE + size])
            del self._buf[: HEADER_SIZE + size]
            yield stream, payload
