"""Where the daemon listens: -H/--host, else DOCKER_HOST or SKIFF_HOST, else the default socket."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple

DEFAULT_HOST = "unix:///run/skiff/skiff.sock"
ENV_VARS = ("DOCKER_HOST", "SKIFF_HOST")


class Host(NamedTuple):
    """A parsed daemon address; ``is_default`` when nobody chose it.

    A NamedTuple rather than a frozen dataclass: every command resolves its host, and
    importing dataclasses (which imports inspect) costs ~7 ms at start-up.
    """

    url: str
    scheme: str
    path: str = ""
    hostname: str = ""
    port: int = 0
    is_default: bool = False

    @classmethod
    def parse(cls, url: str, is_default: bool = False) -> Host:
        """Parse ``unix:///path``, ``tcp://host:port`` or a bare socket path."""
        if url.startswith("/"):
            url = "unix://" + url
        scheme, sep, rest = url.partition("://")
        if not sep:
            raise ValueError(f"invalid host format {url!r}: missing scheme")
        if scheme == "unix":
            if not rest:
                raise ValueError(f"invalid host format {url!r}: missing socket path")
            return cls(url, "unix", path=rest, is_default=is_default)
        if scheme in ("tcp", "http"):
            hostport = rest.split("/", 1)[0]
            name, _, port = hostport.rpartition(":")
            if not name:
                name, port = hostport, "2375"
            return cls(url, "tcp", hostname=name.strip("[]") or "localhost",
                       port=int(port or 2375), is_default=is_default)
        raise ValueError(f"invalid host format {url!r}: unsupported scheme {scheme!r}")


def resolve(flag: str | None, environ: Mapping[str, str] | None = None) -> Host:
    """The host the user asked for, or the default socket."""
    env = os.environ if environ is None else environ
    if flag:
        return Host.parse(flag)
    for var in ENV_VARS:
        if env.get(var):
            return Host.parse(env[var])
    return Host.parse(DEFAULT_HOST, is_default=True)
