"""The Compose Specification's merge of one file's tree onto another's: mappings merge,
sequences append, ``command``/``entrypoint``/``healthcheck.test`` are replaced, ports, volumes,
secrets and configs are unique by their key; ``!reset`` clears and ``!override`` replaces."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from skiff.compose.yamlfile import Override, Reset

REPLACED = frozenset({"command", "entrypoint", "image", "network_mode", "container_name"})


def _port_key(entry: Any) -> Any:
    if not isinstance(entry, dict):
        return repr(entry)
    return (entry.get("host_ip"), entry.get("target"), entry.get("published"),
            entry.get("protocol", "tcp"))


def _target_key(entry: Any) -> Any:
    if not isinstance(entry, dict):
        return repr(entry)
    return entry.get("target") or f"/run/secrets/{entry.get('source')}"


UNIQUE: dict[tuple[str, ...], Callable[[Any], Any]] = {
    ("services", "*", "ports"): _port_key,
    ("services", "*", "volumes"): _target_key,
    ("services", "*", "secrets"): _target_key,
    ("services", "*", "configs"): _target_key,
}
# sequences whose entries appear once however many files name them
DEDUPED = frozenset({"dns", "dns_search", "expose", "extra_hosts", "tmpfs", "cap_add",
                     "cap_drop", "profiles", "security_opt", "external_links", "links",
                     "group_add"})


def _matches(path: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    return len(path) == len(pattern) and all(p in ("*", x) for x, p in zip(path, pattern,
                                                                          strict=True))


def _unique(path: tuple[str, ...]) -> Callable[[Any], Any] | None:
    return next((key for pattern, key in UNIQUE.items() if _matches(path, pattern)), None)


def merge(base: Any, over: Any, path: tuple[str, ...] = ()) -> Any:
    """``over`` merged onto ``base`` (neither is changed)."""
    if isinstance(over, Reset):
        return None
    if isinstance(over, Override):
        return over.value
    if base is None:
        return over
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            if key in out and not (len(path) == 2 and path[0] == "services" and
                                   key in REPLACED):
                out[key] = merge(out[key], value, (*path, str(key)))
            else:
                out[key] = merge(None, value, (*path, str(key)))
        return {k: v for k, v in out.items() if not (isinstance(over.get(k), Reset))}
    if isinstance(base, list) and isinstance(over, list):
        if path and path[-1] == "test":  # healthcheck.test is a command: replaced
            return list(over)
        key = _unique(path)
        if key is not None:
            merged: dict[Any, Any] = {key(e): e for e in base}
            for entry in over:
                k = key(entry)
                merged[k] = merge(merged[k], entry, path) if k in merged and isinstance(
                    entry, dict) else entry
            return list(merged.values())
        if path and path[-1] in DEDUPED:
            return [*base, *(e for e in over if e not in base)]
        return [*base, *over]
    return over


def strip(data: Any) -> Any:
    """A tree without markers: ``!reset`` values gone, ``!override`` values unwrapped (for the
    first file, which has nothing to merge onto)."""
    if isinstance(data, Override):
        return strip(data.value)
    if isinstance(data, dict):
        return {k: strip(v) for k, v in data.items() if not isinstance(v, Reset)}
    if isinstance(data, list):
        return [strip(v) for v in data if not isinstance(v, Reset)]
    return data
