"""/volumes/…: create, list, inspect, remove, prune."""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web

from skiff.api import filters as flt
from skiff.api import schema
from skiff.server.app import Routes, json_response, query_bool

LIST_FILTERS = ("dangling", "driver", "label", "name")
PRUNE_FILTERS = ("label", "label!", "all", "until")


class VolumesBackend(Protocol):
    def create(self, name: str | None, driver: str | None = None,
               labels: dict[str, str] | None = None,
               options: dict[str, str] | None = None) -> dict[str, Any]: ...

    def inspect(self, name: str) -> dict[str, Any]: ...

    def list_volumes(self, filters: flt.Filters) -> dict[str, Any]: ...

    def remove(self, name: str, force: bool = False) -> None: ...

    def prune(self, filters: flt.Filters) -> dict[str, Any]: ...


def setup(routes: Routes, volumes: VolumesBackend) -> None:
    async def create(request: web.Request) -> web.StreamResponse:
        body = schema.decode_object(await request.read(), schema.VOLUME_CREATE,
                                    "VolumeCreateBody")
        return json_response(volumes.create(body.get("Name") or None, body.get("Driver"),
                                            body.get("Labels"), body.get("DriverOpts")), 201)

    async def list_volumes(request: web.Request) -> web.StreamResponse:
        return json_response(volumes.list_volumes(
            flt.parse(request.query.get("filters"), LIST_FILTERS)))

    async def inspect(request: web.Request) -> web.StreamResponse:
        return json_response(volumes.inspect(request.match_info["name"]))

    async def remove(request: web.Request) -> web.StreamResponse:
        volumes.remove(request.match_info["name"], query_bool(request, "force"))
        return web.Response(status=204)

    async def prune(request: web.Request) -> web.StreamResponse:
        return json_response(volumes.prune(flt.parse(request.query.get("filters"),
                                                     PRUNE_FILTERS)))

    routes.add("GET", "/volumes", list_volumes)
    routes.add("POST", "/volumes/create", create)
    routes.add("POST", "/volumes/prune", prune)
    routes.add("GET", "/volumes/{name}", inspect)
    routes.add("DELETE", "/volumes/{name}", remove)
