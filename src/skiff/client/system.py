"""System endpoints: /version, /info, /system/df, /events and the pruners of other nouns."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skiff.client.api import APIClient
from skiff.client.containers import Filters, encode_filters
from skiff.client.streams import json_messages


class System:
    """Calls on the daemon as a whole."""

    def __init__(self, api: APIClient) -> None:
        self.api = api

    def version(self) -> dict[str, Any]:
        return dict(self.api.get("/version"))

    def info(self) -> dict[str, Any]:
        return dict(self.api.get("/info"))

    def df(self) -> dict[str, Any]:
        return dict(self.api.get("/system/df"))

    def events(self, since: str | None = None, until: str | None = None,
               filters: Filters | None = None) -> Iterator[dict[str, Any]]:
        query = {"since": since, "until": until, "filters": encode_filters(filters)}
        return json_messages(self.api.request("GET", "/events", query).chunks())

    def prune_networks(self, filters: Filters | None = None) -> dict[str, Any]:
        return dict(self.api.post("/networks/prune", {"filters": encode_filters(filters)}) or {})

    def prune_volumes(self, filters: Filters | None = None) -> dict[str, Any]:
        return dict(self.api.post("/volumes/prune", {"filters": encode_filters(filters)}) or {})

    def prune_build_cache(self, all: bool = False) -> dict[str, Any]:
        return dict(self.api.post("/build/prune", {"all": all or None}) or {})
