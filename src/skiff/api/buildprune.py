"""What ``POST /build/prune`` was asked to remove: ``all``, ``filters`` (``until``, ``id``,
``type``) and the space to keep (``keep-storage``, or ``reserved-space`` of newer clients)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from skiff.api import filters as filter_args
from skiff.api.timefmt import parse_timestamp_ns
from skiff.errdefs import InvalidParameter

# BuildKit's record types: a RUN --mount=type=cache directory, and a build step's result
CACHE_MOUNT = "exec.cachemount"
REGULAR = "regular"
TYPES = frozenset({CACHE_MOUNT, REGULAR})


@dataclass(frozen=True)
class BuildPrune:
    everything: bool = False  # all: also what is not dangling (skiff keeps nothing else)
    until_ns: int | None = None  # only what was last used before this time
    ids: tuple[str, ...] = ()  # only these records (a cache mount's id, a step image's ID)
    types: frozenset[str] = TYPES
    keep_bytes: int = 0  # keep the most recently used records up to this size

    def wants(self, kind: str, ident: str, last_used_ns: int) -> bool:
        """Whether a record of this kind, id and last use is one to remove (before the space
        to keep is taken into account)."""
        if kind not in self.types:
            return False
        if self.ids and not any(ident == i or ident.removeprefix("sha256:").startswith(
                i.removeprefix("sha256:")) for i in self.ids):
            return False
        return self.until_ns is None or last_used_ns < self.until_ns

    @classmethod
    def from_query(cls, query: Mapping[str, str], everything: bool) -> BuildPrune:
        given = filter_args.parse(query.get("filters"), ("until", "id", "type"))
        types = frozenset(given.get("type", [])) or TYPES
        if unknown := sorted(types - TYPES):
            raise InvalidParameter(f"invalid filter 'type={unknown[0]}': the types are "
                                   f"{', '.join(sorted(TYPES))}")
        until = given.get("until", [])
        return cls(everything=everything,
                   until_ns=parse_timestamp_ns(until[-1]) if until else None,
                   ids=tuple(given.get("id", [])), types=types,
                   keep_bytes=_size(query, "keep-storage") or _size(query, "reserved-space"))


def _size(query: Mapping[str, str], key: str) -> int:
    raw = query.get(key) or "0"
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(f"invalid {key} value {raw!r}: a number of bytes") from None
    if value < 0:
        raise InvalidParameter(f"invalid {key} value {raw!r}: a number of bytes")
    return value
