"""A container's stdout and stderr as two append-only files, read incrementally.

For a container without a TTY or open stdin, conmon passes ``stdout.raw`` and
``stderr.raw`` (opened O_APPEND) through to the container, so its output goes to disk at
the kernel's speed whether or not skiffd runs. skiffd reads what is new, hands it to the
logging driver, then records how far it got (one fixed-width write of both offsets, only
after the driver wrote the batch: a crash repeats at most one batch and never skips one)
and frees the consumed part of the files with FALLOC_FL_PUNCH_HOLE, so they take no more
disk than what is not yet logged.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import time
from pathlib import Path

from skiff.drivers.logging.chunks import StreamBatch

STREAMS = ("stdout", "stderr")
OFFSETS = "output.offset"
HOLD = 0.5  # how long a line without its newline waits for the rest
READ_SIZE = 4 << 20  # per stream and pass; a backlog is read in several passes
LONG_LINE = 1 << 20  # a line longer than this is logged in pieces
PUNCH_EVERY = 1 << 20
_KEEP_SIZE, _PUNCH_HOLE = 0x01, 0x02
_libc = ctypes.CDLL(None, use_errno=True)
_libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]


def paths(directory: Path) -> tuple[Path, Path]:
    """The container's stdout and stderr files."""
    return directory / "stdout.raw", directory / "stderr.raw"


def in_use(directory: Path) -> bool:
    """Whether the container's output goes to output files (not to conmon's journal)."""
    return paths(directory)[0].exists()


def discard(directory: Path) -> None:
    """Remove the files once everything in them is logged and the container has ended."""
    for path in (*paths(directory), directory / OFFSETS):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


class OutputReader:
    """Reads both files from the committed offsets; ``fresh`` is what was read for the
    first time in the last pass, including a line still open (for attached clients)."""

    def __init__(self, directory: Path) -> None:
        self._paths = dict(zip(STREAMS, paths(directory), strict=True))
        self._offset_path = directory / OFFSETS
        self._offset_fd = -1
        self._fds: dict[str, int] = {}
        self._consumed = dict.fromkeys(STREAMS, 0)
        self._seen = dict.fromkeys(STREAMS, 0)
        self._punched = dict.fromkeys(STREAMS, 0)
        self._held = dict.fromkeys(STREAMS, 0.0)
        self._can_punch = True
        self.fresh: list[tuple[str, bytes]] = []
        self.more = False  # a pass stopped at READ_SIZE: read again without waiting
        self.feeds_attach = True  # ``fresh`` is all attached clients get
        self._load_offsets()

    @property
    def holding_since(self) -> float:
        """When the oldest line still waiting for its newline was first seen (0: none)."""
        return min((t for t in self._held.values() if t), default=0.0)

    def _load_offsets(self) -> None:
        try:
            out, err = (int(v) for v in self._offset_path.read_text().split())
        except (FileNotFoundError, ValueError):
            return
        for stream, offset in zip(STREAMS, (out, err), strict=True):
            self._consumed[stream] = self._seen[stream] = offset

    def _fd(self, stream: str) -> int:
        fd = self._fds.get(stream, -1)
        if fd < 0:
            try:
                fd = os.open(self._paths[stream], os.O_RDWR | os.O_CLOEXEC)
            except FileNotFoundError:
                return -1
            self._fds[stream] = fd
        return fd

    def read(self, final: bool = False) -> StreamBatch | None:
        """What was written since the last pass (up to READ_SIZE a stream; ``more`` says
        there is more), or None. ``final``: the container has ended, so a last unfinished
        line is given as it is."""
        now, stamp = time.monotonic(), time.time_ns()
        chunks: list[tuple[str, bytes]] = []
        self.fresh, self.more = [], False
        for stream in STREAMS:
            fd = self._fd(stream)
            if fd < 0:
                continue
            start = self._consumed[stream]
            data = os.pread(fd, READ_SIZE, start)
            if not data:
                continue
            at_end = len(data) < READ_SIZE
            self.more = self.more or not at_end
            seen = self._seen[stream] - start
            if len(data) > seen:
                self.fresh.append((stream, data[max(seen, 0):]))
                self._seen[stream] = start + len(data)
            end = self._line_end(stream, data, final and at_end, now)
            if end:
                chunks.append((stream, data[:end] if end < len(data) else data))
                self._consumed[stream] = start + end
        return StreamBatch(chunks, stamp) if chunks else None

    def _line_end(self, stream: str, data: bytes, final: bool, now: float) -> int:
        """How much of ``data`` to log now: whole lines, and an open line when it is done
        waiting."""
        end = data.rfind(b"\n") + 1
        if end == len(data):
            self._held[stream] = 0.0
            return end
        open_line = len(data) - end
        if final or open_line >= LONG_LINE:
            self._held[stream] = 0.0
            return len(data)
        held = self._held[stream]
        if end:
            self._held[stream] = now  # a new open line starts waiting
            return end
        if not held:
            self._held[stream] = now
            return 0
        if now - held >= HOLD:
            self._held[stream] = 0.0
            return len(data)
        return 0

    def take_rotation(self) -> bool:
        """Output files are never rotated (their consumed part is freed instead)."""
        return False

    def position(self) -> tuple[int, int]:
        """How far the output returned so far goes, in each file (for ``commit``)."""
        return self._consumed["stdout"], self._consumed["stderr"]

    def commit(self, position: tuple[int, int] | None = None) -> None:
        """Record that the logging driver has written everything up to ``position``
        (default: everything returned so far), and free that part of the files."""
        position = position or self.position()
        if self._offset_fd < 0:
            self._offset_fd = os.open(self._offset_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                                      0o600)
        os.pwrite(self._offset_fd, f"{position[0]:20d} {position[1]:20d}\n".encode(), 0)
        for stream, offset in zip(STREAMS, position, strict=True):
            self._punch(stream, offset)

    def _punch(self, stream: str, committed: int) -> None:
        upto = committed & ~0xFFF
        done = self._punched[stream]
        if not self._can_punch or upto - done < PUNCH_EVERY or stream not in self._fds:
            return
        if _libc.fallocate(self._fds[stream], _KEEP_SIZE | _PUNCH_HOLE, done, upto - done):
            if ctypes.get_errno() in (errno.EOPNOTSUPP, errno.ENOSYS):
                self._can_punch = False  # a filesystem without holes keeps the bytes
            return
        self._punched[stream] = upto

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
        if self._offset_fd >= 0:
            os.close(self._offset_fd)
            self._offset_fd = -1
