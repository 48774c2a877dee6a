"""/build and /commit: images made from a Dockerfile or from a container's changes."""

from __future__ import annotations

import asyncio
import json
import socket
import tempfile
from collections.abc import AsyncIterator
from typing import Any, BinaryIO, Protocol

from aiohttp import web

from skiff.api import buildoptions, schema
from skiff.api.buildoptions import BuildOptions
from skiff.api.buildprune import BuildPrune
from skiff.errdefs import InvalidParameter
from skiff.server.app import Routes, json_response, query_bool


class CommitBackend(Protocol):
    async def commit(self, ref: str, repo: str = "", tag: str = "", author: str = "",
                     comment: str = "", change_list: list[str] | None = None,
                     pause: bool = True, config: dict[str, Any] | None = None) -> str: ...


class BuildBackend(Protocol):
    def build(self, stream: BinaryIO, options: BuildOptions) -> AsyncIterator[dict[str, Any]]:
        ...

    def cancel(self, build_id: str) -> None: ...

    async def prune(self, policy: BuildPrune) -> tuple[list[str], int]: ...

    def cache_mounts_list(self) -> list[dict[str, Any]]: ...

    async def export_cache(self, ident: str, out: BinaryIO) -> None: ...

    async def import_cache(self, ident: str, stream: BinaryIO) -> int: ...


async def _spool(request: web.Request) -> BinaryIO:
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it
    while chunk := await request.content.readany():
        await asyncio.to_thread(handle.write, chunk)
    handle.seek(0)
    return handle  # type: ignore[return-value]


def _local(request: web.Request) -> bool:
    """Whether the request came over skiffd's unix socket (a client on this host)."""
    sock = request.transport.get_extra_info("socket") if request.transport else None
    return sock is not None and sock.family == socket.AF_UNIX


def setup(routes: Routes, committer: CommitBackend, builder: BuildBackend) -> None:
    async def commit(request: web.Request) -> web.StreamResponse:
        config = schema.decode_object(await request.read(), schema.CONTAINER_CONFIG,
                                      "container.Config")
        image_id = await committer.commit(
            request.query.get("container", ""), request.query.get("repo", ""),
            request.query.get("tag", ""), request.query.get("author", ""),
            request.query.get("comment", ""), request.query.getall("changes", []),
            query_bool(request, "pause", True), config)
        return json_response({"Id": image_id}, 201)

    async def build(request: web.Request) -> web.StreamResponse:
        ssh = buildoptions.decode_ssh(request.headers.get("X-Skiff-Build-SSH"))
        if ssh and not _local(request):
            raise InvalidParameter("--ssh forwards an agent socket of skiffd's host: it needs "
                                   "a client on the unix socket")
        options = buildoptions.from_query(
            request.query, request.query.getall("t", []),
            buildoptions.decode_secrets(request.headers.get("X-Skiff-Build-Secrets")),
            request.headers.get("X-Skiff-Build-Identity", ""),
            request.headers.get("X-Skiff-Progress", "") == "1", ssh)
        options.check()
        body = await _spool(request)
        response: web.StreamResponse | None = None
        try:
            async for message in builder.build(body, options):
                if response is None:
                    response = web.StreamResponse(headers={"Content-Type": "application/json"})
                    await response.prepare(request)
                await response.write(json.dumps(message).encode() + b"\r\n")
        finally:
            body.close()
        if response is None:
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            await response.prepare(request)
        await response.write_eof()
        return response

    async def prune(request: web.Request) -> web.StreamResponse:
        deleted, space = await builder.prune(
            BuildPrune.from_query(request.query, query_bool(request, "all")))
        return json_response({"CachesDeleted": deleted or None, "SpaceReclaimed": space})

    async def cancel(request: web.Request) -> web.StreamResponse:
        builder.cancel(request.query.get("id", ""))
        return web.Response(status=200)

    # skiff's own: the cache mounts of RUN --mount=type=cache, carried between machines
    async def cache_list(request: web.Request) -> web.StreamResponse:
        return json_response(builder.cache_mounts_list())

    async def cache_export(request: web.Request) -> web.StreamResponse:
        with tempfile.TemporaryFile() as spool:
            await builder.export_cache(request.match_info["id"], spool)  # type: ignore[arg-type]
            spool.seek(0)
            response = web.StreamResponse(headers={"Content-Type": "application/x-tar"})
            await response.prepare(request)
            while chunk := await asyncio.to_thread(spool.read, 1 << 20):
                await response.write(chunk)
            await response.write_eof()
            return response

    async def cache_import(request: web.Request) -> web.StreamResponse:
        body = await _spool(request)
        try:
            count = await builder.import_cache(request.match_info["id"], body)
        finally:
            body.close()
        return json_response({"ID": request.match_info["id"], "Entries": count})

    routes.add("POST", "/commit", commit)
    routes.add("POST", "/build", build)
    routes.add("POST", "/build/prune", prune)
    routes.add("POST", "/build/cancel", cancel)
    routes.add("GET", "/build/cache", cache_list)
    routes.add("GET", "/build/cache/{id}/export", cache_export)
    routes.add("POST", "/build/cache/{id}/import", cache_import)
