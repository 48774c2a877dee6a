"""Network endpoints: /networks/..."""

from __future__ import annotations

import builtins
import json
from typing import Any
from urllib.parse import quote

from skiff.client.api import APIClient
from skiff.client.containers import Filters, encode_filters


def _p(ref: str) -> str:
    return "/networks/" + quote(ref, safe="")


class Networks:
    """Calls on /networks."""

    def __init__(self, api: APIClient) -> None:
        self.api = api

    def list(self, filters: Filters | None = None) -> builtins.list[dict[str, Any]]:
        return list(self.api.get("/networks", {"filters": encode_filters(filters)}) or [])

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.api.post("/networks/create", None, body) or {})

    def inspect(self, ref: str) -> dict[str, Any]:
        return dict(self.api.get(_p(ref)))

    def inspect_raw(self, ref: str) -> bytes:
        return self.api.get_raw(_p(ref))

    def remove(self, ref: str) -> None:
        self.api.request("DELETE", _p(ref)).read()

    def prune(self, filters: Filters | None = None) -> dict[str, Any]:
        return dict(self.api.post("/networks/prune",
                                  {"filters": encode_filters(filters)}) or {})

    def connect(self, ref: str, container: str,
                endpoint: dict[str, Any] | None = None) -> None:
        body: dict[str, Any] = {"Container": container}
        if endpoint:
            body["EndpointConfig"] = endpoint
        self.api.request("POST", _p(ref) + "/connect", None, _json(body),
                         {"Content-Type": "application/json"}).read()

    def disconnect(self, ref: str, container: str, force: bool = False) -> None:
        body = {"Container": container, "Force": force}
        self.api.request("POST", _p(ref) + "/disconnect", None, _json(body),
                         {"Content-Type": "application/json"}).read()


def _json(body: Any) -> bytes:
    return json.dumps(body).encode()
