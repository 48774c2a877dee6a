"""The file work of COPY, ADD and WORKDIR between two trees (the context or a stage's root,
and a step's root), every destination resolved inside its root."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from skiff.api import dockerignore
from skiff.drivers.snapshot import layertar
from skiff.engine.builder.context import BuildContext
from skiff.engine.images import archive
from skiff.errdefs import InvalidParameter


def copy_any(source: Path, dest: Path) -> None:
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, dest, symlinks=True)
    else:
        dest.mkdir(parents=True)
        dest.rmdir()
        shutil.copy2(source, dest, follow_symlinks=False)


def mkdirs(target: BuildContext, path: str) -> bool:
    resolved = target.path(path)
    if resolved.is_dir():
        return False
    resolved.mkdir(parents=True, exist_ok=True)
    return True


def owner(root: BuildContext, spec: str) -> tuple[int, int]:
    """``--chown=user:group`` by number or by name in the image's /etc/passwd and /etc/group."""
    user, _, group = spec.partition(":")

    def lookup(name: str, table: str, field_index: int) -> int:
        if name.isdigit():
            return int(name)
        with contextlib.suppress(OSError):
            for line in root.path(table).read_text().splitlines():
                fields = line.split(":")
                if fields[0] == name and len(fields) > field_index:
                    return int(fields[field_index])
        raise InvalidParameter(f"unable to convert uid/gid chown string to host mapping: "
                               f"can't find uid for user {name}" if table == "etc/passwd" else
                               f"can't find gid for group {name}")

    uid = lookup(user, "etc/passwd", 2)
    if group:
        return uid, lookup(group, "etc/group", 2)
    if user.isdigit():
        return uid, uid
    with contextlib.suppress(OSError):
        for line in root.path("etc/passwd").read_text().splitlines():
            fields = line.split(":")
            if fields[0] == user and len(fields) > 3:
                return uid, int(fields[3])
    return uid, uid


@dataclass(frozen=True)
class Source:
    """One COPY/ADD source: a pattern in a tree (the context, a stage's root, a download or a
    checkout), or a heredoc's content; ``unpack`` for ADD's tar extraction."""

    tree: BuildContext | None
    pattern: str
    content: str | None = None
    unpack: bool = False


@dataclass(frozen=True)
class Selection:
    """What ``--exclude`` leaves out and whether ``--parents`` keeps the source's directories.
    An exclude pattern (``.dockerignore`` syntax) matches a path in the source tree or the
    same path as it lands under the destination."""

    excludes: tuple[str, ...] = ()
    parents: bool = False

    @property
    def matcher(self) -> dockerignore.Matcher | None:
        return dockerignore.Matcher(dockerignore.parse("\n".join(self.excludes))) \
            if self.excludes else None

    def kept(self, matcher: dockerignore.Matcher | None, rel: str, landed: str) -> bool:
        return matcher is None or not (matcher.excluded(rel) or matcher.excluded(landed))


def landing(pattern: str, found: str, parents: bool) -> str:
    """Where a found source goes under the destination: its name, or with ``--parents`` its
    path in the tree from the ``/./`` pivot of the pattern (or from the top)."""
    if not parents:
        return os.path.basename(found) or "."
    cleaned = pattern.lstrip("/")
    while cleaned.startswith("./"):
        cleaned = cleaned[2:]
    head, pivot, _ = cleaned.partition("/./")
    skip = len([p for p in head.split("/") if p not in ("", ".")]) if pivot else 0
    return "/".join(found.split("/")[skip:]) or "."


def copy_all(sources: list[Source], target: BuildContext, dest: str, uid: int, gid: int,
             chmod: int | None, selection: Selection) -> None:
    """COPY's and ADD's rules: into a directory when ``dest`` ends in ``/`` or there are several
    sources or one is a directory; a directory's contents, not the directory itself."""
    matcher = selection.matcher
    items: list[tuple[Source, str, str]] = []  # (source, path in its tree, name under dest)
    for source in sources:
        if source.tree is None:
            items.append((source, "", source.pattern))
            continue
        for found in source.tree.sources(source.pattern):
            items.append((source, found, landing(source.pattern, found, selection.parents)))
    into_dir = dest.endswith("/") or len(items) > 1 or selection.parents or any(
        s.tree is not None and _is_dir(s.tree.root / f) for s, f, _ in items)
    if len(sources) > 1 and not dest.endswith("/"):
        raise InvalidParameter("When using COPY with more than one source file, the "
                               "destination must be a directory and end with a /")
    for source, found, name in items:
        out_name = dest.rstrip("/") + "/" + name if into_dir and name != "." else dest
        if source.tree is None:
            out = target.path(out_name)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(source.content or "")
            _own(out, uid, gid, chmod if chmod is not None else 0o644)
            continue
        path = source.tree.root / found
        if not selection.kept(matcher, found, name):
            continue
        if _is_dir(path):
            place = out_name if selection.parents else dest
            _copy_tree(path, target, place, uid, gid, chmod,
                       functools.partial(_kept_inside, selection, matcher, found))
        elif source.unpack and archive.is_tar(path):
            out_dir = target.path(dest)
            out_dir.mkdir(parents=True, exist_ok=True)
            with tarfile.open(path) as tar:
                layertar.extract(tar, layertar.validate(tar), out_dir)
        else:
            out = target.path(out_name)
            out.parent.mkdir(parents=True, exist_ok=True)
            if out.is_dir() and not out.is_symlink():
                out = out / os.path.basename(found)
            _copy_file(path, out, uid, gid, chmod)


def _kept_inside(selection: Selection, matcher: dockerignore.Matcher | None, top: str,
                 rel: str) -> bool:
    return selection.kept(matcher, f"{top}/{rel}" if top else rel, rel)


def _is_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _own(path: Path, uid: int, gid: int, chmod: int | None) -> None:
    os.chown(path, uid, gid, follow_symlinks=False)
    if chmod is not None and not path.is_symlink():
        os.chmod(path, chmod)


def _copy_file(source: Path, out: Path, uid: int, gid: int, chmod: int | None) -> None:
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        out.unlink()
    if source.is_symlink():
        os.symlink(os.readlink(source), out)
    else:
        shutil.copy2(source, out, follow_symlinks=False)
    _own(out, uid, gid, chmod)


def _copy_tree(source: Path, target: BuildContext, dest: str, uid: int, gid: int,
               chmod: int | None, keep: Callable[[str], bool]) -> None:
    """A directory's contents (not the directory itself) into ``dest``, without what ``keep``
    refuses (paths relative to ``source``); every destination is resolved inside the target
    root, so a link in the image never leads a write out of it. Directories keep their times,
    set once their contents are in."""
    made: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(source):
        rel = os.path.relpath(dirpath, source)
        here = target.path(dest if rel == "." else f"{dest.rstrip('/')}/{rel}")
        if here.is_symlink() or (here.exists() and not here.is_dir()):
            here.unlink()
        here.mkdir(parents=True, exist_ok=True)
        if rel != ".":
            shutil.copystat(dirpath, here)
            made.append((dirpath, here))
        _own(here, uid, gid, chmod)
        prefix = "" if rel == "." else rel + "/"
        links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        dirnames[:] = sorted(d for d in dirnames if d not in links and keep(prefix + d))
        for name in [*links, *filenames]:
            if keep(prefix + name):
                _copy_file(Path(dirpath, name), here / name, uid, gid, chmod)
    for dirpath, here in reversed(made):
        stat = os.stat(dirpath)
        os.utime(here, ns=(stat.st_atime_ns, stat.st_mtime_ns))
