"""Reading conmon's k8s-file journal: ``<RFC3339Nano> <stdout|stderr> <F|P> <data>``.

conmon appends to the journal even while skiffd is down, so nothing is lost; skiffd keeps the
offset it has consumed next to the journal and asks conmon to start a fresh file (``reopen``)
once a few megabytes have been consumed, draining the old one to its end first. The offset is
committed only after the logging driver has written a batch, and in one fixed-width write,
so a crash at any moment repeats at most the last batch and never skips one. conmon
renames each fresh file over the journal's path, so a second request sent before the first
one's file is followed would replace a file skiffd never read: ``take_rotation`` hands out
one request per rotation.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from skiff.drivers.logging.records import FLAG_OFFSET, RecordBatch

ROTATE_AFTER = 8 << 20
HOLD = 0.5


class JournalReader:
    """Incremental reader of one container's journal that survives conmon's reopen."""

    def __init__(self, path: Path, offset_path: Path) -> None:
        self._path = path
        self._offset_path = offset_path
        self._offset_fd = -1
        self._fd = -1
        self._ino = -1
        self._offset = 0
        self._buf = b""
        self._rotation_due = False
        self._rotation_sent = False
        self.holding_since = 0.0
        self.more = False  # each read goes to the end of the journal
        self.fresh: list[tuple[str, bytes]] = []  # attach goes through conmon's socket
        self.feeds_attach = False
        self._load_offset()

    def _load_offset(self) -> None:
        try:
            ino, off = self._offset_path.read_text().split()
            self._ino, self._offset = int(ino), int(off)
        except (FileNotFoundError, ValueError):
            self._ino, self._offset = -1, 0

    def position(self) -> tuple[int, int]:
        """How far the records returned so far go (for ``commit``)."""
        return self._ino, self._offset

    def commit(self, position: tuple[int, int] | None = None) -> None:
        """Record that the logging driver has written everything up to ``position``
        (default: everything returned so far)."""
        ino, offset = position or self.position()
        if self._offset_fd < 0:
            self._offset_fd = os.open(self._offset_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                                      0o600)
        # one write of a fixed size over the old record: never a moment with no offset
        os.pwrite(self._offset_fd, f"{ino:20d} {offset:20d}\n".encode(), 0)

    def _open(self) -> bool:
        try:
            fd = os.open(self._path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        ino = os.fstat(fd).st_ino
        if ino != self._ino:
            self._ino, self._offset = ino, 0
        self._fd = fd
        return True

    def read(self, final: bool = False) -> RecordBatch | None:
        """Every complete record appended since the last call, or None.

        A partial record at the end (a line conmon cut at its read size) is held back until
        the rest of the line arrives, ``HOLD`` seconds pass, or ``final`` is set.
        """
        if self._fd < 0 and not self._open():
            return None
        parts: list[bytes] = []
        while True:
            chunk = os.pread(self._fd, 4 << 20, self._offset + len(self._buf))
            if not chunk:
                break
            # conmon appends whole records, so a read mostly ends on one: no copy then
            data = self._buf + chunk if self._buf else chunk
            end = data.rfind(b"\n") + 1
            if end == len(data):
                parts.append(data)
                self._buf = b""
            elif end:
                parts.append(data[:end])
                self._buf = data[end:]
            else:
                self._buf = data
            self._offset += end
            if len(chunk) < (4 << 20):
                break
        switched = self._switched()
        if switched:
            # conmon started a new file: drain the old one, then follow the new one
            rest = self._buf + os.pread(self._fd, 1 << 30, self._offset + len(self._buf))
            if rest:
                parts.append(rest if rest.endswith(b"\n") else rest + b"\n")
            os.close(self._fd)
            self._fd, self._buf, self._offset = -1, b"", 0
            self._rotation_due = self._rotation_sent = False
            if self._open():
                following = self.read(final)
                if following is not None:
                    parts.append(following.raw)
        elif self._offset >= ROTATE_AFTER:
            self._rotation_due = True
        if not parts:
            return None
        raw = b"".join(parts)
        if not final and not switched and self._hold_partial(raw):
            held = len(raw) - (raw.rfind(b"\n", 0, len(raw) - 1) + 1)
            raw = raw[:-held]
            self._offset -= held
            self._buf = b""
            if not raw:
                return None
        else:
            self.holding_since = 0.0
        return RecordBatch(raw)

    def take_rotation(self) -> bool:
        """True once when the journal should be rotated; again only after it was."""
        if self._rotation_due and not self._rotation_sent:
            self._rotation_sent = True
            return True
        return False

    def _hold_partial(self, raw: bytes) -> bool:
        start = raw.rfind(b"\n", 0, len(raw) - 1) + 1
        if raw[start + FLAG_OFFSET : start + FLAG_OFFSET + 1] != b"P":
            self.holding_since = 0.0
            return False
        now = time.monotonic()
        if not self.holding_since:
            self.holding_since = now
        return now - self.holding_since < HOLD

    def _switched(self) -> bool:
        try:
            return os.stat(self._path).st_ino != self._ino
        except FileNotFoundError:
            return False

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._offset_fd >= 0:
            os.close(self._offset_fd)
            self._offset_fd = -1
