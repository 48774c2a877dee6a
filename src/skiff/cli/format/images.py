"""``docker images`` and ``docker history`` rows."""

from __future__ import annotations

from typing import Any

from skiff.cli import reference
from skiff.cli.format.gotemplate import Context
from skiff.cli.format.units import (
    ago,
    ellipsis,
    go_time,
    human_size,
    rfc3339_local_nano,
    truncate_id,
)

DEFAULT = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
DEFAULT_DIGESTS = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}" \
    "\t{{.Size}}"
QUIET = "{{.ID}}"
HEADERS = {"ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST",
           "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE",
           "Containers": "CONTAINERS", "VirtualSize": "SIZE",
           "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE"}
NONE = "<none>"


class ImageContext(Context):
    """One row of ``docker images``: an image under one repository and tag."""

    type_name = "*formatter.imageContext"

    def __init__(self, image: dict[str, Any], repo: str, tag: str, digest: str,
                 trunc: bool = True) -> None:
        self.i = image
        self.repo = repo
        self.tag = tag
        self.digest = digest
        self.trunc = trunc

    def ID(self) -> str:
        image_id = str(self.i.get("Id", ""))
        return truncate_id(image_id) if self.trunc else image_id

    def Repository(self) -> str:
        return self.repo

    def Tag(self) -> str:
        return self.tag

    def Digest(self) -> str:
        return self.digest

    def CreatedSince(self) -> str:
        created = int(self.i.get("Created") or 0)
        return ago(created) if created > 0 else "N/A"

    def CreatedAt(self) -> str:
        return go_time(int(self.i.get("Created") or 0))

    def Size(self) -> str:
        return human_size(int(self.i.get("Size") or 0), 3)

    def Containers(self) -> str:
        count = int(self.i.get("Containers", -1))
        return "N/A" if count == -1 else str(count)

    def VirtualSize(self) -> str:
        return human_size(int(self.i.get("VirtualSize") or self.i.get("Size") or 0))

    def SharedSize(self) -> str:
        shared = int(self.i.get("SharedSize", -1))
        return "N/A" if shared == -1 else human_size(shared)

    def UniqueSize(self) -> str:
        shared = int(self.i.get("SharedSize", -1))
        if shared == -1:
            return "N/A"
        return human_size(int(self.i.get("Size") or 0) - shared)

    def template_json(self) -> Any:
        return {name: getattr(self, name)() for name in
                ("Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository",
                 "SharedSize", "Size", "Tag", "UniqueSize", "VirtualSize")}


def _familiar(ref: str) -> tuple[str, str, str] | None:
    try:
        parsed = reference.parse(ref)
    except reference.ReferenceError:
        return None
    return parsed.familiar_name, parsed.tag, parsed.digest


def image_rows(image: dict[str, Any], digests: bool, trunc: bool) -> list[ImageContext]:
    """One row per repository:tag (and per digest with --digests), as docker lists them."""
    tags: dict[str, list[str]] = {}
    repo_digests: dict[str, list[str]] = {}
    for ref in image.get("RepoTags") or []:
        parsed = _familiar(ref)
        if parsed and parsed[1]:
            tags.setdefault(parsed[0], []).append(parsed[1])
    for ref in image.get("RepoDigests") or []:
        parsed = _familiar(ref)
        if parsed and parsed[2]:
            repo_digests.setdefault(parsed[0], []).append(parsed[2])
    rows: list[ImageContext] = []
    for repo, repo_tags in tags.items():
        shown = repo_digests.pop(repo, []) if digests else []
        repo_digests.pop(repo, None)
        for tag in repo_tags:
            for digest in shown or [NONE]:
                rows.append(ImageContext(image, repo, tag, digest, trunc))
    for repo, found in repo_digests.items():
        for digest in found if digests else [NONE]:
            rows.append(ImageContext(image, repo, NONE, digest, trunc))
    if not rows:
        rows.append(ImageContext(image, NONE, NONE, NONE, trunc))
    return rows


HISTORY_DEFAULT = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
HISTORY_HEADERS = {"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT",
                   "CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT"}


def _rfc3339_local(timestamp: int) -> str:
    text = rfc3339_local_nano(timestamp * 1_000_000_000)
    date, _, rest = text.partition(".")
    zone = rest[9:]
    return f"{date}{zone}"


class HistoryContext(Context):
    """One layer of ``docker history``."""

    type_name = "*image.historyContext"

    def __init__(self, entry: dict[str, Any], trunc: bool = True, human: bool = True) -> None:
        self.h = entry
        self.trunc = trunc
        self.human = human

    def ID(self) -> str:
        image_id = str(self.h.get("Id") or "")
        return truncate_id(image_id) if self.trunc and image_id != "<missing>" else image_id

    def CreatedAt(self) -> str:
        return _rfc3339_local(int(self.h.get("Created") or 0))

    def CreatedSince(self) -> str:
        if not self.human:
            return self.CreatedAt()
        return ago(int(self.h.get("Created") or 0))

    def CreatedBy(self) -> str:
        created_by = str(self.h.get("CreatedBy") or "").replace("\t", " ")
        return ellipsis(created_by, 45) if self.trunc else created_by

    def Size(self) -> str:
        size = int(self.h.get("Size") or 0)
        return human_size(size, 3) if self.human else str(size)

    def Comment(self) -> str:
        return str(self.h.get("Comment") or "")

    def template_json(self) -> Any:
        return {name: getattr(self, name)() for name in
                ("Comment", "CreatedAt", "CreatedBy", "CreatedSince", "ID", "Size")}
