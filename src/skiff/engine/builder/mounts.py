"""``RUN --mount``: the mount specs of BuildKit's Dockerfile syntax read into typed mounts, and
the cache directories that outlive builds. Parsing is pure; ``CacheMounts`` owns the
directories under the data root and the locks of ``sharing=locked``."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import tarfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from skiff.drivers.snapshot import layertar
from skiff.engine.builder.dockerfile import DockerfileError
from skiff.errdefs import Conflict, InvalidParameter, NotFound

TYPES = ("bind", "cache", "tmpfs", "secret", "ssh")
SSH_TARGET = "/run/buildkit/ssh_agent.0"  # where BuildKit puts the forwarded agent
KEYS = {"type", "target", "dst", "destination", "source", "src", "from", "id", "sharing",
        "mode", "uid", "gid", "readonly", "ro", "rw", "readwrite", "required", "size", "env"}


@dataclass(frozen=True)
class RunMount:
    kind: str
    target: str
    source: str = ""
    origin: str = ""  # from=: a stage or an image
    id: str = ""
    sharing: str = "shared"
    mode: int | None = None
    uid: int = 0
    gid: int = 0
    readonly: bool = False
    required: bool = False
    size: int = 0
    env: str = ""


def _flag(value: str, line: int, key: str) -> bool:
    if value.lower() in ("", "true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise DockerfileError(line, f"invalid value for {key}: {value}")


def parse(spec: str, line: int) -> RunMount:
    """One ``--mount=`` value (``type=cache,target=/root/.cache,sharing=locked`` ...)."""
    fields: dict[str, str] = {}
    for part in spec.split(","):
        key, _, value = part.strip().partition("=")
        key = key.lower()
        if key not in KEYS:
            raise DockerfileError(line, f"unexpected key '{key}' in '{part.strip()}'")
        fields[key] = value
    kind = fields.get("type", "bind")
    if kind not in TYPES:
        raise DockerfileError(line, f"unsupported mount type {kind!r}")
    target = fields.get("target") or fields.get("dst") or fields.get("destination") or ""
    ident = fields.get("id", "")
    if kind == "ssh":
        ident = ident or "default"
        target = target or SSH_TARGET
    if kind == "secret":
        ident = ident or os.path.basename(target)
        if not ident:
            raise DockerfileError(line, "secret mount needs an id or a target")
        if not target and not fields.get("env"):
            target = f"/run/secrets/{ident}"
    if not target and not (kind == "secret" and fields.get("env")):
        raise DockerfileError(line, f"mount type={kind} needs a target")
    if target and not target.startswith("/"):
        target = "/" + target
    sharing = fields.get("sharing", "shared")
    if sharing not in ("shared", "private", "locked"):
        raise DockerfileError(line, f"unsupported sharing value {sharing!r}")
    readonly = kind == "bind"  # binds are read-only unless rw
    for key in ("readonly", "ro"):
        if key in fields:
            readonly = _flag(fields[key], line, key)
    for key in ("rw", "readwrite"):
        if key in fields:
            readonly = not _flag(fields[key], line, key)
    try:
        mode = int(fields["mode"], 8) if fields.get("mode") else None
        uid, gid = int(fields.get("uid") or 0), int(fields.get("gid") or 0)
        size = int(fields.get("size") or 0)
    except ValueError:
        raise DockerfileError(line, f"invalid number in mount options: {spec}") from None
    return RunMount(kind, target, fields.get("source") or fields.get("src") or "",
                    fields.get("from", ""), ident or target, sharing, mode, uid, gid, readonly,
                    _flag(fields["required"], line, "required") if "required" in fields
                    else False, size, fields.get("env", ""))


@dataclass(frozen=True)
class CacheEntry:
    id: str
    path: Path
    size: int
    last_used: float


class CacheMounts:
    """The directories of ``type=cache`` mounts, one per id, kept between builds; each has a
    ``<dir>.id`` file naming its id. They can be listed, pruned, exported and imported."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._locks: dict[str, asyncio.Lock] = {}
        self._in_use: dict[str, int] = {}

    def path(self, ident: str) -> Path:
        return self.root / hashlib.sha256(ident.encode()).hexdigest()[:32]

    def _make(self, ident: str, uid: int = 0, gid: int = 0, mode: int = 0o755) -> Path:
        path = self.path(ident)
        if not path.is_dir():
            path.mkdir(parents=True, exist_ok=True)
            os.chown(path, uid, gid)
            os.chmod(path, mode)
        path.with_name(path.name + ".id").write_text(ident)
        return path

    @contextlib.asynccontextmanager
    async def use(self, mount: RunMount) -> AsyncIterator[Path]:
        """The cache directory, made with the mount's owner and mode the first time; held
        alone while in use for ``sharing=locked`` (and ``private``, which skiff serialises)."""
        path = self._make(mount.id, mount.uid, mount.gid,
                          mount.mode if mount.mode is not None else 0o755)
        lock = self._locks.setdefault(mount.id, asyncio.Lock()) \
            if mount.sharing != "shared" else None
        async with lock or contextlib.nullcontext():
            self._in_use[mount.id] = self._in_use.get(mount.id, 0) + 1
            try:
                yield path
            finally:
                self._in_use[mount.id] -= 1

    def entries(self) -> list[CacheEntry]:
        found = []
        for marker in sorted(self.root.glob("*.id")) if self.root.is_dir() else []:
            path = marker.with_suffix("")
            if path.is_dir():
                found.append(CacheEntry(marker.read_text(), path, _size(path),
                                        marker.stat().st_mtime))
        return found

    def find(self, ident: str) -> CacheEntry:
        for entry in self.entries():
            if entry.id == ident:
                return entry
        raise NotFound(f"no build cache mount with id {ident!r}")

    def idle(self) -> list[CacheEntry]:
        """The cache directories no build is using."""
        return [e for e in self.entries() if not self._in_use.get(e.id)]

    def prune(self, ids: set[str]) -> tuple[list[str], int]:
        """Remove these cache directories unless a build is using them; their ids and the
        bytes freed."""
        removed, freed = [], 0
        for entry in self.idle():
            if entry.id not in ids:
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            entry.path.with_name(entry.path.name + ".id").unlink(missing_ok=True)
            removed.append(entry.id)
            freed += entry.size
        return removed, freed

    def export(self, ident: str, out: BinaryIO) -> None:
        """A cache directory's content as a tar stream."""
        entry = self.find(ident)
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for name in sorted(os.listdir(entry.path)):
                tar.add(entry.path / name, arcname=name)

    def load(self, ident: str, tar_path: Path) -> int:
        """Replace (or make) a cache directory from a tar with the checks of image layers;
        returns the entries unpacked."""
        if self._in_use.get(ident):
            raise Conflict(f"build cache mount {ident!r} is in use by a build")
        staging = self.path(ident).with_name(f".import-{self.path(ident).name}")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            with tarfile.open(tar_path) as tar:
                members = layertar.validate(tar)
                layertar.extract(tar, members, staging)
            path = self.path(ident)
            shutil.rmtree(path, ignore_errors=True)
            staging.rename(path)
            self._make(ident)
            return len(members)
        except tarfile.TarError as exc:
            raise InvalidParameter(f"not a tar archive: {exc}") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _size(path: Path) -> int:
    total = 0
    for dirpath, _, filenames in os.walk(path):
        for name in filenames:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total
