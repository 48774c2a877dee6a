"""overlayfs: layers unpacked once under ``layers/<chain>/diff``, one upper dir per container."""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import stat
import tarfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, cast

from skiff.drivers import mounts
from skiff.drivers.snapshot import layertar
from skiff.drivers.snapshot.base import Change
from skiff.store.layout import Layout

CHANGE_MODIFIED, CHANGE_ADDED, CHANGE_DELETED = 0, 1, 2
INIT_DIRS = ("etc", "proc", "sys", "dev")
INIT_FILES = ("etc/hosts", "etc/hostname", "etc/resolv.conf")
# what Docker's init layer adds besides: (path, mode) of empty files, symlinks -> target
INIT_MARKERS = ((".dockerenv", 0o755),)
INIT_SYMLINKS = (("etc/mtab", "/proc/mounts"),)


class OverlaySnapshotter:
    """The ``overlay2`` storage driver."""

    name = "overlay2"

    def __init__(self, layout: Layout) -> None:
        self._layout = layout
        self._empty = layout.layers / "empty"
        self._empty.mkdir(parents=True, exist_ok=True)

    # layers
    def layer_path(self, chain_id: str) -> Path:
        return self._layout.layer_dir(chain_id.removeprefix("sha256:")) / "diff"

    def has_layer(self, chain_id: str) -> bool:
        return self.layer_path(chain_id).is_dir()

    def apply_layer(self, chain_id: str, tar_path: Path) -> int:
        final = self.layer_path(chain_id)
        staging = self._layout.tmp / f"layer-{chain_id[7:19]}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            with tarfile.open(tar_path, "r:") as tar:
                members = layertar.validate(tar)
                size = layertar.extract(tar, members, staging)
            final.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(final, ignore_errors=True)  # left by a crash before it was recorded
            os.rename(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return size

    def remove_layer(self, chain_id: str) -> None:
        shutil.rmtree(self.layer_path(chain_id).parent, ignore_errors=True)

    # containers
    def _dirs(self, container_id: str) -> tuple[Path, Path, Path]:
        base = self._layout.container_dir(container_id)
        return base / "upper", base / "work", base / "rootfs"

    def _init_dir(self, container_id: str) -> Path:
        return self._layout.container_dir(container_id) / "init"

    def prepare(self, container_id: str) -> None:
        """The writable layer, below it an init layer holding the engine's mount points.

        Mount targets such as /etc/hosts exist in the init layer, so the runtime does not
        create them in the writable layer and ``docker diff`` shows only the container's work.
        """
        for path in self._dirs(container_id):
            path.mkdir(parents=True, exist_ok=True)
        fill_init_layer(self._init_dir(container_id))

    def mount(self, container_id: str, chain_ids: list[str]) -> Path:
        upper, work, merged = self._dirs(container_id)
        if os.path.ismount(merged):
            return merged
        lowers = [str(self.layer_path(c)) for c in reversed(chain_ids)] or [str(self._empty)]
        init = self._init_dir(container_id)
        if init.is_dir():
            fill_init_layer(init)  # a container made before an entry was added gets it too
            lowers.insert(0, str(init))
        options = f"lowerdir={':'.join(lowers)},upperdir={upper},workdir={work}"
        mounts.mount("overlay", str(merged), "overlay", options)
        return merged

    def unmount(self, container_id: str) -> None:
        _, _, merged = self._dirs(container_id)
        if os.path.ismount(merged):
            mounts.unmount(str(merged))

    def remove(self, container_id: str) -> None:
        self.unmount(container_id)
        upper, work, merged = self._dirs(container_id)
        for path in (upper, work, merged, self._init_dir(container_id)):
            shutil.rmtree(path, ignore_errors=True)

    def changes(self, container_id: str, chain_ids: list[str]) -> list[Change]:
        upper, _, _ = self._dirs(container_id)
        lowers = [self._init_dir(container_id)] + [self.layer_path(c)
                                                   for c in reversed(chain_ids)]
        result: list[Change] = []
        for dirpath, dirnames, filenames in os.walk(upper):
            rel_dir = os.path.relpath(dirpath, upper)
            for name in sorted(dirnames + filenames):
                rel = "/" + os.path.normpath(os.path.join(rel_dir, name))
                full = os.path.join(dirpath, name)
                st = os.lstat(full)
                if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                    result.append(Change(rel, CHANGE_DELETED))
                    continue
                in_lower = any(os.path.lexists(str(low) + rel) for low in lowers)
                result.append(Change(rel, CHANGE_MODIFIED if in_lower else CHANGE_ADDED))
        result.sort(key=lambda c: c.path)
        return result

    def rw_size(self, container_id: str) -> int:
        upper, _, _ = self._dirs(container_id)
        return dir_size(upper)

    def export_diff(self, container_id: str, dest: Path, exclude: Iterable[str] = ()) -> str:
        upper, _, _ = self._dirs(container_id)
        return write_layer(upper, dest, {p.strip("/") for p in exclude})

    def export_tree(self, tree: Path, dest: Path) -> str:
        return write_layer(tree, dest)


class _Hashing:
    """A file that hashes what is written to it."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle, self.digest = handle, hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.handle.write(data)


def write_layer(upper: Path, dest: Path, exclude: set[str] | None = None) -> str:
    """The OCI layer tar of an overlay upper directory: a deleted entry (a 0/0 character
    device) becomes ``.wh.<name>``, an opaque directory gets ``.wh..wh..opq``. Returns the
    tar's digest (the layer's diff ID). Paths in ``exclude`` (mount points a step's mounts
    left behind) are left out with what is under them."""
    skip = exclude or set()
    with open(dest, "wb") as handle:
        hashing = _Hashing(handle)
        with tarfile.open(fileobj=cast(BinaryIO, hashing), mode="w|",
                          format=tarfile.PAX_FORMAT) as tar:
            for dirpath, dirnames, filenames in os.walk(upper):
                rel_dir = os.path.relpath(dirpath, upper)
                dirnames[:] = sorted(d for d in dirnames
                                     if os.path.normpath(os.path.join(rel_dir, d)) not in skip)
                for name in dirnames + sorted(filenames):
                    full = os.path.join(dirpath, name)
                    rel = os.path.normpath(os.path.join(rel_dir, name))
                    if rel in skip:
                        continue
                    st = os.lstat(full)
                    if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                        _add_marker(tar, posixpath.join(posixpath.dirname(rel),
                                                        layertar.WHITEOUT_PREFIX + name), st)
                        continue
                    info = tar.gettarinfo(full, rel)
                    info.uname = info.gname = ""
                    info.mtime = int(st.st_mtime)  # whole seconds, as Docker's layers
                    if info.isreg():
                        with open(full, "rb") as content:
                            tar.addfile(info, content)
                    else:
                        tar.addfile(info)
                    if stat.S_ISDIR(st.st_mode) and _opaque(full):
                        _add_marker(tar, posixpath.join(rel, layertar.OPAQUE_MARKER), st)
    return "sha256:" + hashing.digest.hexdigest()


def _opaque(path: str) -> bool:
    try:
        return os.getxattr(path, "trusted.overlay.opaque", follow_symlinks=False) == b"y"
    except OSError:
        return False


def _add_marker(tar: tarfile.TarFile, name: str, st: os.stat_result) -> None:
    info = tarfile.TarInfo(name)
    info.mtime, info.mode = int(st.st_mtime), 0o644
    tar.addfile(info)


def fill_init_layer(init: Path) -> None:
    """The engine's entries of a container's init layer (idempotent; it is not mounted).

    Mount points of the files skiff mounts (/etc/hosts...), and as in Docker containers
    /.dockerenv and /etc/mtab -> /proc/mounts. Lower than the writable layer, so none of them
    is a change of the container's (``docker diff``) or part of what ``commit`` takes.
    """
    for directory in INIT_DIRS:
        (init / directory).mkdir(parents=True, exist_ok=True)
    for name in INIT_FILES:
        (init / name).touch()
    for name, mode in INIT_MARKERS:
        marker = init / name
        if not marker.exists():
            marker.touch()
            os.chmod(marker, mode)
    for name, target in INIT_SYMLINKS:
        link = init / name
        if not link.is_symlink():
            link.unlink(missing_ok=True)
            link.symlink_to(target)


def dir_size(path: Path) -> int:
    """Bytes used by the regular files under ``path``."""
    total = 0
    for dirpath, _, filenames in os.walk(path):
        for name in filenames:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except FileNotFoundError:
                continue
            if stat.S_ISREG(st.st_mode):
                total += st.st_size
    return total
