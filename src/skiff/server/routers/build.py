"""/commit (and, as the builder grows, /build): images made from containers' changes."""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web

from skiff.api import schema
from skiff.server.app import Routes, json_response, query_bool


class CommitBackend(Protocol):
    async def commit(self, ref: str, repo: str = "", tag: str = "", author: str = "",
                     comment: str = "", change_list: list[str] | None = None,
                     pause: bool = True, config: dict[str, Any] | None = None) -> str: ...


def setup(routes: Routes, committer: CommitBackend) -> None:
    async def commit(request: web.Request) -> web.StreamResponse:
        config = schema.decode_object(await request.read(), schema.CONTAINER_CONFIG,
                                      "container.Config")
        image_id = await committer.commit(
            request.query.get("container", ""), request.query.get("repo", ""),
            request.query.get("tag", ""), request.query.get("author", ""),
            request.query.get("comment", ""), request.query.getall("changes", []),
            query_bool(request, "pause", True), config)
        return json_response({"Id": image_id}, 201)

    routes.add("POST", "/commit", commit)
