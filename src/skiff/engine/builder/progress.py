"""What a build tells its client, in one of two forms.

The classic form is dockerd's legacy builder's: ``stream`` text ("Step 2/5 : RUN ...",
" ---> Using cache", the step's output), then ``aux`` with the image ID. The structured form,
which skiff's own client asks for (header ``X-Skiff-Progress``), is one ``skiff`` message per
event of a step (a vertex, in BuildKit's words): started, a line of output, done or cached
(with its cache inputs and, on a miss, why), failed. Steps of stages that run at the same time
interleave; every message names its vertex."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from skiff.api.timefmt import now_ns

Message = dict[str, Any]


@dataclass
class Reporter:
    queue: asyncio.Queue[Message | None]
    quiet: bool = False
    structured: bool = False
    vertices: int = 0

    async def put(self, message: Message | None) -> None:
        """A message as it is (None ends the stream)."""
        await self.queue.put(message)

    async def classic(self, text: str) -> None:
        """A line of the classic stream (nothing in the structured form)."""
        if text and not self.quiet and not self.structured:
            await self.queue.put({"stream": text})

    async def event(self, vertex: int, event: str, **fields: Any) -> None:
        if self.structured:
            await self.queue.put({"skiff": {"vertex": vertex, "event": event, "at": now_ns(),
                                            **{k: v for k, v in fields.items()
                                               if v not in (None, "")}}})

    def vertex(self, name: str) -> Step:
        self.vertices += 1
        return Step(self, self.vertices, name)


@dataclass
class Step:
    """One vertex: where a step's notes, output and outcome go."""

    reporter: Reporter
    number: int
    name: str

    async def start(self) -> None:
        await self.reporter.event(self.number, "start", name=self.name)

    async def note(self, text: str) -> None:
        """The classic builder's own lines about the step (" ---> Running in ...")."""
        await self.reporter.classic(text)

    async def output(self, text: str) -> None:
        """What the step's command printed."""
        await self.reporter.classic(text)
        await self.reporter.event(self.number, "log", text=text)

    async def done(self, cached: bool, image_id: str, inputs: dict[str, Any] | None = None,
                   why: str = "") -> None:
        await self.reporter.event(self.number, "cached" if cached else "done", image=image_id,
                                  inputs=inputs, why=why)

    async def failed(self, message: str) -> None:
        await self.reporter.event(self.number, "error", text=message)
