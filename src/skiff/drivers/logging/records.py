"""Batches of log records in the journal format conmon writes (k8s-file, in UTC).

A record is ``2026-11-30T04:29:51.560429058+00:00 stdout F hello``: a timestamp with nine
fractional digits, the stream, ``F`` for a full line or ``P`` for a partial one, the data.
Drivers may convert a whole batch at once when it is *simple* (one stream, only full lines,
nothing to escape), which is what keeps log throughput far above per-line processing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from skiff.drivers.logging.base import LogMessage

STAMP_LEN = 35  # 2026-11-30T04:29:51.560429058+00:00
DATA_OFFSET = STAMP_LEN + len(" stdout F ")
# bytes that go into a JSON string as they are (newlines separate records)
_PLAIN = bytes(b for b in range(256)
               if (0x20 <= b < 0x7F and b not in b'"\\') or b == 0x0A or b >= 0x80)
_MARKERS = {"stdout": b"+00:00 stdout ", "stderr": b"+00:00 stderr "}
FLAG_OFFSET = STAMP_LEN + len(" stdout ")
FULL = ord("F")


@dataclass
class RecordBatch:
    """Complete records, newline-terminated, exactly as read from the journal."""

    raw: bytes

    @property
    def size(self) -> int:
        return len(self.raw)

    def json_lines(self) -> list[bytes | memoryview] | None:
        stream = self.simple_stream()
        lines = to_json_lines(self.raw, stream) if stream is not None else None
        return None if lines is None else [lines]

    def simple_stream(self) -> str | None:
        """The stream if every record is a UTC record of that one stream with plain text."""
        count = self.raw.count(b"\n")
        if not count or self.raw.translate(None, _PLAIN):
            return None
        for stream, marker in _MARKERS.items():
            if self.raw.count(marker) == count and not self.raw.count(
                    _MARKERS["stderr" if stream == "stdout" else "stdout"]):
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
        pending: dict[bytes, bytes] = {}  # partial data per stream, joined to what follows
        pending_stamp: dict[bytes, bytes] = {}
        for line in self.lines():
            parts = line.split(b" ", 3)
            if len(parts) < 3:
                continue
            stamp, stream, flag = parts[0], parts[1], parts[2]
            content = parts[3] if len(parts) == 4 else b""
            content = pending.pop(stream, b"") + content
            if flag == b"P":
                pending[stream] = content
                pending_stamp[stream] = stamp
                continue
            content += b"\n"
            try:
                ns = parse_stamp(stamp, cache)
            except ValueError:
                continue
            result.append(LogMessage("stderr" if stream == b"stderr" else "stdout", content, ns))
        for stream, content in pending.items():  # a partial line the batch ends with
            result.append(LogMessage("stderr" if stream == b"stderr" else "stdout", content,
                                     parse_stamp(pending_stamp[stream], cache)))
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


def to_json_lines(raw: bytes, stream: str) -> bytes | None:
    """Docker json-file lines for a simple batch (see ``RecordBatch.simple_stream``).

    conmon stamps every record of one read with the same time and only the last record of a
    read can be partial, so each run of records sharing a stamp converts with two replaces.
    A line conmon cut in two is written whole, as dockerd writes lines (it carries the time
    of its last piece).
    Returns None if the batch does not have that shape (the caller then goes line by line).
    """
    name = stream.encode()
    marker = _MARKERS[stream]
    out: list[bytes] = []
    pos, size = 0, len(raw)
    continued = False
    while pos < size:
        stamp = raw[pos : pos + STAMP_LEN]
        header = b"\n" + stamp + b" " + name + b" "
        last = _last_record(raw, header, pos)
        end = raw.find(b"\n", last) + 1
        if end <= 0:
            return None
        after = (b'","stream":"' + name + b'","time":"' + stamp[:29].rstrip(b"0").rstrip(b".")
                 + b'Z"}\n')
        separator = b"\\n" + after + b'{"log":"'
        body = raw[pos + DATA_OFFSET : end - 1]
        full = raw[last + FLAG_OFFSET] == FULL
        body = body.replace(header + b"F ", separator)
        if not full and last > pos:  # only the run's last record can be partial
            cut = body.rfind(header + b"P ")
            if cut != -1:
                body = body[:cut] + separator + body[cut + len(header) + 2:]
        if marker in body:  # a record with another stamp sits in between
            return None
        opener = b"" if continued else b'{"log":"'
        if full or end >= size:
            out.append(opener + body + (b"\\n" if full else b"") + after)
            continued = False
        else:  # a line cut by conmon's read: the next record carries on with it
            out.append(opener + body)
            continued = True
        pos = end
    return b"".join(out)


def _last_record(raw: bytes, header: bytes, pos: int) -> int:
    """Start of the last record, from ``pos`` on, carrying the same stamp and stream."""
    window = 1 << 14
    while True:
        limit = min(len(raw), pos + window)
        found = raw.rfind(header, pos, limit)
        last = pos if found == -1 else found + 1
        following = raw.find(b"\n", last) + 1
        if not following or not raw.startswith(header[1:], following):
            return last
        window *= 4
