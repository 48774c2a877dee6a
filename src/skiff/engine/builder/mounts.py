"""``RUN --mount``: the mount specs of BuildKit's Dockerfile syntax read into typed mounts, and
the cache directories that outlive builds. Parsing is pure; ``CacheMounts`` owns the
directories under the data root and the locks of ``sharing=locked``."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from skiff.engine.builder.dockerfile import DockerfileError

TYPES = ("bind", "cache", "tmpfs", "secret", "ssh")
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
    if kind == "ssh":
        raise DockerfileError(line, "RUN --mount=type=ssh is not supported: skiffd has no "
                                    "agent forwarding")
    target = fields.get("target") or fields.get("dst") or fields.get("destination") or ""
    ident = fields.get("id", "")
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


class CacheMounts:
    """The directories of ``type=cache`` mounts, one per id, kept between builds."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._locks: dict[str, asyncio.Lock] = {}

    def path(self, mount: RunMount) -> Path:
        name = hashlib.sha256(mount.id.encode()).hexdigest()[:32]
        return self.root / name

    @contextlib.asynccontextmanager
    async def use(self, mount: RunMount) -> AsyncIterator[Path]:
        """The cache directory, made with the mount's owner and mode the first time; held
        alone while in use for ``sharing=locked`` (and ``private``, which skiff serialises)."""
        path = self.path(mount)
        if not path.is_dir():
            path.mkdir(parents=True, exist_ok=True)
            os.chown(path, mount.uid, mount.gid)
            os.chmod(path, mount.mode if mount.mode is not None else 0o755)
        if mount.sharing == "shared":
            yield path
            return
        lock = self._locks.setdefault(mount.id, asyncio.Lock())
        async with lock:
            yield path
