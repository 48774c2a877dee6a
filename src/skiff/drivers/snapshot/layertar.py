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
            target_parts = member.linkname.split("/")
            for i in range(1, len(target_parts) + 1):
                if "/".join(target_parts[:i]) in symlinks:
                    raise InvalidParameter(
                        f"invalid tar entry {name!r}: hard link goes through a symbolic link"
                    )
        if not (member.isfile() or member.isdir() or member.issym() or member.islnk()
                or member.ischr() or member.isblk() or member.isfifo()):
            raise InvalidParameter(f"invalid tar entry {name!r}: unsupported type")
    return members


def _inside(root: str, path: str) -> bool:
    """True if ``path``, with every symlink resolved, stays under ``root``."""
    real = os.path.realpath(path)
    return real == root or real.startswith(root + os.sep)


def extract(tar: tarfile.TarFile, members: list[tarfile.TarInfo], dest: Path) -> int:
    """Extract validated members into ``dest``, turning whiteouts into overlay markers.

    Each entry's parent directory is resolved on disk before anything is written there, so a
    symlink planted by an earlier entry can never redirect a write outside ``dest``.
    """
    root = os.path.realpath(dest)
    size = 0
    dirs: list[tarfile.TarInfo] = []
    for member in members:
        if not member.name:
            continue
        base = posixpath.basename(member.name)
        parent = dest / posixpath.dirname(member.name)
        if not _inside(root, str(parent)):
            raise InvalidParameter(f"invalid tar entry {member.name!r}: path goes through a "
                                   f"symbolic link")
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
        if member.isdir():
            if target.is_symlink() or (target.exists() and not target.is_dir()):
                target.unlink()
            target.mkdir(parents=True, exist_ok=True)
            dirs.append(member)
            continue
        _remove(target)
        if member.islnk():
            source = dest / member.linkname
            if not _inside(root, str(source.parent)):
                raise InvalidParameter(f"invalid tar entry {member.name!r}: hard link goes "
                                       f"through a symbolic link")
            parent.mkdir(parents=True, exist_ok=True)
            os.link(source, target, follow_symlinks=False)
            continue
        tar.extract(member, dest, set_attrs=True, numeric_owner=True, filter="fully_trusted")
        if member.issym():  # tarfile sets no times on a link itself
            os.utime(target, (member.mtime, member.mtime), follow_symlinks=False)
        size += member.size
    for member in reversed(dirs):
        path = dest / member.name
        if path.is_symlink() or not path.is_dir():
            continue
        os.chown(path, member.uid, member.gid, follow_symlinks=False)
        os.chmod(path, member.mode)
        os.utime(path, (member.mtime, member.mtime), follow_symlinks=False)
    return size


def _remove(path: Path) -> None:
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.is_dir():
        import shutil

        shutil.rmtree(path)
