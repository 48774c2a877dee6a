"""Progress as compose v2 prints it: on a terminal, a block redrawn in place (``[+] Running
2/3`` and a line per resource with its state and time); otherwise one line per resource and
state (`` Container demo-web-1  Started``). Safe to call from the threads that walk the graph."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TextIO

DONE = frozenset({"Created", "Started", "Healthy", "Running", "Removed", "Stopped", "Built",
                  "Pulled", "Exited", "Recreated", "Killed", "Paused", "Unpaused"})


@dataclass
class _Line:
    kind: str
    name: str
    status: str
    began: float
    ended: float | None = None


class Progress:
    def __init__(self, out: TextIO, quiet: bool = False, tty: bool = False) -> None:
        self.out, self.quiet, self.tty = out, quiet, tty
        self._lock = threading.Lock()
        self._lines: dict[tuple[str, str], _Line] = {}
        self._drawn = 0

    def event(self, kind: str, name: str, status: str) -> None:
        """``kind`` Container, Network, Volume, Image or Service; ``status`` its new state."""
        if self.quiet:
            return
        shown = f'"{name}"' if kind == "Volume" else name
        with self._lock:
            now = time.monotonic()
            line = self._lines.get((kind, name))
            if line is None or (line.ended is not None and status not in DONE):
                line = self._lines[(kind, name)] = _Line(kind, shown, status, now)
            line.status = status
            line.ended = now if status in DONE or status.startswith("Error") else None
            if self.tty:
                self._draw()
            else:
                self.out.write(f" {kind} {shown}  {status}\n")
            self.out.flush()

    def _draw(self) -> None:
        lines = list(self._lines.values())
        done = sum(1 for line in lines if line.ended is not None)
        if self._drawn:
            self.out.write(f"\x1b[{self._drawn}A")
        self.out.write(f"\x1b[2K[+] Running {done}/{len(lines)}\n")
        width = max(len(f"{line.kind} {line.name}") for line in lines)
        now = time.monotonic()
        for line in lines:
            mark = "\u2718" if line.status.startswith("Error") else \
                "\u2714" if line.ended is not None else "\u283f"
            seconds = (line.ended or now) - line.began
            label = f"{line.kind} {line.name}".ljust(width)
            self.out.write(f"\x1b[2K {mark} {label}  {line.status:<10} {seconds:.1f}s\n")
        self._drawn = len(lines) + 1

    def text(self, text: str) -> None:
        """A line of its own (build output, a note), below the block."""
        with self._lock:
            self.out.write(text.rstrip("\n") + "\n")
            self._drawn = 0
            self.out.flush()

    def warn(self, text: str) -> None:
        with self._lock:
            self.out.write(f"WARN[0000] {text}\n")
            self._drawn = 0  # the block is drawn again below the warning
            self.out.flush()
