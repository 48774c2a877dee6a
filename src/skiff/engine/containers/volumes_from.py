"""``--volumes-from``: what a new container takes of another one's mounts, by dockerd's rules.

dockerd copies every mount point of the source, its volumes and its bind mounts alike, with the
source's propagation; a copy is writable only if the source's mount is and the mode does not say
``ro``. A mode holds at most one of ``rw``/``ro``, one of ``z``/``Z`` and one consistency
(``consistent``, ``cached``, ``delegated``); propagation and ``nocopy`` are refused.
"""

from __future__ import annotations

from typing import Any

from skiff.engine.containers import spec
from skiff.engine.containers.model import Container
from skiff.errdefs import InvalidParameter

_KINDS = {"rw": "rw", "ro": "rw", "z": "label", "Z": "label", "consistent": "consistency",
          "cached": "consistency", "delegated": "consistency"}


def parse(source: str) -> tuple[str, bool]:
    """``<container>[:<mode>]``: the container's reference, and whether copies may be written."""
    if not source:
        raise InvalidParameter("volumes-from specification cannot be an empty string")
    ref, _, mode = source.partition(":")
    if not mode:
        return ref, True
    seen: set[str] = set()
    for option in mode.split(","):
        kind = _KINDS.get(option)
        if kind is None or kind in seen:
            raise InvalidParameter(f"invalid mode: {mode}")
        seen.add(kind)
    return ref, "ro" not in mode.split(",")


def bind_mounts(source: Container, writable: bool) -> list[dict[str, Any]]:
    """The source's bind mounts (``-v /path:…`` and ``--mount type=bind``) as
    ``HostConfig.Mounts`` items for the new container.

    A copy's host path is created if missing at start, as dockerd does for copied mount points
    whatever the source asked.
    """
    items: list[dict[str, Any]] = []
    for bind in source.host_config.get("Binds") or []:
        mount = spec.parse_bind(bind)
        if mount["type"] != "bind":
            continue  # a named volume: it is among the source's volumes
        options = mount["options"]
        items.append({"Type": "bind", "Source": mount["source"],
                      "Target": mount["destination"],
                      "ReadOnly": "ro" in options or not writable,
                      "BindOptions": {"Propagation": options[-1], "CreateMountpoint": True}})
    for item in source.host_config.get("Mounts") or []:
        if item.get("Type") == "bind":
            items.append({**item, "ReadOnly": bool(item.get("ReadOnly")) or not writable,
                          "BindOptions": {**(item.get("BindOptions") or {}),
                                          "CreateMountpoint": True}})
    return items
