"""/images/…: list, inspect, history, import, load, save, tag, remove, prune."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from typing import Any, BinaryIO, Protocol

from aiohttp import web

from skiff.api import filters as flt
from skiff.errdefs import InvalidParameter, NotFound, SkiffError
from skiff.server.app import Routes, json_response, query_bool

LIST_FILTERS = ("before", "dangling", "label", "reference", "since", "until")
PRUNE_FILTERS = ("dangling", "label", "until")


class ImagesBackend(Protocol):
    def list_images(self, all_images: bool, filters: flt.Filters) -> list[dict[str, Any]]: ...

    def inspect(self, ref: str) -> dict[str, Any]: ...

    def history(self, ref: str) -> list[dict[str, Any]]: ...

    def tag(self, ref: str, repo: str, tag: str) -> None: ...

    def remove(self, ref: str, force: bool, prune: bool = True) -> list[dict[str, str]]: ...

    def prune(self, filters: flt.Filters) -> dict[str, Any]: ...

    async def import_rootfs(self, stream: BinaryIO, repo: str, tag: str, message: str,
                            change_list: list[str]) -> Any: ...

    def load(self, stream: BinaryIO) -> AsyncIterator[str]: ...

    async def save(self, refs: list[str], out: BinaryIO) -> None: ...


async def _spool_body(request: web.Request) -> BinaryIO:
    """Read the whole request body into an unlinked temporary file."""
    import tempfile

    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it
    while chunk := await request.content.readany():
        await asyncio.to_thread(handle.write, chunk)
    handle.seek(0)
    return handle  # type: ignore[return-value]


class _PipeWriter(io.RawIOBase):
    """A writable file for a worker thread whose bytes are sent to the client in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[bytes | None]):
        self._loop = loop
        self._queue = queue

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        asyncio.run_coroutine_threadsafe(self._queue.put(chunk), self._loop).result()
        return len(chunk)


def _progress(message: str) -> bytes:
    return json.dumps({"stream": message}).encode() + b"\n"


def setup(routes: Routes, images: ImagesBackend) -> None:
    async def list_images(request: web.Request) -> web.StreamResponse:
        filters = flt.parse(request.query.get("filters"), LIST_FILTERS)
        if request.query.get("filter"):
            filters.setdefault("reference", []).append(request.query["filter"])
        return json_response(images.list_images(query_bool(request, "all"), filters))

    async def inspect(request: web.Request) -> web.StreamResponse:
        return json_response(images.inspect(request.match_info["name"]))

    async def history(request: web.Request) -> web.StreamResponse:
        return json_response(images.history(request.match_info["name"]))

    async def tag(request: web.Request) -> web.StreamResponse:
        images.tag(request.match_info["name"], request.query.get("repo", ""),
                   request.query.get("tag", ""))
        return web.Response(status=201)

    async def remove(request: web.Request) -> web.StreamResponse:
        return json_response(images.remove(request.match_info["name"],
                                           query_bool(request, "force"),
                                           not query_bool(request, "noprune")))

    async def prune(request: web.Request) -> web.StreamResponse:
        return json_response(images.prune(flt.parse(request.query.get("filters"),
                                                    PRUNE_FILTERS)))

    async def create(request: web.Request) -> web.StreamResponse:
        source = request.query.get("fromSrc")
        if source is None:
            image = request.query.get("fromImage", "")
            tag = request.query.get("tag", "")
            name = f"{image}:{tag}" if tag and not tag.startswith("sha256:") else image
            raise NotFound(f"pull access denied for {image}, repository does not exist or may "
                           f"require 'docker login': registry access is not available "
                           f"({name})")
        if source != "-":
            raise InvalidParameter("importing from a URL is not supported; send the tar in the "
                                   "request body (fromSrc=-)")
        changes = request.query.getall("changes", [])
        body = await _spool_body(request)
        try:
            image = await images.import_rootfs(body, request.query.get("repo", ""),
                                               request.query.get("tag", ""),
                                               request.query.get("message", ""), changes)
        finally:
            body.close()
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(json.dumps({"status": image.id}).encode() + b"\n")
        await response.write_eof()
        return response

    async def load(request: web.Request) -> web.StreamResponse:
        quiet = query_bool(request, "quiet")
        body = await _spool_body(request)
        lines: list[str] = []
        try:
            async for line in images.load(body):
                lines.append(line)
        except SkiffError:
            body.close()
            raise
        body.close()
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        for line in lines:
            if not quiet or line.startswith("Loaded"):
                await response.write(_progress(line))
        await response.write_eof()
        return response

    async def save(request: web.Request) -> web.StreamResponse:
        names = request.query.getall("names", [])
        if "name" in request.match_info:
            names = [request.match_info["name"]]
        if not names:
            raise InvalidParameter("no images specified")
        for name in names:  # fail before the 200 is sent
            images.inspect(name)
        response = web.StreamResponse(headers={"Content-Type": "application/x-tar"})
        await response.prepare(request)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=16)
        writer = _PipeWriter(loop, queue)

        async def produce() -> None:
            try:
                await images.save(names, writer)  # type: ignore[arg-type]
            finally:
                await queue.put(None)

        task = asyncio.create_task(produce())
        try:
            while (chunk := await queue.get()) is not None:
                await response.write(chunk)
        finally:
            if not task.done():
                task.cancel()
        await task
        await response.write_eof()
        return response

    routes.add("GET", "/images/json", list_images)
    routes.add("POST", "/images/create", create)
    routes.add("POST", "/images/load", load)
    routes.add("GET", "/images/get", save)
    routes.add("POST", "/images/prune", prune)
    routes.add("GET", "/images/{name:.+}/json", inspect)
    routes.add("GET", "/images/{name:.+}/history", history)
    routes.add("GET", "/images/{name:.+}/get", save)
    routes.add("POST", "/images/{name:.+}/tag", tag)
    routes.add("DELETE", "/images/{name:.+}", remove)

