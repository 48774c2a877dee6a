"""/containers/…: the container lifecycle, attach, logs and queries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any, Protocol

from aiohttp import web

from skiff.api import filters as flt
from skiff.api import schema, stdcopy
from skiff.api.timefmt import parse_timestamp_ns, rfc3339fixed
from skiff.errdefs import InvalidParameter
from skiff.server import hijack, streams
from skiff.server.app import Routes, json_response, query_bool, query_int

LIST_FILTERS = ("ancestor", "before", "expose", "exited", "health", "id", "isolation",
                "is-task", "label", "name", "network", "publish", "since", "status", "volume")
PRUNE_FILTERS = ("label", "label!", "until")
STREAMS = {"stdout": stdcopy.STDOUT, "stderr": stdcopy.STDERR}


class ContainersBackend(Protocol):
    """The container lifecycle."""

    async def create(self, name: str | None, body: dict[str, Any]) -> tuple[str, list[str]]: ...

    def get(self, ref: str) -> Any: ...

    async def start(self, ref: str) -> None: ...

    async def stop(self, ref: str, signal: str | None = None,
                   timeout: int | None = None) -> None: ...

    async def restart(self, ref: str, signal: str | None = None,
                      timeout: int | None = None) -> None: ...

    async def kill(self, ref: str, signal: str | None = None) -> None: ...

    async def pause(self, ref: str) -> None: ...

    async def unpause(self, ref: str) -> None: ...

    def wait_condition(self, ref: str, condition: str) -> asyncio.Future[int]: ...

    async def remove(self, ref: str, force: bool = False, volumes: bool = False) -> None: ...

    def rename(self, ref: str, new_name: str) -> None: ...

    async def update(self, ref: str, body: dict[str, Any]) -> list[str]: ...

    async def prune(self, filters: flt.Filters) -> dict[str, Any]: ...

    async def attach(self, ref: str) -> Any: ...

    def resize(self, ref: str, height: int, width: int) -> None: ...


class QueriesBackend(Protocol):
    """Read-only views of containers."""

    def list_containers(self, all_containers: bool, limit: int, size: bool,
                        filters: flt.Filters) -> list[dict[str, Any]]: ...

    def inspect(self, ref: str, size: bool = False) -> dict[str, Any]: ...

    async def top(self, ref: str, ps_args: str) -> dict[str, Any]: ...

    async def changes(self, ref: str) -> list[Any]: ...

    def export(self, ref: str) -> AsyncIterator[bytes]: ...

    def log_reader(self, ref: str) -> Any: ...

    def logs(self, ref: str, config: Any) -> AsyncIterator[list[Any]]: ...


def setup(routes: Routes, containers: ContainersBackend, queries: QueriesBackend,
          read_config: Any) -> None:
    async def create(request: web.Request) -> web.StreamResponse:
        body = schema.decode_object(await request.read(), schema.CREATE_BODY,
                                    "ContainerConfigWrapper")
        container_id, warnings = await containers.create(request.query.get("name"), body)
        return json_response({"Id": container_id, "Warnings": warnings}, 201)

    async def list_containers(request: web.Request) -> web.StreamResponse:
        filters = flt.parse(request.query.get("filters"), LIST_FILTERS)
        limit = query_int(request, "limit", -1)
        return json_response(queries.list_containers(query_bool(request, "all"), limit,
                                             query_bool(request, "size"), filters))

    async def inspect(request: web.Request) -> web.StreamResponse:
        return json_response(queries.inspect(request.match_info["id"],
                                                query_bool(request, "size")))

    async def start(request: web.Request) -> web.StreamResponse:
        await containers.start(request.match_info["id"])
        return web.Response(status=204)

    def _timeout(request: web.Request) -> int | None:
        value = request.query.get("t") or request.query.get("timeout")
        if value is None or value == "":
            return None
        try:
            return int(value)
        except ValueError:
            raise InvalidParameter(f"invalid value for t: {value!r}") from None

    async def stop(request: web.Request) -> web.StreamResponse:
        await containers.stop(request.match_info["id"], request.query.get("signal"),
                              _timeout(request))
        return web.Response(status=204)

    async def restart(request: web.Request) -> web.StreamResponse:
        await containers.restart(request.match_info["id"], request.query.get("signal"),
                                 _timeout(request))
        return web.Response(status=204)

    async def kill(request: web.Request) -> web.StreamResponse:
        await containers.kill(request.match_info["id"], request.query.get("signal"))
        return web.Response(status=204)

    async def pause(request: web.Request) -> web.StreamResponse:
        await containers.pause(request.match_info["id"])
        return web.Response(status=204)

    async def unpause(request: web.Request) -> web.StreamResponse:
        await containers.unpause(request.match_info["id"])
        return web.Response(status=204)

    async def wait(request: web.Request) -> web.StreamResponse:
        future = containers.wait_condition(request.match_info["id"],
                                           request.query.get("condition", ""))
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)  # headers first: the wait is registered
        code = await future
        await response.write(json.dumps({"StatusCode": code, "Error": None}).encode() + b"\n")
        await response.write_eof()
        return response

    async def remove(request: web.Request) -> web.StreamResponse:
        if query_bool(request, "link"):
            raise InvalidParameter("legacy links are not supported")
        await containers.remove(request.match_info["id"], query_bool(request, "force"),
                                query_bool(request, "v"))
        return web.Response(status=204)

    async def rename(request: web.Request) -> web.StreamResponse:
        containers.rename(request.match_info["id"], request.query.get("name", ""))
        return web.Response(status=204)

    async def top(request: web.Request) -> web.StreamResponse:
        return json_response(await queries.top(request.match_info["id"],
                                                  request.query.get("ps_args", "")))

    async def changes(request: web.Request) -> web.StreamResponse:
        items = await queries.changes(request.match_info["id"])
        return json_response([{"Path": c.path, "Kind": c.kind} for c in items] or None)

    async def update(request: web.Request) -> web.StreamResponse:
        body = schema.decode_object(await request.read(), schema.UPDATE_BODY, "UpdateConfig")
        warnings = await containers.update(request.match_info["id"], body)
        return json_response({"Warnings": warnings})

    async def export(request: web.Request) -> web.StreamResponse:
        stream = queries.export(request.match_info["id"])
        first = await anext(stream, b"")
        response = web.StreamResponse(headers={"Content-Type": "application/x-tar"})
        await response.prepare(request)
        await response.write(first)
        async for chunk in stream:
            await response.write(chunk)
        await response.write_eof()
        return response

    async def prune(request: web.Request) -> web.StreamResponse:
        filters = flt.parse(request.query.get("filters"), PRUNE_FILTERS)
        return json_response(await containers.prune(filters))

    async def resize(request: web.Request) -> web.StreamResponse:
        height = query_int(request, "h", 0)
        width = query_int(request, "w", 0)
        containers.resize(request.match_info["id"], height, width)
        return web.Response(status=200)

    async def logs(request: web.Request) -> web.StreamResponse:
        ref = request.match_info["id"]
        container, _ = queries.log_reader(ref)
        want_out = query_bool(request, "stdout")
        want_err = query_bool(request, "stderr")
        if not (want_out or want_err):
            raise InvalidParameter("Bad parameters: you must choose at least one stream")
        tail_arg = request.query.get("tail", "all")
        tail = -1 if tail_arg in ("", "all") else query_int(request, "tail", -1)
        since = request.query.get("since")
        until = request.query.get("until")
        config = read_config(
            since_ns=parse_timestamp_ns(since) if since and since != "0" else 0,
            until_ns=parse_timestamp_ns(until) if until and until != "0" else 0,
            tail=tail, follow=query_bool(request, "follow"),
            timestamps=query_bool(request, "timestamps"))
        tty = bool(container.config.get("Tty"))
        timestamps = config.timestamps
        wanted = {"stdout": want_out, "stderr": want_err}
        response = web.StreamResponse(headers={
            "Content-Type": hijack.RAW if tty else hijack.MULTIPLEXED})
        await response.prepare(request)
        batches = queries.logs(ref, config)
        try:
            async for batch in batches:
                chunks = []
                for message in batch:
                    if not wanted[message.stream]:
                        continue
                    data = message.data
                    if timestamps:
                        data = rfc3339fixed(message.time_ns).encode() + b" " + data
                    chunks.append(data if tty else stdcopy.frame(STREAMS[message.stream], data))
                if chunks:
                    await response.write(b"".join(chunks))
        finally:
            await batches.aclose()  # type: ignore[attr-defined]
        await response.write_eof()
        return response

    async def attach(request: web.Request) -> web.StreamResponse:
        ref = request.match_info["id"]
        container = containers.get(ref)
        tty = bool(container.config.get("Tty"))
        want = {"stdin": query_bool(request, "stdin"), "stdout": query_bool(request, "stdout"),
                "stderr": query_bool(request, "stderr")}
        stream_live = query_bool(request, "stream")
        replay = query_bool(request, "logs")
        detach = streams.detach_sequence(request.query.get("detachKeys"))
        if replay:
            queries.log_reader(ref)  # refuses a driver that cannot be read, before the upgrade
        response, client = await hijack.upgrade(request, hijack.RAW if tty else
                                                hijack.MULTIPLEXED)

        def encode(stream: str, data: bytes) -> bytes:
            return data if tty else stdcopy.frame(STREAMS[stream], data)

        try:
            if replay:
                async for batch in queries.logs(ref, read_config(follow=False)):
                    data = b"".join(encode(m.stream, m.data) for m in batch if want.get(m.stream))
                    if data and not await client.write(data):
                        return response
            if not stream_live:
                return response
            attaching = asyncio.ensure_future(containers.attach(ref))
            gone = asyncio.ensure_future(client.gone.wait())
            await asyncio.wait({attaching, gone}, return_when=asyncio.FIRST_COMPLETED)
            if not attaching.done():
                attaching.cancel()
                return response
            gone.cancel()
            monitor = attaching.result()
            if monitor is None:
                return response
            await streams.pump(client, monitor, want, encode, detach if tty or detach else b"")
        finally:
            client.close()
        return response

    routes.add("POST", "/containers/create", create)
    routes.add("GET", "/containers/json", list_containers)
    routes.add("POST", "/containers/prune", prune)
    routes.add("GET", "/containers/{id}/json", inspect)
    routes.add("GET", "/containers/{id}/top", top)
    routes.add("GET", "/containers/{id}/logs", logs)
    routes.add("GET", "/containers/{id}/changes", changes)
    routes.add("GET", "/containers/{id}/export", export)
    routes.add("POST", "/containers/{id}/resize", resize)
    routes.add("POST", "/containers/{id}/start", start)
    routes.add("POST", "/containers/{id}/stop", stop)
    routes.add("POST", "/containers/{id}/restart", restart)
    routes.add("POST", "/containers/{id}/kill", kill)
    routes.add("POST", "/containers/{id}/update", update)
    routes.add("POST", "/containers/{id}/rename", rename)
    routes.add("POST", "/containers/{id}/pause", pause)
    routes.add("POST", "/containers/{id}/unpause", unpause)
    routes.add("POST", "/containers/{id}/attach", attach)
    routes.add("POST", "/containers/{id}/wait", wait)
    routes.add("DELETE", "/containers/{id}", remove)
