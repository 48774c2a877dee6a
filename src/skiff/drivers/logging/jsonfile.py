"""The ``json-file`` driver: Docker's on-disk line format, with max-size/max-file rotation.

Each line is ``{"log":"…","stream":"stdout","time":"2006-01-02T15:04:05.999999999Z"}``.
Rotated files are ``<path>.1`` (newest) … ``<path>.N``; with ``compress=true`` they are
gzipped as ``<path>.1.gz`` … ``<path>.N.gz``. Read back through
:mod:`skiff.drivers.logging.logfiles`, json lines being this file's RecordFormat.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from skiff.api.timefmt import from_iso, rfc3339nano
from skiff.drivers.logging.base import LogBatch, LogMessage, ReadConfig, RunningCheck
from skiff.drivers.logging.logfiles import RecordFormat, read_logs
from skiff.errdefs import InvalidParameter

BACKGROUND_WRITE = 1 << 20  # batches this big are written by a thread of their own
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3,
          "gb": 1024**3}


def parse_size(text: str) -> int:
    """Parse ``10m``, ``512k``, ``1g`` (docker's units are binary here)."""
    value = text.strip().lower()
    num = value.rstrip("bkmg")
    unit = value[len(num):]
    try:
        size = int(float(num) * _UNITS[unit])
    except (ValueError, KeyError):
        raise InvalidParameter(f"invalid size: '{text}'") from None
    return size


def validate_options(options: dict[str, str]) -> None:
    """Refuse unknown or malformed json-file options as dockerd does."""
    allowed = {"max-size", "max-file", "labels", "labels-regex", "env", "env-regex", "tag",
               "compress", "mode", "max-buffer-size"}
    for key in options:
        if key not in allowed:
            raise InvalidParameter(f"unknown log opt '{key}' for json-file log driver")
    if "max-size" in options and parse_size(options["max-size"]) <= 0:
        raise InvalidParameter("max-size must be a positive number")
    if "max-file" in options:
        try:
            count = int(options["max-file"])
        except ValueError:
            raise InvalidParameter("max-file must be a number") from None
        if count < 1:
            raise InvalidParameter("max-file cannot be less than 1")
        if count > 1 and "max-size" not in options:
            raise InvalidParameter("max-file cannot be set without max-size")
    if "compress" in options:
        if options["compress"] not in ("true", "false", "1", "0"):
            raise InvalidParameter(f'error reading compress log option: strconv.ParseBool: '
                                   f'parsing "{options["compress"]}": invalid syntax')
        if options["compress"] in ("true", "1") and int(options.get("max-file", "1")) < 2:
            raise InvalidParameter("compress cannot be true when max-file is less than 2")


class JsonFileDriver:
    """Appends json lines; rotates when the next batch would exceed ``max-size``. Without a
    max-size, a big batch is written by a thread while the copier reads the next one (at
    most one in flight: each ``log`` first waits for the one before)."""

    name = "json-file"

    def __init__(self, path: Path, options: dict[str, str]) -> None:
        self.path = path
        self._max_size = parse_size(options["max-size"]) if "max-size" in options else 0
        self._max_file = int(options.get("max-file", "1"))
        self._compress = options.get("compress") in ("true", "1")
        self._fh = open(path, "ab")  # noqa: SIM115 - held open for the container's life
        self._size = self._fh.tell()
        self._stamp_ns = -1
        self._stamp = ""
        self._stamps: dict[bytes, int] = {}
        self._writer: ThreadPoolExecutor | None = None
        self._in_flight: Future[None] | None = None

    def _time(self, ns: int) -> str:
        if ns != self._stamp_ns:
            self._stamp_ns = ns
            self._stamp = rfc3339nano(ns)
        return self._stamp

    def log(self, batch: LogBatch) -> bool:
        pieces = batch.json_lines()
        if pieces is None:
            self._log_messages(batch.messages(self._stamps))
            return True
        self._settle()
        if not self._max_size:  # Docker's default: one file, no limit
            size = sum(len(piece) for piece in pieces)
            self._size += size
            if size < BACKGROUND_WRITE:
                self._write(pieces)
                return True
            # a burst: written while the next batch is read and converted
            if self._writer is None:
                self._writer = ThreadPoolExecutor(1, thread_name_prefix="json-file")
            self._in_flight = self._writer.submit(self._write, pieces)
            return False
        data = b"".join(pieces)
        # whole lines up to max-size, then rotate: one batch may fill several files
        view, pos = memoryview(data), 0
        while self._max_size and self._size + len(data) - pos > self._max_size:
            cut = data.rfind(b"\n", pos, pos + self._max_size - self._size) + 1
            if not cut:  # not one more line fits
                if self._size:
                    self._rotate()
                    continue
                cut = data.find(b"\n", pos) + 1 or len(data)  # a line longer than max-size
            self._fh.write(view[pos:cut])
            self._size += cut - pos
            pos = cut
            if pos < len(data):
                self._rotate()
        if pos < len(data):
            self._fh.write(view[pos:])
            self._size += len(data) - pos
        self._fh.flush()
        return True

    def _write(self, pieces: list[bytes | memoryview]) -> None:
        for piece in pieces:
            self._fh.write(piece)
        self._fh.flush()

    def _settle(self) -> None:
        """Wait for the batch being written in the background, if any."""
        if self._in_flight is not None:
            in_flight, self._in_flight = self._in_flight, None
            in_flight.result()

    def record(self, msg: LogMessage) -> bytes:
        """One message as the file holds it: a json line."""
        text = msg.data.decode("utf-8", "replace")
        return (f'{{"log":{json.dumps(text, ensure_ascii=False)},"stream":"{msg.stream}",'
                f'"time":"{self._time(msg.time_ns)}"}}\n').encode()

    def _log_messages(self, messages: list[LogMessage]) -> None:
        self._settle()
        out: list[bytes] = []
        for msg in messages:
            line = self.record(msg)
            if self._max_size and self._size + len(line) > self._max_size and self._size > 0:
                self._fh.write(b"".join(out))
                out.clear()
                self._rotate()
            out.append(line)
            self._size += len(line)
        self._fh.write(b"".join(out))
        self._fh.flush()

    def _rotate(self) -> None:
        self._fh.close()
        if self._max_file <= 1:
            self.path.unlink(missing_ok=True)
        else:
            suffix = ".gz" if self._compress else ""
            for index in range(self._max_file - 1, 0, -1):
                older = self.path.with_name(f"{self.path.name}.{index}{suffix}")
                if index == self._max_file - 1:
                    older.unlink(missing_ok=True)
                if index > 1:
                    newer = self.path.with_name(f"{self.path.name}.{index - 1}{suffix}")
                    if newer.exists():
                        os.replace(newer, older)
            first = self.path.with_name(f"{self.path.name}.1")
            if self._compress:
                _gzip_to(self.path, first.with_name(first.name + ".gz"))
                self.path.unlink()
            else:
                os.replace(self.path, first)
        self._fh = open(self.path, "ab")  # noqa: SIM115
        self._size = 0

    def close(self) -> None:
        try:
            self._settle()
        finally:
            if self._writer is not None:
                self._writer.shutdown()
            self._fh.close()

    def read(self, config: ReadConfig,
             running: RunningCheck) -> AsyncIterator[list[LogMessage]]:
        return read_json_logs(self.path, config, running)


def _gzip_to(source: Path, target: Path) -> None:
    """Compress ``source`` into ``target`` whole, or leave no ``target`` at all."""
    partial = target.with_name(target.name + ".tmp")
    with open(source, "rb") as raw, gzip.open(partial, "wb", compresslevel=1) as packed:
        while chunk := raw.read(1 << 20):
            packed.write(chunk)
    os.replace(partial, target)


_STAMPS: dict[str, int] = {}


def _time_ns(stamp: str) -> int:
    """Parse our fixed RFC 3339 times quickly (the seconds part is cached)."""
    base = _STAMPS.get(stamp[:19])
    if base is None:
        if len(_STAMPS) > 256:
            _STAMPS.clear()
        base = from_iso(stamp[:19] + "Z")
        _STAMPS[stamp[:19]] = base
    frac = stamp[20:-1] if len(stamp) > 20 and stamp[19] == "." else ""
    return base + int(frac.ljust(9, "0")[:9] or 0)


def _decode(line: bytes) -> LogMessage | None:
    try:
        entry = json.loads(line)
        return LogMessage(entry["stream"], entry["log"].encode(), _time_ns(entry["time"]))
    except (ValueError, KeyError, TypeError, IndexError):
        return None


_JOINS = {stream: re.compile(rb'","stream":"' + stream.encode() +
                             rb'","time":"[^"]*"\}\n(?:\{"log":")?')
          for stream in ("stdout", "stderr")}


def _decode_fast(block: bytes) -> LogMessage | None:
    """A block of one stream's lines as one message (when times are not needed)."""
    count = block.count(b"\n")
    if not block.startswith(b'{"log":"') or block.count(b'{"log":"') != count:
        return None
    for stream, join in _JOINS.items():
        if block.count(b'","stream":"' + stream.encode() + b'","time":"') == count:
            try:
                text: str = json.loads(b'"' + join.sub(b"", block)[8:] + b'"')
            except ValueError:
                return None
            return LogMessage(stream, text.encode(), 0)
    return None


class _JsonLines:
    def blocks(self, fh: BinaryIO, pending: bytearray) -> Iterator[bytes]:
        return _blocks(fh, pending)

    def tail(self, path: Path, count: int) -> list[bytes]:
        return _tail_lines(path, count)

    def decode(self, block: bytes) -> Iterator[LogMessage]:
        for line in block.splitlines():
            msg = _decode(line)
            if msg is not None:
                yield msg

    def whole(self, block: bytes) -> LogMessage | None:
        return _decode_fast(block)


JSON_LINES: RecordFormat = _JsonLines()


def _tail_lines(path: Path, count: int) -> list[bytes]:
    """The last ``count`` lines of a file, read backwards in blocks (a gzipped one whole)."""
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as packed:
            lines = packed.read().splitlines(keepends=True)
        return lines[-count:] if count else []
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        end = fh.tell()
        data = b""
        while end > 0 and data.count(b"\n") <= count:
            step = min(1 << 16, end)
            end -= step
            fh.seek(end)
            data = fh.read(step) + data
    lines = data.splitlines(keepends=True)
    return lines[-count:] if count else []


def _blocks(fh: BinaryIO, pending: bytearray) -> Iterator[bytes]:
    """Blocks of complete lines read from ``fh``; an incomplete tail stays in ``pending``."""
    while chunk := fh.read(4 << 20):
        pending += chunk
        end = pending.rfind(b"\n") + 1
        if end:
            yield bytes(pending[:end])
            del pending[:end]


def read_json_logs(path: Path, config: ReadConfig,
                   running: RunningCheck) -> AsyncIterator[list[LogMessage]]:
    """Batches of the messages of a json-file log that match ``config``."""
    return read_logs(path, config, running, JSON_LINES)
