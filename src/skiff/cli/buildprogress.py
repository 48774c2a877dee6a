"""``skiff build``'s progress, drawn from skiffd's structured build events, as BuildKit draws
it: plain (``#3 [app 2/4] RUN make``, its output with timestamps, ``#3 DONE 1.2s`` or
``#3 CACHED``) when the output is not a terminal, else a live list of steps with their times
(stages that run together side by side) redrawn in place; and with ``--explain``, each step's
cache inputs and, on a miss, what changed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, TextIO


@dataclass
class Vertex:
    number: int
    name: str
    started: float
    ended: float | None = None
    cached: bool = False
    error: str = ""
    why: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)

    def elapsed(self, now: float) -> float:
        return (self.ended or now) - self.started


class Plain:
    """BuildKit's plain output: every event as it comes, each line naming its step."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.vertices: dict[int, Vertex] = {}
        self.last = 0  # the step the last line was about

    def _line(self, vertex: Vertex, text: str) -> None:
        if self.last and self.last != vertex.number:
            self.out.write("\n")
        self.last = vertex.number
        self.out.write(f"#{vertex.number} {text}\n")
        self.out.flush()

    def handle(self, event: dict[str, Any]) -> None:
        number, kind = int(event.get("vertex", 0)), str(event.get("event", ""))
        now = float(event.get("at", 0)) / 1e9 or time.time()
        if kind == "start":
            vertex = self.vertices[number] = Vertex(number, str(event.get("name", "")), now)
            self._line(vertex, vertex.name)
            return
        vertex = self.vertices.get(number) or Vertex(number, "", now)
        if kind == "log":
            for line in str(event.get("text", "")).splitlines():
                self._line(vertex, f"{now - vertex.started:.3f} {line}")
        elif kind in ("done", "cached"):
            vertex.ended, vertex.cached = now, kind == "cached"
            vertex.why, vertex.inputs = str(event.get("why", "")), dict(event.get("inputs") or {})
            self._line(vertex, "CACHED" if vertex.cached else f"DONE {vertex.elapsed(now):.1f}s")
        elif kind == "error":
            vertex.ended, vertex.error = now, str(event.get("text", ""))
            self._line(vertex, f"ERROR: {vertex.error}")

    def finish(self) -> None:
        if self.last:
            self.out.write("\n")
            self.out.flush()


class Live(Plain):
    """A terminal's view: the header and one line per step, redrawn at most 10 times a
    second; running steps show their time, finished ones DONE or CACHED."""

    def __init__(self, out: TextIO, width: int = 100) -> None:
        super().__init__(out)
        self.width = width
        self.begun = time.time()
        self.drawn = 0  # lines drawn last time
        self.next_draw = 0.0

    def _line(self, vertex: Vertex, text: str) -> None:
        pass  # drawn as a whole in draw()

    def handle(self, event: dict[str, Any]) -> None:
        super().handle(event)
        if time.monotonic() >= self.next_draw:
            self.draw()

    def draw(self, final: bool = False) -> None:
        now = time.time()
        lines = [self._header(now, final)]
        for vertex in self.vertices.values():
            label = ("CACHED " if vertex.cached else "") + vertex.name
            if vertex.error:
                label = "ERROR " + label
            shown = f"{vertex.elapsed(now):.1f}s" if not vertex.cached else "0.0s"
            room = max(self.width - len(shown) - 4, 10)
            lines.append(f" => {label[:room]:<{room}}{shown:>{len(shown)}}")
        if self.drawn:
            self.out.write(f"\x1b[{self.drawn}A")
        self.out.write("".join(f"\x1b[2K{line}\n" for line in lines))
        self.out.flush()
        self.drawn = len(lines)
        self.next_draw = time.monotonic() + 0.1

    def _header(self, now: float, final: bool) -> str:
        done = sum(1 for v in self.vertices.values() if v.ended is not None)
        state = " FINISHED" if final and not any(v.error for v in self.vertices.values()) \
            else ""
        return f"[+] Building {now - self.begun:.1f}s ({done}/{len(self.vertices)}){state}"

    def finish(self) -> None:
        self.draw(final=True)


def explain(out: TextIO, vertices: dict[int, Vertex]) -> None:
    """``--explain``: each step's cache inputs and, when it ran, why it missed."""
    out.write("Cache explanation:\n")
    for vertex in vertices.values():
        if not vertex.inputs:
            continue
        verdict = "CACHED" if vertex.cached else f"missed: {vertex.why or 'unknown'}"
        out.write(f"#{vertex.number} {vertex.name} {verdict}\n")
        for key, value in vertex.inputs.items():
            out.write(f"    {key}: {value}\n")
    out.flush()
