"""/containers/{id}/archive: HEAD (stat), GET (tar out) and PUT (tar in)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any, Protocol

from aiohttp import web

from skiff.errdefs import InvalidParameter
from skiff.server.app import Routes, query_bool

STAT_HEADER = "X-Docker-Container-Path-Stat"


class FilesBackend(Protocol):
    async def stat(self, ref: str, path: str) -> dict[str, Any]: ...

    async def read(self, ref: str, path: str) -> tuple[dict[str, Any],
                                                       AsyncIterator[bytes]]: ...

    async def write(self, ref: str, path: str, body: AsyncIterator[bytes], copy_owner: bool,
                    no_overwrite_dir: bool) -> None: ...


def _stat_header(info: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(info).encode()).decode()


def _path(request: web.Request) -> str:
    path = request.query.get("path")
    if not path:
        raise InvalidParameter("Path cannot be empty")
    return path


def setup(routes: Routes, files: FilesBackend) -> None:
    async def head(request: web.Request) -> web.StreamResponse:
        info = await files.stat(request.match_info["id"], _path(request))
        return web.Response(status=200, headers={STAT_HEADER: _stat_header(info)})

    async def get(request: web.Request) -> web.StreamResponse:
        info, stream = await files.read(request.match_info["id"], _path(request))
        response = web.StreamResponse(headers={"Content-Type": "application/x-tar",
                                               STAT_HEADER: _stat_header(info)})
        await response.prepare(request)
        async for chunk in stream:
            await response.write(chunk)
        await response.write_eof()
        return response

    async def put(request: web.Request) -> web.StreamResponse:
        async def body() -> AsyncIterator[bytes]:
            while chunk := await request.content.readany():
                yield chunk

        await files.write(request.match_info["id"], _path(request), body(),
                          query_bool(request, "copyUIDGID"),
                          query_bool(request, "noOverwriteDirNonDir"))
        return web.Response(status=200)

    routes.add("HEAD", "/containers/{id}/archive", head)
    routes.add("GET", "/containers/{id}/archive", get)
    routes.add("PUT", "/containers/{id}/archive", put)
