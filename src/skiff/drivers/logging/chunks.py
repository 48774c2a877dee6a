"""Batches of output read straight from a container's stdout and stderr files.

A container without a TTY or open stdin writes into two append-only files (conmon passes
them through); what the log copier reads from them in one pass becomes one ``StreamBatch``,
stamped with the time it was read, as dockerd stamps a line when its copier reads it.
Plain text converts to json-file lines with a few ``bytes.replace`` over the whole chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

from skiff.api.timefmt import rfc3339nano
from skiff.drivers.logging.base import LogMessage

# bytes a JSON string holds as they are, or after one of the replaces below
_SIMPLE = bytes(b for b in range(256) if b >= 0x20 or b in b"\n\t\r")
OPEN = b'{"log":"'
_ESCAPES = ((b"\\", b"\\\\"), (b'"', b'\\"'), (b"\t", b"\\t"), (b"\r", b"\\r"))


@dataclass(frozen=True)
class StreamBatch:
    """Whole lines per stream (a line still open at the end only when it waited long
    enough, was very long or the container ended), all read at ``time_ns``."""

    chunks: list[tuple[str, bytes]]
    time_ns: int

    @property
    def size(self) -> int:
        return sum(len(data) for _, data in self.chunks)

    def json_lines(self) -> list[bytes | memoryview] | None:
        stamp = rfc3339nano(self.time_ns).encode()
        out: list[bytes | memoryview] = []  # pieces written in order: the output is never copied
        for stream, data in self.chunks:
            if data.translate(None, _SIMPLE):
                return None  # control characters: \u escapes, line by line
            if not data.isascii():
                try:
                    data.decode()
                except UnicodeDecodeError:
                    return None
            for raw, escaped in _ESCAPES:
                if raw in data:
                    data = data.replace(raw, escaped)
            after = b'","stream":"' + stream.encode() + b'","time":"' + stamp + b'"}\n'
            # every newline closes a line and opens the next: the last opening is cut off
            lines = data.replace(b"\n", b"\\n" + after + OPEN)
            out.append(OPEN)
            if data.endswith(b"\n"):
                out.append(memoryview(lines)[: len(lines) - len(OPEN)])
            else:
                out += [lines, after]
        return out

    def messages(self, cache: dict[bytes, int] | None = None) -> list[LogMessage]:
        result: list[LogMessage] = []
        for stream, data in self.chunks:
            start = 0
            while start < len(data):
                end = data.find(b"\n", start) + 1 or len(data)
                result.append(LogMessage(stream, data[start:end], self.time_ns))
                start = end
        return result
