"""Batches of log records in the journal format conmon writes (k8s-file, in UTC).

A record is ``2026-11-30T04:29:51.560429058+00:00 stdout F hello``: a timestamp with nine
fractional digits, the stream, ``F`` for a full line or ``P`` for a partial one, the data.
Drivers may convert a whole batch at once when it is *simple* (one stream, only full lines,
nothing to escape), which is what keeps log throughput far above per-line processing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from skiff.drivers.logging.base import LogMessage

STAMP_LEN = 35  # 2026-11-30T04:29:51.560429058+00:00
DATA_OFFSET = STAMP_LEN + len(" stdout F ")
_NEEDS_ESCAPE = re.compile(rb'[\x00-\x09\x0b-\x1f"\\\x7f]')
_MARKERS = {"stdout": b"+00:00 stdout F ", "stderr": b"+00:00 stderr F "}


@dataclass
class RecordBatch:
    """Complete records, newline-terminated, exactly as read from the journal."""

    raw: bytes

    def simple_stream(self) -> str | None:
        """The stream if every record is a full UTC line of that one stream with plain text."""
        count = self.raw.count(b"\n")
        if not count or _NEEDS_ESCAPE.search(self.raw):
            return None
        headers = self.raw.count(b"+00:00 stdout ") + self.raw.count(b"+00:00 stderr ")
        if headers != count:  # some data looks like a record header: decode line by line
            return None
        for stream, marker in _MARKERS.items():
            if self.raw.count(marker) == count:
                if not self.raw.isascii():
                    try:
                        self.raw.decode()
                    except UnicodeDecodeError:
                        return None
                return stream
        return None

    def lines(self) -> list[bytes]:
        lines = self.raw.split(b"\n")
        lines.pop()
        return lines

    def messages(self, cache: dict[bytes, int] | None = None) -> list[LogMessage]:
        """Decode every record (the general, slower path)."""
        cache = cache if cache is not None else {}
        result: list[LogMessage] = []
        for line in self.lines():
            parts = line.split(b" ", 3)
            if len(parts) < 3:
                continue
            stamp, stream, flag = parts[0], parts[1], parts[2]
            content = parts[3] if len(parts) == 4 else b""
            if flag == b"F":
                content += b"\n"
            try:
                ns = parse_stamp(stamp, cache)
            except ValueError:
                continue
            result.append(LogMessage("stderr" if stream == b"stderr" else "stdout", content, ns))
        return result


def parse_stamp(stamp: bytes, cache: dict[bytes, int]) -> int:
    """Nanoseconds since the epoch from a record's timestamp (any UTC offset)."""
    key = stamp[:19] + stamp[-6:]
    base = cache.get(key)
    if base is None:
        text = stamp.decode()
        base = int(datetime.fromisoformat(text[:19] + text[-6:]).timestamp()) * 1_000_000_000
        if len(cache) > 64:
            cache.clear()
        cache[key] = base
    dot = stamp.find(b".", 19)
    frac = 0
    if dot != -1:
        frac = int(stamp[dot + 1 : len(stamp) - 6].ljust(9, b"0")[:9])
    return base + frac
