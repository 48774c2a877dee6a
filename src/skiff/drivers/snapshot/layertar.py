"""Layer tarballs: validation against path escapes and extraction with OCI whiteouts."""

from __future__ import annotations

import os
import posixpath
import tarfile
from pathlib import Path

from skiff.errdefs import InvalidParameter

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"


def clean_name(name: str) -> str:
    """Normalise a member name; refuse absolute paths and ``..``."""
    if name.startswith("/"):
        raise InvalidParameter(f"invalid tar entry {name!r}: absolute path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InvalidParameter(f"invalid tar entry {name!r}: path escapes the root")
    return "/".join(parts)


def _climbs_out(base_dir: str, target: str) -> bool:
    joined = posixpath.normpath(posixpath.join("/", base_dir, target))
    depth = 0
    for part in posixpath.join(base_dir, target).split("/"):
        if part == "..":
            depth -= 1
        elif part not in ("", "."):
            depth += 1
        if depth < 0:
            return True
    return not joined.startswith("/")


def validate(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Check every member before anything is written; return the members."""
    members = tar.getmembers()
    symlinks: set[str] = set()
    for member in members:
        name = clean_name(member.name)
        member.name = name
        parents = name.split("/")[:-1]
        for i in range(1, len(parents) + 1):
            if "/".join(parents[:i]) in symlinks:
                raise InvalidParameter(
                    f"invalid tar entry {name!r}: path goes through a symbolic link"
                )
        if member.issym():
            if not member.linkname.startswith("/") and _climbs_out(
                posixpath.dirname(name), member.linkname
            ):
                raise InvalidParameter(
                    f"invalid tar entry {name!r}: symbolic link escapes the root"
                )
            symlinks.add(name)
        else:
            symlinks.discard(name)
        if member.islnk():
            member.linkname = clean_name(member.linkname)
        if not (member.isfile() or member.isdir() or member.issym() or member.islnk()
                or member.ischr() or member.isblk() or member.isfifo()):
            raise InvalidParameter(f"invalid tar entry {name!r}: unsupported type")
    return members


def extract(tar: tarfile.TarFile, members: list[tarfile.TarInfo], dest: Path) -> int:
    """Extract validated members into ``dest``, turning whiteouts into overlay markers."""
    size = 0
    dirs: list[tarfile.TarInfo] = []
    for member in members:
        if not member.name:
            continue
        base = posixpath.basename(member.name)
        parent = dest / posixpath.dirname(member.name)
        if base == OPAQUE_MARKER:
            parent.mkdir(parents=True, exist_ok=True)
            os.setxattr(parent, "trusted.overlay.opaque", b"y")
            continue
        if base.startswith(WHITEOUT_PREFIX):
            parent.mkdir(parents=True, exist_ok=True)
            target = parent / base[len(WHITEOUT_PREFIX):]
            _remove(target)
            os.mknod(target, 0o600 | 0o020000, os.makedev(0, 0))
            continue
        target = dest / member.name
        if not member.isdir():
            _remove(target)
        tar.extract(member, dest, set_attrs=not member.isdir(), numeric_owner=True,
                    filter="fully_trusted")
        if member.isdir():
            dirs.append(member)
        size += member.size
    for member in reversed(dirs):
        path = str(dest / member.name)
        os.chown(path, member.uid, member.gid)
        os.chmod(path, member.mode)
        os.utime(path, (member.mtime, member.mtime))
    return size


def _remove(path: Path) -> None:
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.is_dir():
        import shutil

        shutil.rmtree(path)
