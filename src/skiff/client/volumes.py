"""Volume endpoints: /volumes/..."""

from __future__ import annotations

import builtins
from typing import Any
from urllib.parse import quote

from skiff.client.api import APIClient
from skiff.client.containers import Filters, encode_filters


def _p(ref: str) -> str:
    return "/volumes/" + quote(ref, safe="")


class Volumes:
    """Calls on /volumes."""

    def __init__(self, api: APIClient) -> None:
        self.api = api

    def list(self, filters: Filters | None = None) -> builtins.list[dict[str, Any]]:
        answer = self.api.get("/volumes", {"filters": encode_filters(filters)}) or {}
        return list(answer.get("Volumes") or [])

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.api.post("/volumes/create", None, body) or {})

    def inspect(self, ref: str) -> dict[str, Any]:
        return dict(self.api.get(_p(ref)))

    def inspect_raw(self, ref: str) -> bytes:
        return self.api.get_raw(_p(ref))

    def remove(self, ref: str, force: bool = False) -> None:
        self.api.request("DELETE", _p(ref), {"force": force or None}).read()

    def prune(self, filters: Filters | None = None) -> dict[str, Any]:
        return dict(self.api.post("/volumes/prune", {"filters": encode_filters(filters)}) or {})
