"""/_ping, /version, /info, /events and /system/df."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, Protocol

from aiohttp import web

from skiff.api import filters as flt
from skiff.api import versions
from skiff.api.timefmt import parse_timestamp_ns
from skiff.server.app import Routes, json_response


class SystemBackend(Protocol):
    def version(self) -> dict[str, Any]: ...

    async def info(self) -> dict[str, Any]: ...

    def disk_usage(self) -> dict[str, Any]: ...


class EventsBackend(Protocol):
    def stream(self, since_ns: int | None, until_ns: int | None,
               filters: flt.Filters) -> AsyncIterator[dict[str, Any]]: ...


EVENT_FILTERS = ("config", "container", "daemon", "event", "image", "label", "network", "node",
                 "plugin", "scope", "secret", "service", "type", "volume")


def setup(routes: Routes, system: SystemBackend, events: EventsBackend) -> None:
    async def ping(request: web.Request) -> web.StreamResponse:
        headers = {"API-Version": versions.MAX_VERSION, "OSType": "linux",
                   "Docker-Experimental": "false", "Builder-Version": "1",
                   "Cache-Control": "no-cache, no-store, must-revalidate", "Pragma": "no-cache"}
        body = b"" if request.method == "HEAD" else b"OK"
        return web.Response(body=body, headers=headers, content_type="text/plain")

    async def version(request: web.Request) -> web.StreamResponse:
        return json_response(system.version())

    async def info(request: web.Request) -> web.StreamResponse:
        return json_response(await system.info())

    async def df(request: web.Request) -> web.StreamResponse:
        return json_response(system.disk_usage())

    async def get_events(request: web.Request) -> web.StreamResponse:
        filters = flt.parse(request.query.get("filters"), EVENT_FILTERS)
        since = request.query.get("since")
        until = request.query.get("until")
        since_ns = parse_timestamp_ns(since) if since else None
        until_ns = parse_timestamp_ns(until) if until else None
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        async for event in events.stream(since_ns, until_ns, filters):
            await response.write(json.dumps(event).encode() + b"\n")
        await response.write_eof()
        return response

    routes.add("GET", "/_ping", ping)
    routes.add("HEAD", "/_ping", ping)
    routes.add("GET", "/version", version)
    routes.add("GET", "/info", info)
    routes.add("GET", "/system/df", df)
    routes.add("GET", "/events", get_events)
