"""Reading conmon's k8s-file journal: ``<RFC3339Nano> <stdout|stderr> <F|P> <data>``.

conmon appends to the journal even while skiffd is down, so nothing is lost; skiffd keeps the
offset it has consumed next to the journal and asks conmon to start a fresh file (``reopen``)
once a few megabytes have been consumed, draining the old one to its end first.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime
from pathlib import Path

from skiff.drivers.logging.base import LogMessage

ROTATE_AFTER = 8 << 20


def _parse_time(stamp: bytes, cache: dict[bytes, int]) -> int:
    """Nanoseconds since the epoch from conmon's timestamp (UTC offset included)."""
    key = stamp[:19] + stamp[-6:]
    base = cache.get(key)
    if base is None:
        text = stamp.decode()
        whole = datetime.fromisoformat(text[:19] + text[-6:])
        base = int(whole.timestamp()) * 1_000_000_000
        if len(cache) > 64:
            cache.clear()
        cache[key] = base
    dot = stamp.find(b".", 19)
    frac = 0
    if dot != -1:
        digits = stamp[dot + 1 : len(stamp) - 6]
        frac = int(digits.ljust(9, b"0")[:9])
    return base + frac


def parse_lines(data: bytes, cache: dict[bytes, int]) -> tuple[list[LogMessage], int]:
    """Parse complete lines; return messages and how many bytes were consumed."""
    messages: list[LogMessage] = []
    consumed = 0
    append = messages.append
    end = data.rfind(b"\n")
    if end == -1:
        return messages, 0
    for line in data[: end].split(b"\n"):
        consumed += len(line) + 1
        parts = line.split(b" ", 3)
        if len(parts) < 3:
            continue
        stamp, stream, flag = parts[0], parts[1], parts[2]
        content = parts[3] if len(parts) == 4 else b""
        if flag == b"F":
            content += b"\n"
        try:
            ns = _parse_time(stamp, cache)
        except ValueError:
            continue
        append(LogMessage("stderr" if stream == b"stderr" else "stdout", content, ns))
    return messages, consumed


class JournalReader:
    """Incremental reader of one container's journal that survives conmon's reopen."""

    def __init__(self, path: Path, offset_path: Path) -> None:
        self._path = path
        self._offset_path = offset_path
        self._fh: object | None = None
        self._fd = -1
        self._ino = -1
        self._offset = 0
        self._buf = b""
        self._cache: dict[bytes, int] = {}
        self.rotation_requested = False
        self._load_offset()

    def _load_offset(self) -> None:
        try:
            ino, off = self._offset_path.read_text().split()
            self._ino, self._offset = int(ino), int(off)
        except (FileNotFoundError, ValueError):
            self._ino, self._offset = -1, 0

    def _save_offset(self) -> None:
        self._offset_path.write_text(f"{self._ino} {self._offset}")

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

    def read(self) -> list[LogMessage]:
        """Everything appended since the last call (complete lines only)."""
        if self._fd < 0 and not self._open():
            return []
        messages: list[LogMessage] = []
        while True:
            chunk = os.pread(self._fd, 4 << 20, self._offset + len(self._buf))
            if not chunk:
                break
            self._buf += chunk
            parsed, used = parse_lines(self._buf, self._cache)
            messages.extend(parsed)
            self._buf = self._buf[used:]
            self._offset += used
            if len(chunk) < (4 << 20):
                break
        if self._switched():
            # conmon started a new file: drain the old one, then follow the new one
            rest = os.pread(self._fd, 1 << 30, self._offset + len(self._buf))
            if rest:
                parsed, used = parse_lines(self._buf + rest + b"\n" if not rest.endswith(b"\n")
                                           else self._buf + rest, self._cache)
                messages.extend(parsed)
            os.close(self._fd)
            self._fd, self._buf, self._offset = -1, b"", 0
            self.rotation_requested = False
            if self._open():
                messages.extend(self.read())
        elif self._offset >= ROTATE_AFTER and not self.rotation_requested:
            self.rotation_requested = True
        if messages:
            self._save_offset()
        return messages

    def _switched(self) -> bool:
        try:
            return os.stat(self._path).st_ino != self._ino
        except FileNotFoundError:
            return False

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        with contextlib.suppress(OSError):
            self._save_offset()
