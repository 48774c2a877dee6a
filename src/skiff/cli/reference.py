"""Image references as docker reads them: ``[domain/]path[:tag][@digest]``."""

from __future__ import annotations

import re
from typing import NamedTuple

DEFAULT_DOMAIN = "docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
_NAME = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)"
                   r"[a-z0-9]+)*)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")


class ReferenceError(ValueError):
    """Not a valid reference."""


class Reference(NamedTuple):
    """A parsed reference; ``domain`` and ``path`` are normalized (docker.io/library/x).

    A NamedTuple rather than a frozen dataclass: importing dataclasses (which imports
    inspect) would cost ``run`` and ``pull`` ~7 ms at start-up.
    """

    domain: str
    path: str
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        return f"{self.domain}/{self.path}"

    @property
    def familiar_name(self) -> str:
        """The short form users type: "busybox", "me/app", "registry:5000/app"."""
        if self.domain != DEFAULT_DOMAIN:
            return self.name
        path = self.path
        if path.startswith(OFFICIAL_PREFIX) and "/" not in path[len(OFFICIAL_PREFIX):]:
            return path[len(OFFICIAL_PREFIX):]
        return path

    def familiar(self) -> str:
        """Familiar name with tag and digest."""
        out = self.familiar_name
        if self.tag:
            out += ":" + self.tag
        if self.digest:
            out += "@" + self.digest
        return out

    def with_default_tag(self) -> Reference:
        if self.tag or self.digest:
            return self
        return Reference(self.domain, self.path, DEFAULT_TAG)


def parse(text: str) -> Reference:
    """Parse and normalize; raise ReferenceError with docker's wording."""
    if not text:
        raise ReferenceError("invalid reference format")
    remainder, _, digest = text.partition("@")
    tag = ""
    slash = remainder.rfind("/")
    colon = remainder.rfind(":")
    if colon > slash:
        remainder, tag = remainder[:colon], remainder[colon + 1:]
        if not _TAG.match(tag):
            raise ReferenceError("invalid reference format")
    first, sep, rest = remainder.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        domain, path = first, rest
    else:
        domain, path = DEFAULT_DOMAIN, remainder
    if domain == "index.docker.io":
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = OFFICIAL_PREFIX + path
    if not _NAME.match(path):
        if path.lower() != path and _NAME.match(path.lower()):
            raise ReferenceError("invalid reference format: repository name "
                                 f"({path}) must be lowercase")
        raise ReferenceError("invalid reference format")
    return Reference(domain, path, tag, digest)


def familiar_string(text: str) -> str:
    """``busybox`` -> ``busybox:latest`` (as "Unable to find image ..." shows it)."""
    try:
        return parse(text).with_default_tag().familiar()
    except ReferenceError:
        return text


def split_repo_tag(text: str) -> tuple[str, str]:
    """``repo[:tag]`` -> (repo, tag); the tag is "" when absent."""
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        return text[:colon], text[colon + 1:]
    return text, ""
