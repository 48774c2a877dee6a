"""The ``local`` driver's files, in Docker's format: each record a protobuf ``LogEntry``
(``source`` 1, ``time_nano`` 2, ``line`` 3 without its newline, ``partial`` 4 for a line
that has none) between two 4-byte big-endian copies of its length, so that a reader can
walk the file backwards from its end. Docker's dual-logging cache is the same format.

The four fields are written and read here (a varint or a length before each): a protobuf
library and its generated code would be more than the format is.
"""

from __future__ import annotations

import gzip
import os
import struct
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import BinaryIO

from skiff.drivers.logging.base import LogBatch, LogMessage, ReadConfig, RunningCheck
from skiff.drivers.logging.jsonfile import JsonFileDriver
from skiff.drivers.logging.logfiles import RecordFormat, read_logs

_LENGTH = struct.Struct(">I")
_SOURCE, _TIME, _LINE, _PARTIAL = 0x0A, 0x10, 0x1A, 0x20  # field number << 3 | wire type


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def entry(stream: str, data: bytes, time_ns: int) -> bytes:
    """One framed record of a message (``data`` with its newline, if it has one)."""
    line = data[:-1] if data.endswith(b"\n") else data
    source = stream.encode()
    body = b"".join((bytes((_SOURCE,)), _varint(len(source)), source,
                     bytes((_TIME,)), _varint(time_ns & (1 << 64) - 1),
                     bytes((_LINE,)), _varint(len(line)), line,
                     b"" if data.endswith(b"\n") else bytes((_PARTIAL, 1))))
    size = _LENGTH.pack(len(body))
    return size + body + size


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def parse(body: bytes) -> LogMessage:
    """A ``LogEntry`` back as a message; fields it does not know are skipped."""
    source, time_ns, line, partial = "", 0, b"", False
    pos = 0
    while pos < len(body):
        key, pos = _read_varint(body, pos)
        kind = key & 7
        if kind == 0:
            value, pos = _read_varint(body, pos)
            if key == _TIME:
                time_ns = value - (1 << 64) if value >= 1 << 63 else value
            elif key == _PARTIAL:
                partial = bool(value)
        elif kind == 2:
            size, pos = _read_varint(body, pos)
            value_bytes, pos = body[pos:pos + size], pos + size
            if key == _SOURCE:
                source = value_bytes.decode(errors="replace")
            elif key == _LINE:
                line = value_bytes
        elif kind == 1:
            pos += 8
        elif kind == 5:
            pos += 4
        else:
            raise ValueError(f"wire type {kind} in a log entry")
    return LogMessage(source, line if partial else line + b"\n", time_ns)


def _complete(data: bytes | bytearray) -> int:
    """Where the whole records at the start of ``data`` end."""
    pos = 0
    while pos + 4 <= len(data):
        (size,) = _LENGTH.unpack_from(data, pos)
        if pos + 8 + size > len(data):
            break
        pos += 8 + size
    return pos


class _Frames:
    """:class:`RecordFormat` of framed ``LogEntry`` records."""

    def blocks(self, fh: BinaryIO, pending: bytearray) -> Iterator[bytes]:
        while chunk := fh.read(4 << 20):
            pending += chunk
            end = _complete(pending)
            if end:
                yield bytes(pending[:end])
                del pending[:end]

    def tail(self, path: Path, count: int) -> list[bytes]:
        if count <= 0:
            return []
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as packed:
                return list(self._split(packed.read()))[-count:]
        found: list[bytes] = []
        with open(path, "rb") as fh:
            end = fh.seek(0, os.SEEK_END)
            while end >= 8 and len(found) < count:  # each footer says where its record starts
                fh.seek(end - 4)
                (size,) = _LENGTH.unpack(fh.read(4))
                start = end - 8 - size
                if start < 0:
                    break
                fh.seek(start)
                found.append(fh.read(end - start))
                end = start
        return found[::-1]

    @staticmethod
    def _split(block: bytes) -> Iterator[bytes]:
        pos = 0
        while pos + 8 <= len(block):
            (size,) = _LENGTH.unpack_from(block, pos)
            yield block[pos:pos + 8 + size]
            pos += 8 + size

    def decode(self, block: bytes) -> Iterator[LogMessage]:
        for record in self._split(block):
            try:
                yield parse(record[4:-4])
            except (ValueError, IndexError):
                continue  # a torn record (a crash mid-write) is skipped

    def whole(self, block: bytes) -> LogMessage | None:
        return None


FRAMES: RecordFormat = _Frames()


class LocalDriver(JsonFileDriver):
    """Writes framed records, rotated and compressed as json-file's lines are."""

    name = "local"

    def record(self, msg: LogMessage) -> bytes:
        return entry(msg.stream, msg.data, msg.time_ns)

    def log(self, batch: LogBatch) -> bool:
        self._log_messages(batch.messages())
        return True

    def read(self, config: ReadConfig,
             running: RunningCheck) -> AsyncIterator[list[LogMessage]]:
        return read_local_logs(self.path, config, running)


def read_local_logs(path: Path, config: ReadConfig,
                    running: RunningCheck) -> AsyncIterator[list[LogMessage]]:
    """Batches of the messages of a local (or cache) log that match ``config``."""
    return read_logs(path, config, running, FRAMES)
