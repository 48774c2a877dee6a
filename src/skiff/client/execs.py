"""Exec endpoints: /containers/{id}/exec and /exec/..."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from skiff.client.api import APIClient
from skiff.client.hijack import Hijacked


def _p(exec_id: str) -> str:
    return "/exec/" + quote(exec_id, safe="")


def start_body(detach: bool, tty: bool, console_size: list[int] | None) -> dict[str, Any]:
    """The ExecStartCheck body docker sends."""
    body: dict[str, Any] = {"Detach": detach, "Tty": tty}
    if console_size is not None:
        body["ConsoleSize"] = console_size
    return body


class Execs:
    """Calls on exec instances."""

    def __init__(self, api: APIClient) -> None:
        self.api = api

    def create(self, container: str, config: dict[str, Any]) -> str:
        """POST /containers/{id}/exec: the new exec's ID."""
        answer = self.api.post("/containers/" + quote(container, safe="") + "/exec", None,
                               config)
        return str((answer or {}).get("Id") or "")

    def start(self, exec_id: str, tty: bool = False,
              console_size: list[int] | None = None) -> Hijacked:
        """POST /exec/{id}/start asking for an upgrade: the process's stdio stream."""
        stream = self.api.hijack(_p(exec_id) + "/start", body=start_body(False, tty,
                                                                         console_size))
        stream.tty = tty
        return stream

    def start_detached(self, exec_id: str, tty: bool = False,
                       console_size: list[int] | None = None) -> None:
        """POST /exec/{id}/start with Detach: returns once the process runs."""
        self.api.post(_p(exec_id) + "/start", None, start_body(True, tty, console_size))

    def resize(self, exec_id: str, height: int, width: int) -> None:
        self.api.post(_p(exec_id) + "/resize", {"h": height, "w": width})

    def inspect(self, exec_id: str) -> dict[str, Any]:
        return dict(self.api.get(_p(exec_id) + "/json"))
