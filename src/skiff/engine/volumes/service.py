"""VolumeService: Docker's ``local`` volumes, directories under ``<data-root>/volumes``."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skiff.api import filters as flt
from skiff.api.timefmt import now_ns, rfc3339nano
from skiff.drivers import mounts
from skiff.drivers.snapshot.overlay import dir_size
from skiff.engine.events import EventService
from skiff.errdefs import Conflict, InvalidParameter, NotFound, System
from skiff.store.db import Database

ANONYMOUS = "com.docker.volume.anonymous"
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")


@dataclass
class Volume:
    name: str
    created_ns: int
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    populated: bool = False  # the image's content was copied in (or nocopy asked)

    def to_row(self) -> dict[str, Any]:
        return {"Name": self.name, "CreatedNs": self.created_ns, "Labels": self.labels,
                "Options": self.options, "Populated": self.populated}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Volume:
        return cls(row["Name"], row["CreatedNs"], dict(row.get("Labels") or {}),
                   dict(row.get("Options") or {}), bool(row.get("Populated")))


class VolumeService:
    """create, list, inspect, remove and prune; containers mount ``path(name)``."""

    def __init__(self, db: Database, events: EventService, root: Path) -> None:
        self._db = db
        self._events = events
        self._root = root
        root.mkdir(parents=True, exist_ok=True)
        self._volumes = {row["Name"]: Volume.from_row(row) for row in db.volumes()}
        self.users: Callable[[str], list[str]] = lambda _name: []

    def path(self, name: str) -> Path:
        return self._root / name / "_data"

    def get(self, name: str) -> Volume:
        volume = self._volumes.get(name)
        if volume is None:
            raise NotFound(f"get {name}: no such volume")
        return volume

    def _save(self, volume: Volume) -> None:
        self._db.put_volume(volume.name, volume.to_row())
        self._volumes[volume.name] = volume

    def create(self, name: str | None, driver: str | None = None,
               labels: dict[str, str] | None = None,
               options: dict[str, str] | None = None) -> dict[str, Any]:
        """Create (or, for an existing name, return) a volume, as Docker does.

        dockerd's order: the name, then the driver (also for an existing volume), then the
        driver's options (not for an existing volume, which is returned as it is).
        """
        anonymous = not name
        name = name or secrets.token_hex(32)
        if not _NAME.match(name):
            raise InvalidParameter(f"create {name}: \"{name}\" includes invalid characters "
                                   f"for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" "
                                   f"are allowed. If you intended to pass a host directory, "
                                   f"use absolute path")
        if driver not in (None, "", "local"):
            raise NotFound(f"create {name}: error looking up volume plugin {driver}: "
                           f"plugin \"{driver}\" not found")
        if name in self._volumes:
            return self.inspect(name)
        volume = Volume(name, now_ns(), dict(labels or {}), check_options(dict(options or {})))
        if anonymous:
            volume.labels[ANONYMOUS] = ""
        self.path(name).mkdir(parents=True, exist_ok=True)
        self._save(volume)
        self._events.publish("volume", "create", name, {"driver": "local"})
        return self.inspect(name)

    def inspect(self, name: str) -> dict[str, Any]:
        """``GET /volumes/{name}``: as dockerd, without UsageData (only ``system df`` has it)."""
        volume = self.get(name)
        # whole seconds, as Docker's local driver reports them (RFC 3339)
        created = volume.created_ns // 1_000_000_000 * 1_000_000_000
        return {"CreatedAt": rfc3339nano(created), "Driver": "local",
                "Labels": volume.labels or None, "Mountpoint": str(self.path(name)),
                "Name": name, "Options": volume.options or None, "Scope": "local"}

    def disk_usage(self) -> list[dict[str, Any]]:
        """``system df``'s volumes, as dockerd lists them: the local volumes that have no driver
        options (a tmpfs or bind volume is left out), each with its size and how many
        containers reference it."""
        return [{**self.inspect(volume.name),
                 "UsageData": {"Size": dir_size(self.path(volume.name)),
                               "RefCount": len(self.users(volume.name))}}
                for volume in sorted(self._volumes.values(), key=lambda v: v.name)
                if not volume.options]

    def list_volumes(self, filters: flt.Filters) -> dict[str, Any]:
        items = []
        for volume in sorted(self._volumes.values(), key=lambda v: v.name):
            if "name" in filters and not flt.match(filters["name"], volume.name):
                continue
            if "driver" in filters and "local" not in filters["driver"]:
                continue
            if "label" in filters and not flt.match_labels(filters["label"], volume.labels):
                continue
            if "dangling" in filters:
                dangling = flt.parse_bool("dangling", filters["dangling"][-1])
                if dangling != (not self.users(volume.name)):
                    continue
            items.append(self.inspect(volume.name))
        return {"Volumes": items, "Warnings": []}

    def remove(self, name: str, force: bool = False) -> None:
        if name not in self._volumes:
            if force:
                return
            raise NotFound(f"get {name}: no such volume")
        users = self.users(name)
        if users:
            raise Conflict(f"remove {name}: volume is in use - "
                           f"[{', '.join(users)}]")
        for _ in range(8):
            if not mounts.is_mountpoint(str(self.path(name))):
                break
            mounts.unmount(str(self.path(name)))
        else:  # never delete through a mount: a bind volume's files are the host's
            raise System(f"remove {name}: the volume is still mounted")
        self._db.delete_volume(name)
        del self._volumes[name]
        shutil.rmtree(self._root / name, ignore_errors=True)
        self._events.publish("volume", "destroy", name, {"driver": "local"})

    def prune(self, filters: flt.Filters) -> dict[str, Any]:
        every = "all" in filters and flt.parse_bool("all", filters["all"][-1])
        deleted, reclaimed = [], 0
        for volume in list(self._volumes.values()):
            if self.users(volume.name):
                continue
            if not every and ANONYMOUS not in volume.labels:
                continue
            if "label" in filters and not flt.match_labels(filters["label"], volume.labels):
                continue
            if "label!" in filters and flt.match_labels(filters["label!"], volume.labels):
                continue
            reclaimed += dir_size(self.path(volume.name))
            self.remove(volume.name)
            deleted.append(volume.name)
        return {"VolumesDeleted": deleted or None, "SpaceReclaimed": reclaimed}

    def ready(self, name: str) -> Path:
        """The volume's directory, its tmpfs or bind mounted first if its options ask."""
        volume = self.get(name)
        path = self.path(name)
        kind = volume.options.get("type")
        if kind and not mounts.is_mountpoint(str(path)):
            if kind == "tmpfs":
                mounts.mount("tmpfs", str(path), "tmpfs", volume.options.get("o", ""))
            else:
                flags = MS_BIND | (MS_RDONLY if "ro" in volume.options["o"].split(",") else 0)
                mounts.mount(volume.options["device"], str(path), "none", "", flags)
        return path

    def populate(self, name: str, source: Path) -> None:
        """First use of an empty volume: copy the image's content at the mount point in."""
        volume = self.get(name)
        if volume.populated:
            return
        target = self.path(name)
        if source.is_dir() and not any(target.iterdir()):
            subprocess.run(["cp", "-a", f"{source}/.", str(target)], check=False,
                           capture_output=True)
            shutil.copystat(source, target)
        volume.populated = True
        self._save(volume)

    def mark_populated(self, name: str) -> None:
        volume = self.get(name)
        if not volume.populated:
            volume.populated = True
            self._save(volume)


