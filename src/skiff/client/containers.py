"""Container endpoints: /containers/..."""

from __future__ import annotations

import base64
import binascii
import builtins
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from skiff.client.api import APIClient
from skiff.client.errors import APIError, ClientError
from skiff.client.hijack import Hijacked
from skiff.client.http import Body, Response
from skiff.client.streams import json_messages

STAT_HEADER = "X-Docker-Container-Path-Stat"

Filters = dict[str, list[str]]


def encode_filters(filters: Filters | None) -> str | None:
    """The ``filters`` query value, or None when there are none."""
    return json.dumps(filters) if filters else None


def _p(ref: str) -> str:
    return "/containers/" + quote(ref, safe="")


def path_stat(response: Response) -> dict[str, Any]:
    """The base64 JSON PathStat of an archive answer ({name, size, mode, mtime, linkTarget})."""
    encoded = response.header(STAT_HEADER)
    try:
        stat = json.loads(base64.b64decode(encoded)) if encoded else {}
    except (ValueError, binascii.Error) as exc:
        raise ClientError(f"unable to get resource stat from response: {exc}") from None
    return stat if isinstance(stat, dict) else {}


class PendingWait:
    """A wait request whose headers are in (so it is registered) and whose body is not."""

    def __init__(self, response: Response) -> None:
        self._response = response

    def result(self) -> dict[str, Any]:
        """Block until the condition is met: {"StatusCode": int, "Error": ...}."""
        data = self._response.json()
        return data if isinstance(data, dict) else {"StatusCode": -1}

    def close(self) -> None:
        self._response.close()


