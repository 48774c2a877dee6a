"""A container's volumes: claimed when it is created, mounted (and filled) when it starts."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from skiff.engine.containers import spec, volumes_from
from skiff.engine.containers.model import Container
from skiff.engine.volumes.service import VolumeService
from skiff.errdefs import InvalidParameter, NotFound, SkiffError


def claim(container: Container, get: Callable[[str], Container],
          volumes: VolumeService | None) -> list[dict[str, Any]]:
    """The container's volumes: --volumes-from, its own mounts, then the image's VOLUMEs.

    As dockerd: a source's bind mounts come along too (added to ``HostConfig.Mounts``, so
    the container starts with them and lists them), a later source takes a destination
    from an earlier one and the container's own mounts take it from both. Named volumes
    are created if missing (a ``--mount``'s with its driver options), -v /path and VOLUME
    get anonymous ones, those of -v and VOLUME with the ``VolumeDriver`` asked for. A
    failed create leaves no anonymous volume behind.
    """
    host = container.host_config
    mounts = spec.user_mounts(host)
    taken = {m["destination"] for m in mounts}
    inherited: dict[str, tuple[bool, dict[str, Any]]] = {}  # destination: (bind?, what)
    for source in host.get("VolumesFrom") or []:
        ref, writable = volumes_from.parse(source)
        try:
            other = get(ref)
        except NotFound as exc:  # a 404 from create would have clients pull the image
            raise InvalidParameter(exc.message) from None
        for volume in other.volumes:
            inherited[volume["Destination"]] = (False, {
                **volume, "RW": bool(volume["RW"]) and writable, "Anonymous": False})
        for item in volumes_from.bind_mounts(other, writable):
            inherited[item["Target"]] = (True, item)
    claimed = [v for d, (bind, v) in inherited.items() if not bind and d not in taken]
    binds = [v for d, (bind, v) in inherited.items() if bind and d not in taken]
    taken |= set(inherited)
    by_target = {item.get("Target"): item for item in host.get("Mounts") or []
                 if item.get("Type") == "volume"}
    wanted: list[tuple[dict[str, Any], str | None, dict[str, str] | None]] = []
    for mount in mounts:
        if mount["type"] != "volume":
            continue
        declared = by_target.get(mount["destination"])
        if declared is None:  # -v name:/path
            wanted.append((mount, host.get("VolumeDriver"), None))
        else:  # --mount type=volume: the local driver, with the options it gives
            config = (declared.get("VolumeOptions") or {}).get("DriverConfig") or {}
            wanted.append((mount, None, config.get("Options")))
    for path in container.config.get("Volumes") or {}:
        if path not in taken:
            wanted.append(({"destination": path, "type": "volume", "source": "",
                            "readonly": False, "nocopy": False},
                           host.get("VolumeDriver"), None))
    if wanted and volumes is None:
        raise InvalidParameter("volumes are not available")
    anonymous: list[str] = []
    try:
        for mount, driver, options in wanted:
            assert volumes is not None
            info = volumes.create(mount["source"] or None, driver,
                                       mount.get("labels"), options)
            if not mount["source"]:
                anonymous.append(info["Name"])
            claimed.append({"Name": info["Name"], "Source": info["Mountpoint"],
                            "Destination": mount["destination"],
                            "RW": not mount["readonly"], "NoCopy": mount["nocopy"],
                            "Anonymous": not mount["source"]})
    except BaseException:
        for volume_name in anonymous:
            assert volumes is not None
            with contextlib.suppress(SkiffError):
                volumes.remove(volume_name)
        raise
    if binds:
        host["Mounts"] = [*(host.get("Mounts") or []), *binds]
    return claimed


def mounts_at_start(container: Container, rootfs: Path,
                    volumes: VolumeService | None) -> list[dict[str, Any]]:
    """Bind mounts of the container's volumes, filled from the image on first use."""
    result = []
    for volume in container.volumes:
        assert volumes is not None
        volumes.ready(volume["Name"])
        if volume.get("NoCopy"):
            volumes.mark_populated(volume["Name"])
        else:
            volumes.populate(volume["Name"], rootfs / volume["Destination"].lstrip("/"))
        result.append({"destination": volume["Destination"], "type": "bind",
                       "source": str(volumes.ready(volume["Name"])),
                       "options": ["rbind", "rw" if volume["RW"] else "ro", "rprivate"]})
    return result
