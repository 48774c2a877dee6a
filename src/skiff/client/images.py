"""Image endpoints: /images/..."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from skiff.client.api import APIClient
from skiff.client.containers import Filters, encode_filters
from skiff.client.http import Body
from skiff.client.streams import json_messages


class Images:
    """Calls on /images."""

    def __init__(self, api: APIClient) -> None:
        self.api = api

    def list(self, all: bool = False, filters: Filters | None = None,
             digests: bool = False) -> list[dict[str, Any]]:
        query = {"all": all or None, "filters": encode_filters(filters),
                 "digests": digests or None}
        return list(self.api.get("/images/json", query) or [])

    def inspect(self, ref: str) -> dict[str, Any]:
        return dict(self.api.get(f"/images/{_ref(ref)}/json"))

    def inspect_raw(self, ref: str) -> bytes:
        return self.api.get_raw(f"/images/{_ref(ref)}/json")

    def history(self, ref: str) -> builtins.list[dict[str, Any]]:
        return list(self.api.get(f"/images/{_ref(ref)}/history") or [])

    def tag(self, ref: str, repo: str, tag: str | None = None) -> None:
        self.api.post(f"/images/{_ref(ref)}/tag", {"repo": repo, "tag": tag or None})

    def remove(self, ref: str, force: bool = False,
               noprune: bool = False) -> builtins.list[dict[str, str]]:
        return list(self.api.delete(f"/images/{_ref(ref)}", {"force": force or None,
                                                        "noprune": noprune or None}) or [])

    def prune(self, filters: Filters | None = None) -> dict[str, Any]:
        return dict(self.api.post("/images/prune", {"filters": encode_filters(filters)}) or {})

    def pull(self, image: str, tag: str | None = None,
             platform: str | None = None) -> Iterator[Any]:
        """POST /images/create?fromImage=: the JSON progress messages."""
        query = {"fromImage": image, "tag": tag, "platform": platform}
        return json_messages(self.api.request("POST", "/images/create", query).chunks())

    def import_image(self, source: Body, repo: str | None = None, tag: str | None = None,
                     message: str | None = None, changes: builtins.list[str] | None = None,
                     from_src: str = "-", platform: str | None = None) -> Iterator[Any]:
        """POST /images/create?fromSrc=: upload a rootfs tarball (or name a URL)."""
        query: dict[str, Any] = {"fromSrc": from_src, "repo": repo or None, "tag": tag,
                                 "message": message or None, "changes": changes or None,
                                 "platform": platform}
        headers = {"Content-Type": "application/x-tar"} if from_src == "-" else None
        response = self.api.request("POST", "/images/create", query,
                                    source if from_src == "-" else None, headers)
        return json_messages(response.chunks())

    def load(self, source: Body, quiet: bool = False) -> Iterator[Any]:
        """POST /images/load: the JSON progress messages."""
        response = self.api.request("POST", "/images/load", {"quiet": quiet or None}, source,
                                    {"Content-Type": "application/x-tar"})
        return json_messages(response.chunks())

    def build(self, context: Body, query: dict[str, Any],
              headers: dict[str, str] | None = None) -> Iterator[Any]:
        """POST /build with a context tar: the builder's JSON messages."""
        response = self.api.request("POST", "/build", query, context,
                                    {"Content-Type": "application/x-tar", **(headers or {})})
        return json_messages(response.chunks())

    def build_prune(self, all: bool = False, filters: Filters | None = None,
                    keep_storage: int = 0) -> dict[str, Any]:
        """POST /build/prune: the build cache removed and the space it held."""
        result: dict[str, Any] = self.api.post("/build/prune", {
            "all": all or None, "filters": encode_filters(filters) if filters else None,
            "keep-storage": keep_storage or None})
        return result

    def build_cache(self) -> builtins.list[dict[str, Any]]:
        """GET /build/cache (skiffd's own): the cache mounts kept between builds."""
        result: builtins.list[dict[str, Any]] = self.api.get("/build/cache")
        return result

    def export_build_cache(self, ident: str) -> Iterator[bytes]:
        """GET /build/cache/{id}/export (skiffd's own): a cache mount as a tar."""
        return self.api.request("GET", f"/build/cache/{quote(ident, safe='')}/export").chunks()

    def import_build_cache(self, ident: str, source: Body) -> dict[str, Any]:
        """POST /build/cache/{id}/import (skiffd's own): a cache mount from a tar."""
        response = self.api.request("POST", f"/build/cache/{quote(ident, safe='')}/import",
                                    None, source, {"Content-Type": "application/x-tar"})
        result: dict[str, Any] = response.json()
        return result

    def commit(self, container: str, query: dict[str, Any]) -> str:
        """POST /commit: the new image's ID."""
        return str(self.api.post("/commit", {"container": container, **query})["Id"])

    def save(self, names: builtins.list[str]) -> Iterator[bytes]:
        """GET /images/get: the tar archive as it streams."""
        return self.api.request("GET", "/images/get", {"names": names}).chunks()


def _ref(ref: str) -> str:
    """An image reference as a path segment (a name with a slash or a digest stays whole)."""
    return quote(ref, safe="/:@")
