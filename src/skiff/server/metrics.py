"""The metrics listener (``--metrics-addr``): ``GET /metrics``, plain HTTP as dockerd's."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web

Render = Callable[[str], tuple[bytes, str]]  # Accept header -> body, content type


def create_app(render: Render) -> web.Application:
    async def metrics(request: web.Request) -> web.Response:
        body, content_type = await asyncio.to_thread(render, request.headers.get("Accept", ""))
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    async def not_found(_request: web.Request) -> web.Response:
        return web.Response(status=404, text="404 page not found\n")

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_route("*", "/{tail:.*}", not_found)
    return app
