"""Copy between the local stdio and a hijacked attach stream until the output ends."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, BinaryIO

from skiff.api.stdcopy import STDERR, Demuxer

if TYPE_CHECKING:  # at run time, this would load http.client (see skiff.client)
    from skiff.client.hijack import Hijacked

DEFAULT_DETACH_KEYS = b"\x10\x11"  # ctrl-p, ctrl-q


class _Escape:
    """Watches input for the detach sequence across reads."""

    def __init__(self, keys: bytes) -> None:
        self.keys = keys
        self.matched = 0

    def feed(self, data: bytes) -> bool:
        for byte in data:
            if self.keys and byte == self.keys[self.matched]:
                self.matched += 1
                if self.matched == len(self.keys):
                    return True
            else:
                self.matched = 1 if self.keys and byte == self.keys[0] else 0
        return False


class Pump:
    """Runs the stdin copier in a thread and the output copier in the caller's thread."""

    def __init__(self, stream: Hijacked, stdout: BinaryIO | None, stderr: BinaryIO | None,
                 stdin_fd: int | None = None, detach_keys: bytes | None = None) -> None:
        self.stream = stream
        self.stdout = stdout
        self.stderr = stderr
        self.stdin_fd = stdin_fd
        self.escape = _Escape(detach_keys) if detach_keys else None
        self.detached = False

    def run(self) -> bool:
        """Copy until the daemon ends the output; True when the user detached."""
        if self.stdin_fd is not None:
            threading.Thread(target=self._copy_input, daemon=True).start()
        self._copy_output()
        return self.detached

    def _copy_input(self) -> None:
        assert self.stdin_fd is not None
        while True:
            try:
                data = os.read(self.stdin_fd, 32 * 1024)
            except OSError:
                data = b""
            if not data:
                self.stream.close_write()
                return
            if self.escape is not None and self.escape.feed(data):
                self.detached = True
                self.stream.close()
                return
            if not self.stream.send(data):
                return

    def _write(self, target: BinaryIO | None, data: bytes) -> None:
        if target is None:
            return
        try:
            target.write(data)
            target.flush()
        except BrokenPipeError:
            pass

    def _copy_output(self) -> None:
        demuxer = Demuxer() if self.stream.multiplexed else None
        while True:
            data = self.stream.recv()
            if not data:
                return
            if demuxer is None:
                self._write(self.stdout, data)
                continue
            for kind, payload in demuxer.feed(data):
                self._write(self.stderr if kind == STDERR else self.stdout, payload)
