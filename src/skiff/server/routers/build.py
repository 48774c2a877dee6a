"""/build and /commit: images made from a Dockerfile or from a container's changes."""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import AsyncIterator
from typing import Any, BinaryIO, Protocol

from aiohttp import web

from skiff.api import buildoptions, schema
from skiff.api.buildoptions import BuildOptions
from skiff.server.app import Routes, json_response, query_bool


class CommitBackend(Protocol):
    async def commit(self, ref: str, repo: str = "", tag: str = "", author: str = "",
                     comment: str = "", change_list: list[str] | None = None,
                     pause: bool = True, config: dict[str, Any] | None = None) -> str: ...


class BuildBackend(Protocol):
    def build(self, stream: BinaryIO, options: BuildOptions) -> AsyncIterator[dict[str, Any]]:
        ...


async def _spool(request: web.Request) -> BinaryIO:
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it
    while chunk := await request.content.readany():
        await asyncio.to_thread(handle.write, chunk)
    handle.seek(0)
    return handle  # type: ignore[return-value]


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
        options = buildoptions.from_query(
            request.query, request.query.getall("t", []),
            buildoptions.decode_secrets(request.headers.get("X-Skiff-Build-Secrets")))
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
        return json_response({"CachesDeleted": None, "SpaceReclaimed": 0})

    routes.add("POST", "/commit", commit)
    routes.add("POST", "/build", build)
    routes.add("POST", "/build/prune", prune)
