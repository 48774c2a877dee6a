"""One invocation's state: the chosen host, the output streams and a lazily made client."""

from __future__ import annotations

import os
import sys
from functools import cached_property
from typing import TYPE_CHECKING, BinaryIO, TextIO

from skiff.cli.autostart import ensure_daemon
from skiff.cli.errors import StatusError
from skiff.client.hosts import Host, resolve

if TYPE_CHECKING:  # at run time, Client would load http.client (see skiff.client)
    from skiff.client import Client


class Session:
    """What commands get: ``client``, ``out``/``err`` (text) and ``out_bytes`` (binary)."""

    def __init__(self, host_flag: str | None = None, out: TextIO | None = None,
                 err: TextIO | None = None) -> None:
        self.host_flag = host_flag
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    @cached_property
    def host(self) -> Host:
        try:
            return resolve(self.host_flag)
        except ValueError as exc:
            raise StatusError(1, str(exc)) from None

    @cached_property
    def client(self) -> Client:
        # imported here, not at the top: every command module imports this one, and the HTTP
        # client (~20 ms) is not needed for a command's --help or a usage error
        from skiff.client import Client

        client = Client(self.host, version=os.environ.get("DOCKER_API_VERSION") or None)
        ensure_daemon(client, self.err)
        return client

    @property
    def out_bytes(self) -> BinaryIO:
        self.out.flush()
        return self.out.buffer  # type: ignore[return-value]

    @property
    def err_bytes(self) -> BinaryIO:
        self.err.flush()
        return self.err.buffer  # type: ignore[return-value]

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def warn(self, text: str) -> None:
        self.err.write(text + "\n")
