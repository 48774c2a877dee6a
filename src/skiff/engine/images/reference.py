"""Image references (``name[:tag][@digest]``) in Docker's familiar form."""

from __future__ import annotations

import re
from dataclasses import dataclass

from skiff.errdefs import InvalidParameter

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_DOMAIN = rf"(?:{_LABEL}(?:\.{_LABEL})*(?::[0-9]+)?|\[[0-9a-fA-F:]+\](?::[0-9]+)?)"
_NAME = re.compile(rf"^(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
DEFAULT_DOMAIN = "docker.io"
DEFAULT_TAG = "latest"


@dataclass(frozen=True)
class Reference:
    """A parsed reference; ``repo`` is in familiar form (``busybox``, ``ghcr.io/a/b``)."""

    repo: str
    tag: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        text = self.repo
        if self.tag:
            text += ":" + self.tag
        if self.digest:
            text += "@" + self.digest
        return text

    @property
    def tagged(self) -> str:
        """``repo:tag``, defaulting the tag to latest."""
        return f"{self.repo}:{self.tag or DEFAULT_TAG}"


def familiar(repo: str) -> str:
    """Docker's short form: no ``docker.io/``, and no ``library/`` for official images."""
    for prefix in ("docker.io/", "index.docker.io/"):
        if repo.startswith(prefix):
            repo = repo[len(prefix):]
            break
    if repo.startswith("library/") and repo.count("/") == 1:
        repo = repo[len("library/"):]
    return repo


def parse(text: str, default_tag: bool = True) -> Reference:
    """Parse and normalise; raise Docker's "invalid reference format" on bad input."""
    if not text or text != text.strip():
        raise InvalidParameter("invalid reference format")
    name, digest = text, None
    if "@" in text:
        name, digest = text.split("@", 1)
        if not _DIGEST.match(digest):
            raise InvalidParameter("invalid reference format")
    tag = None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
        if not _TAG.match(tag):
            raise InvalidParameter("invalid reference format")
    if not _NAME.match(name):
        if _NAME.match(name.lower()):
            raise InvalidParameter(
                f"invalid reference format: repository name ({name}) must be lowercase"
            )
        raise InvalidParameter("invalid reference format")
    if len(name) > 255:
        raise InvalidParameter("invalid reference format: repository name must not be more "
                               "than 255 characters")
    repo = familiar(name)
    if re.fullmatch(r"[0-9a-f]{64}", repo):
        raise InvalidParameter(f"invalid repository name ({repo}), cannot specify 64-byte "
                               f"hexadecimal strings")
    if tag is None and digest is None and default_tag:
        tag = DEFAULT_TAG
    return Reference(repo, tag, digest)


def full_name(repo: str) -> str:
    """The fully qualified form used by registries (``docker.io/library/busybox``)."""
    first = repo.split("/", 1)[0]
    if "/" in repo and ("." in first or ":" in first or first == "localhost"):
        return repo
    if "/" not in repo:
        return f"{DEFAULT_DOMAIN}/library/{repo}"
    return f"{DEFAULT_DOMAIN}/{repo}"