class Containers:
    """Calls on /containers."""

    def __init__(self, api: APIClient) -> None:
        self.api = api

    def list(self, all: bool = False, limit: int = -1, size: bool = False,
             filters: Filters | None = None) -> list[dict[str, Any]]:
        query = {"all": all or None, "limit": limit if limit > 0 else None,
                 "size": size or None, "filters": encode_filters(filters)}
        return list(self.api.get("/containers/json", query) or [])

    def create(self, body: dict[str, Any], name: str | None = None,
               platform: str | None = None) -> dict[str, Any]:
        return dict(self.api.post("/containers/create", {"name": name or None,
                                                         "platform": platform}, body))

    def inspect(self, ref: str, size: bool = False) -> dict[str, Any]:
        return dict(self.api.get(_p(ref) + "/json", {"size": size or None}))

    def inspect_raw(self, ref: str, size: bool = False) -> bytes:
        return self.api.get_raw(_p(ref) + "/json", {"size": size or None})

    def start(self, ref: str) -> None:
        self.api.post(_p(ref) + "/start")

    def stop(self, ref: str, timeout: int | None = None, signal: str | None = None) -> None:
        self.api.post(_p(ref) + "/stop", {"t": timeout, "signal": signal})

    def restart(self, ref: str, timeout: int | None = None, signal: str | None = None) -> None:
        self.api.post(_p(ref) + "/restart", {"t": timeout, "signal": signal})

    def kill(self, ref: str, signal: str | None = None) -> None:
        self.api.post(_p(ref) + "/kill", {"signal": signal})

    def pause(self, ref: str) -> None:
        self.api.post(_p(ref) + "/pause")

    def unpause(self, ref: str) -> None:
        self.api.post(_p(ref) + "/unpause")

    def remove(self, ref: str, force: bool = False, volumes: bool = False,
               link: bool = False) -> None:
        self.api.delete(_p(ref), {"force": force or None, "v": volumes or None,
                                  "link": link or None})

    def rename(self, ref: str, name: str) -> None:
        self.api.post(_p(ref) + "/rename", {"name": name})

    def update(self, ref: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.api.post(_p(ref) + "/update", None, body) or {})

    def top(self, ref: str, ps_args: str | None = None) -> dict[str, Any]:
        return dict(self.api.get(_p(ref) + "/top", {"ps_args": ps_args or None}))

    def resize(self, ref: str, height: int, width: int) -> None:
        self.api.post(_p(ref) + "/resize", {"h": height, "w": width})

    def prune(self, filters: Filters | None = None) -> dict[str, Any]:
        return dict(self.api.post("/containers/prune",
                                  {"filters": encode_filters(filters)}) or {})

    def wait(self, ref: str, condition: str | None = None) -> PendingWait:
        """Register a wait; call ``result()`` on the answer to block for the exit code."""
        response = self.api.request("POST", _p(ref) + "/wait", {"condition": condition})
        return PendingWait(response)

    def logs(self, ref: str, stdout: bool = True, stderr: bool = True, follow: bool = False,
             timestamps: bool = False, tail: str | None = None, since: str | None = None,
             until: str | None = None) -> Iterator[bytes]:
        """The raw log body (multiplexed unless the container has a TTY)."""
        query = {"stdout": stdout or None, "stderr": stderr or None, "follow": follow or None,
                 "timestamps": timestamps or None, "tail": tail, "since": since,
                 "until": until}
        return self.api.request("GET", _p(ref) + "/logs", query).chunks()

    def attach(self, ref: str, stdin: bool = False, stdout: bool = True, stderr: bool = True,
               stream: bool = True, logs: bool = False,
               detach_keys: str | None = None) -> Hijacked:
        query = {"stdin": stdin or None, "stdout": stdout or None, "stderr": stderr or None,
                 "stream": stream or None, "logs": logs or None, "detachKeys": detach_keys}
        return self.api.hijack(_p(ref) + "/attach", query)

    def stats(self, ref: str, one_shot: bool = False) -> dict[str, Any]:
        """GET /containers/{id}/stats?stream=false: one sample against the one before."""
        return dict(self.api.get(_p(ref) + "/stats", {"stream": "false",
                                                      "one-shot": one_shot or None}))

    def stats_stream(self, ref: str) -> Iterator[dict[str, Any]]:
        """GET /containers/{id}/stats: a sample a second."""
        return json_messages(self.api.request("GET", _p(ref) + "/stats").chunks())

    def stat_path(self, ref: str, path: str) -> dict[str, Any]:
        """HEAD /containers/{id}/archive: the PathStat of ``path`` in the container."""
        return path_stat(self.api.head(_p(ref) + "/archive", {"path": path}))

    def get_archive(self, ref: str, path: str) -> tuple[Iterator[bytes], dict[str, Any]]:
        """GET /containers/{id}/archive: a tar of ``path`` as it streams, and its PathStat."""
        response = self.api.request("GET", _p(ref) + "/archive", {"path": path})
        try:
            stat = path_stat(response)
        except ClientError:
            response.close()
            raise
        return response.chunks(), stat

    def put_archive(self, ref: str, path: str, body: Body, copy_uid_gid: bool = False,
                    no_overwrite_dir_non_dir: bool = True) -> None:
        """PUT /containers/{id}/archive: extract the tar ``body`` into directory ``path``."""
        query = {"path": path, "noOverwriteDirNonDir": no_overwrite_dir_non_dir or None,
                 "copyUIDGID": copy_uid_gid or None}
        self.api.request("PUT", _p(ref) + "/archive", query, body,
                         {"Content-Type": "application/x-tar"}).read()

    def export(self, ref: str) -> Iterator[bytes]:
        """GET /containers/{id}/export: the flattened filesystem as a tar stream."""
        return self.api.request("GET", _p(ref) + "/export").chunks()

    def changes(self, ref: str) -> builtins.list[dict[str, Any]]:
        """GET /containers/{id}/changes: [{"Path": ..., "Kind": 0|1|2}]."""
        return list(self.api.get(_p(ref) + "/changes") or [])

    def exists(self, ref: str) -> bool:
        try:
            self.inspect(ref)
        except APIError as exc:
            if exc.not_found:
                return False
            raise
        return True