MS_RDONLY, MS_BIND = 1, 4096
_TMPFS_OPTIONS = ("size", "mode", "uid", "gid", "nr_inodes", "nosuid", "nodev", "noexec")
_UNSAFE_SOURCES = ("/", "/etc", "/proc", "/sys", "/dev", "/boot", "/run", "/var/lib")


def check_options(options: dict[str, str]) -> dict[str, str]:
    """Docker's local driver options (type, device, o), limited to what is safe to mount."""
    if not options:
        return {}
    unknown = set(options) - {"type", "device", "o"}
    if unknown:
        raise InvalidParameter(f"invalid option key: {sorted(unknown)[0]!r}")
    kind = options.get("type", "")
    flags = [o for o in options.get("o", "").split(",") if o]
    if kind == "tmpfs":
        for flag in flags:
            if flag.split("=", 1)[0] not in _TMPFS_OPTIONS:
                raise InvalidParameter(f"invalid tmpfs option {flag!r}")
        return {"type": "tmpfs", "device": options.get("device") or "tmpfs",
                "o": ",".join(flags)}
    if kind in ("none", "") and "bind" in flags:
        device = os.path.normpath(options.get("device") or "")
        if not device.startswith("/") or not os.path.isdir(device):
            raise InvalidParameter(f"invalid bind device {options.get('device')!r}: it must "
                                   f"be an existing absolute directory")
        if device in _UNSAFE_SOURCES:
            raise InvalidParameter(f"refusing to bind {device} into a volume")
        if set(flags) - {"bind", "rbind", "ro", "rw"}:
            raise InvalidParameter(f"invalid bind options {options.get('o')!r}")
        return {"type": "none", "device": device, "o": ",".join(flags)}
    raise InvalidParameter(f"volume option type={kind or 'none'} is not supported: use "
                           f"type=tmpfs, or type=none with o=bind and an absolute device")
