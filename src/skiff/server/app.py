"""The aiohttp application: version prefixes, negotiation headers, errors in one place."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from skiff import __version__
from skiff.api import versions
from skiff.errdefs import InvalidParameter, NotModified, SkiffError, status_for

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), status=status,
                        content_type="application/json")


def error_response(message: str, status: int) -> web.Response:
    return json_response({"message": message}, status)


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    version = request.match_info.get("version")
    try:
        if version is not None:
            version = version.removeprefix("v")
            versions.check(version)
        request["api_version"] = version or versions.DEFAULT_VERSION
        response = await handler(request)
    except NotModified:
        response = web.Response(status=304)
    except SkiffError as exc:
        status = status_for(exc)
        if status >= 500:
            log.warning("%s %s: %s", request.method, request.path, exc.message)
        response = error_response(exc.message, status)
    except web.HTTPNotFound:
        response = error_response("page not found", 404)
    except web.HTTPMethodNotAllowed:
        response = error_response("page not found", 404)
    except web.HTTPException:
        raise
    except (ConnectionResetError, BrokenPipeError):
        # the client went away mid-response: nothing left to tell it
        log.debug("%s %s: client disconnected", request.method, request.path)
        response = web.Response(status=499)
        response.force_close()
        return response
    except Exception as exc:  # the last line of defence: keep serving
        log.exception("%s %s failed", request.method, request.path)
        response = error_response(str(exc) or type(exc).__name__, 500)
    if not response.prepared:
        response.headers["Api-Version"] = versions.MAX_VERSION
        response.headers["Server"] = f"Skiff/{__version__} (linux)"
        response.headers["Docker-Experimental"] = "false"
        response.headers["Ostype"] = "linux"
    return response


class Routes:
    """Registers each route with and without the ``/vX.Y`` prefix."""

    def __init__(self, app: web.Application) -> None:
        self._app = app

    def add(self, method: str, path: str, handler: Handler) -> None:
        self._app.router.add_route(method, path, handler)
        self._app.router.add_route(method, "/{version:v[0-9]+\\.[0-9]+}" + path, handler)


def create_app() -> web.Application:
    app = web.Application(middlewares=[_errors], client_max_size=1 << 40)
    return app


def query_bool(request: web.Request, name: str, default: bool = False) -> bool:
    value = request.query.get(name)
    if value is None:
        return default
    return value.lower() not in ("", "0", "false", "no")


def query_int(request: web.Request, name: str, default: int) -> int:
    value = request.query.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidParameter(f"invalid value for {name}: {value!r}") from None


async def read_json(request: web.Request) -> bytes:
    return await request.read()
