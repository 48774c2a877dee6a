"""/containers/{id}/exec and /exec/…: create, start (hijacked), resize and inspect."""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web

from skiff.api import schema, stdcopy
from skiff.errdefs import SkiffError
from skiff.server import hijack, streams
from skiff.server.app import Routes, json_response, query_int

STREAMS = {"stdout": stdcopy.STDOUT, "stderr": stdcopy.STDERR}
EXIT_GRACE = 5.0


class ExecsBackend(Protocol):
    def create(self, ref: str, config: dict[str, Any]) -> str: ...

    def get(self, exec_id: str) -> Any: ...

    def inspect(self, exec_id: str) -> dict[str, Any]: ...

    async def start(self, exec_id: str, detach: bool, tty: bool | None,
                    console: list[int] | None = None) -> Any: ...

    async def wait(self, exec_id: str, timeout: float) -> int | None: ...

    def resize(self, exec_id: str, height: int, width: int) -> None: ...


def setup(routes: Routes, execs: ExecsBackend) -> None:
    async def create(request: web.Request) -> web.StreamResponse:
        body = schema.decode_object(await request.read(), schema.EXEC_CONFIG, "ExecConfig")
        exec_id = execs.create(request.match_info["id"], body)
        return json_response({"Id": exec_id}, 201)

    async def start(request: web.Request) -> web.StreamResponse:
        exec_id = request.match_info["id"]
        body = schema.decode_object(await request.read(), schema.EXEC_START, "ExecStartCheck")
        instance = execs.get(exec_id)
        config = instance.config
        detach = bool(body.get("Detach"))
        tty = body.get("Tty")
        use_tty = bool(config.get("Tty")) if tty is None else bool(tty)
        console = body.get("ConsoleSize")
        if detach:
            await execs.start(exec_id, True, tty, console)
            return json_response({}, 200)
        detach_keys = streams.detach_sequence(config.get("DetachKeys"))
        response, client = await hijack.upgrade(
            request, hijack.RAW if use_tty else hijack.MULTIPLEXED)
        try:
            monitor = await execs.start(exec_id, False, tty, console)
        except SkiffError as exc:
            # as dockerd: the stream is already upgraded, so the error travels in it
            text = exc.message.encode() + b"\r\n"
            await client.write(text if use_tty else stdcopy.frame(stdcopy.STDOUT, text))
            client.close()
            return response
        want = {"stdin": bool(config.get("AttachStdin")),
                "stdout": bool(config.get("AttachStdout")),
                "stderr": bool(config.get("AttachStderr"))}

        def encode(stream: str, data: bytes) -> bytes:
            return data if use_tty else stdcopy.frame(STREAMS[stream], data)

        try:
            if monitor is not None:
                await streams.pump(client, monitor, want, encode,
                                   detach_keys if use_tty else b"")
            # clients read ExitCode right after the stream ends: record it first
            await execs.wait(exec_id, EXIT_GRACE)
        finally:
            client.close()
        return response

    async def resize(request: web.Request) -> web.StreamResponse:
        execs.resize(request.match_info["id"], query_int(request, "h", 0),
                     query_int(request, "w", 0))
        return web.Response(status=200)

    async def inspect(request: web.Request) -> web.StreamResponse:
        return json_response(execs.inspect(request.match_info["id"]))

    routes.add("POST", "/containers/{id}/exec", create)
    routes.add("POST", "/exec/{id}/start", start)
    routes.add("POST", "/exec/{id}/resize", resize)
    routes.add("GET", "/exec/{id}/json", inspect)



