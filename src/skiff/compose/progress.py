"""Progress as compose v2 prints it with ``--progress plain``: one line per resource and
state (`` Container demo-web-1  Started``), safe to call from the threads that walk the
graph."""

from __future__ import annotations

import threading
import time
from typing import TextIO


class Progress:
    def __init__(self, out: TextIO, quiet: bool = False) -> None:
        self.out, self.quiet = out, quiet
        self._lock = threading.Lock()
        self._began: dict[tuple[str, str], float] = {}

    def event(self, kind: str, name: str, status: str) -> None:
        """``kind`` Container, Network, Volume, Image or Service; ``status`` its new state."""
        if self.quiet:
            return
        shown = f'"{name}"' if kind == "Volume" else name
        with self._lock:
            self._began.setdefault((kind, name), time.monotonic())
            self.out.write(f" {kind} {shown}  {status}\n")
            self.out.flush()

    def warn(self, text: str) -> None:
        with self._lock:
            self.out.write(f"WARN[0000] {text}\n")
            self.out.flush()
