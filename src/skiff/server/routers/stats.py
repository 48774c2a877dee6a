"""``GET /containers/{id}/stats``: a stream of samples a second, or one (``stream=false``,
``one-shot=true`` without the sample before)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, Protocol

from aiohttp import web

from skiff.server.app import Routes, json_response, query_bool


class StatsBackend(Protocol):
    async def once(self, ref: str, one_shot: bool = False) -> dict[str, Any]: ...

    def stream(self, ref: str) -> AsyncIterator[dict[str, Any]]: ...


def setup(routes: Routes, stats: StatsBackend) -> None:
    async def container_stats(request: web.Request) -> web.StreamResponse:
        ref = request.match_info["id"]
        streaming = request.query.get("stream", "1").lower() not in ("0", "false")
        if not streaming:
            return json_response(await stats.once(ref, query_bool(request, "one-shot")))
        samples = stats.stream(ref)
        first = await anext(samples)  # a missing container is an error before any byte
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(json.dumps(first).encode() + b"\n")
        async for sample in samples:
            await response.write(json.dumps(sample).encode() + b"\n")
        await response.write_eof()
        return response

    routes.add("GET", "/containers/{id}/stats", container_stats)
