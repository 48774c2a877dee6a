"""/networks/…: create, list, inspect, remove, prune."""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web

from skiff.api import filters as flt
from skiff.api import schema
from skiff.errdefs import InvalidParameter
from skiff.server.app import Routes, json_response

LIST_FILTERS = ("dangling", "driver", "id", "label", "name", "scope", "type")
PRUNE_FILTERS = ("label", "label!", "until")


class NetworksBackend(Protocol):
    def create(self, body: dict[str, Any]) -> dict[str, str]: ...

    def inspect(self, ref: str) -> dict[str, Any]: ...

    def list_networks(self, filters: flt.Filters) -> list[dict[str, Any]]: ...

    async def remove(self, ref: str) -> None: ...

    async def prune(self, filters: flt.Filters) -> dict[str, Any]: ...


class AttachmentsBackend(Protocol):
    async def connect(self, network_ref: str, container_ref: str,
                      config: dict[str, Any]) -> None: ...

    async def disconnect(self, network_ref: str, container_ref: str, force: bool) -> None: ...


def setup(routes: Routes, networks: NetworksBackend, attachments: AttachmentsBackend) -> None:
    async def create(request: web.Request) -> web.StreamResponse:
        body = schema.decode_object(await request.read(), schema.NETWORK_CREATE,
                                    "NetworkCreateRequest")
        return json_response(networks.create(body), 201)

    async def list_networks(request: web.Request) -> web.StreamResponse:
        return json_response(networks.list_networks(
            flt.parse(request.query.get("filters"), LIST_FILTERS)))

    async def inspect(request: web.Request) -> web.StreamResponse:
        return json_response(networks.inspect(request.match_info["id"]))

    async def remove(request: web.Request) -> web.StreamResponse:
        await networks.remove(request.match_info["id"])
        return web.Response(status=204)

    async def prune(request: web.Request) -> web.StreamResponse:
        return json_response(await networks.prune(
            flt.parse(request.query.get("filters"), PRUNE_FILTERS)))

    async def connect(request: web.Request) -> web.StreamResponse:
        body = schema.decode_object(await request.read(), schema.NETWORK_CONNECT,
                                    "NetworkConnectRequest")
        if not body.get("Container"):
            raise InvalidParameter("no container specified")
        await attachments.connect(request.match_info["id"], body["Container"],
                                  dict(body.get("EndpointConfig") or {}))
        return web.Response(status=200)

    async def disconnect(request: web.Request) -> web.StreamResponse:
        body = schema.decode_object(await request.read(), schema.NETWORK_DISCONNECT,
                                    "NetworkDisconnectRequest")
        if not body.get("Container"):
            raise InvalidParameter("no container specified")
        await attachments.disconnect(request.match_info["id"], body["Container"],
                                     bool(body.get("Force")))
        return web.Response(status=200)

    routes.add("GET", "/networks", list_networks)
    routes.add("POST", "/networks/create", create)
    routes.add("POST", "/networks/prune", prune)
    routes.add("GET", "/networks/{id}", inspect)
    routes.add("DELETE", "/networks/{id}", remove)
    routes.add("POST", "/networks/{id}/connect", connect)
    routes.add("POST", "/networks/{id}/disconnect", disconnect)
