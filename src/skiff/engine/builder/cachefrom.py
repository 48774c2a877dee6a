"""``--cache-from``: reusing the steps of images that carry no cache keys (loaded, pulled, or
built elsewhere), as the classic builder does. A step matches a cache-from image when the
image starts with the step's parent (the same layers, the same history) and its next history
entry was written by the same instruction (``created_by``). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from skiff.engine.images.store import Image


@dataclass(frozen=True)
class Match:
    """The next step of a cache-from image: its layer (None for a config-only step)."""

    source: Image
    diff_id: str | None
    entry: dict[str, Any]  # its history entry, reused as it is (its time included)


def _entries(image: Image) -> list[dict[str, Any]]:
    return list(image.config.get("history") or [])


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.get("created_by", "") == b.get("created_by", "") and \
        bool(a.get("empty_layer")) == bool(b.get("empty_layer"))


def find(parent: Image, created_by: str, sources: list[Image]) -> Match | None:
    """The first cache-from image whose next step after ``parent`` is ``created_by``."""
    history, layers = _entries(parent), parent.diff_ids
    for source in sources:
        theirs, their_layers = _entries(source), source.diff_ids
        if len(theirs) <= len(history) or their_layers[:len(layers)] != layers:
            continue
        if not all(_same(a, b) for a, b in zip(history, theirs, strict=False)):
            continue
        step = theirs[len(history)]
        if step.get("created_by", "") != created_by:
            continue
        entry = {k: v for k, v in step.items() if k != "empty_layer"}
        if step.get("empty_layer"):
            return Match(source, None, entry)
        if len(their_layers) <= len(layers):
            continue
        return Match(source, their_layers[len(layers)], entry)
    return None
