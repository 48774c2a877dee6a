"""The build context: the tar a client sends, unpacked under the data root, and the only place
COPY and ADD read from.

Unpacking checks every entry as image loading does (no absolute paths, no ``..``, no writes
through symbolic links). Paths the Dockerfile names resolve inside the context, symbolic links
included; a path that would leave it is refused. Checksums cover names, modes, link targets and
content, never times, so a context unpacked again with new mtimes keeps its cache.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import shutil
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

from skiff.api import dockerignore
from skiff.drivers.snapshot import layertar
from skiff.errdefs import InvalidParameter, NotFound

CHUNK = 1 << 20


class BuildContext:
    """A context directory; removed with ``close``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def unpack(cls, tar_path: Path, dest: Path) -> BuildContext:
        """Unpack an (uncompressed) context tar into ``dest``, which must not exist."""
        dest.mkdir(parents=True)
        try:
            with tarfile.open(tar_path, "r:") as tar:
                layertar.extract(tar, layertar.validate(tar), dest)
        except tarfile.TarError as exc:
            shutil.rmtree(dest, ignore_errors=True)
            raise InvalidParameter(f"the build context is not a tar archive: {exc}") from None
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)
            raise
        return cls(dest)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def read(self, name: str, what: str = "file") -> str:
        """A text file of the context (the Dockerfile, .dockerignore)."""
        path = self.path(name)
        if not path.is_file():
            raise NotFound(f"Cannot locate specified {what}: {name}")
        return path.read_text(errors="replace")

    def ignore(self, dockerfile: str) -> dockerignore.Matcher:
        """``<Dockerfile>.dockerignore`` if there is one, else ``.dockerignore``."""
        for name in (dockerfile + ".dockerignore", ".dockerignore"):
            path = self.path(name)
            if path.is_file():
                return dockerignore.Matcher(dockerignore.parse(path.read_text(errors="replace")))
        return dockerignore.Matcher([])

    def path(self, name: str) -> Path:
        """``name`` inside the context, every symbolic link resolved within it."""
        return self.root / self._inside(name)

    def _inside(self, name: str, depth: int = 0) -> str:
        """The context-relative path of ``name`` after resolving links, refusing escapes."""
        if depth > 40:
            raise InvalidParameter(f"too many levels of symbolic links: {name}")
        parts: list[str] = []
        pending = [p for p in name.split("/") if p not in ("", ".")]
        hops = 0
        while pending:
            part = pending.pop(0)
            if part == "..":
                if not parts:
                    raise InvalidParameter(f"forbidden path outside the build context: {name}")
                parts.pop()
                continue
            candidate = self.root.joinpath(*parts, part)
            if candidate.is_symlink():
                hops += 1
                if hops > 40:
                    raise InvalidParameter(f"too many levels of symbolic links: {name}")
                target = os.readlink(candidate)
                if target.startswith("/"):
                    parts = []
                pending = [p for p in target.split("/") if p not in ("", ".")] + pending
                continue
            parts.append(part)
        return "/".join(parts)

    def sources(self, pattern: str) -> list[str]:
        """The context paths a COPY source names (``*``, ``?`` and ``[...]`` expanded)."""
        depth = 0
        for part in pattern.split("/"):
            depth += -1 if part == ".." else 0 if part in ("", ".") else 1
            if depth < 0:
                raise InvalidParameter(f"forbidden path outside the build context: {pattern}")
        cleaned = posixpath.normpath("/" + pattern).lstrip("/")
        if not any(c in cleaned for c in "*?["):
            resolved = self._inside(cleaned)
            if not os.path.lexists(self.root / resolved):
                raise NotFound(f"COPY failed: file not found in build context or excluded by "
                               f".dockerignore: stat {cleaned}: file does not exist")
            return [resolved]
        found = sorted(self._glob(cleaned))
        if not found:
            raise NotFound(f"COPY failed: no source files were specified ({pattern})")
        return found

    def _glob(self, pattern: str) -> Iterator[str]:
        """Matches of a pattern, ``**`` standing for any number of directories (none too)."""
        parts = pattern.split("/")
        regexes = [None if p == "**" else _element(p) for p in parts]
        seen: set[str] = set()

        def walk(prefix: str, level: int) -> Iterator[str]:
            if level == len(parts):
                if prefix and prefix not in seen:
                    seen.add(prefix)
                    yield prefix
                return
            base = self.root / prefix if prefix else self.root
            try:
                names = sorted(os.listdir(base))
            except (NotADirectoryError, FileNotFoundError):
                return
            regex = regexes[level]
            if regex is None:  # **: this level skipped, or one directory more
                yield from walk(prefix, level + 1)
                for name in names:
                    path = f"{prefix}/{name}" if prefix else name
                    if (self.root / path).is_dir() and not (self.root / path).is_symlink():
                        yield from walk(path, level)
                return
            for name in names:
                if regex.fullmatch(name):
                    path = f"{prefix}/{name}" if prefix else name
                    yield from walk(path if level == len(parts) - 1 else self._inside(path),
                                    level + 1)

        yield from walk("", 0)

    def prune(self, ignore: dockerignore.Matcher) -> None:
        """Remove what ``ignore`` excludes (the Dockerfile and .dockerignore too, once read, as
        dockerd does), for contexts that did not come filtered from a client."""
        if not ignore.patterns:
            return
        for dirpath, dirnames, filenames in os.walk(self.root, topdown=True):
            rel_dir = os.path.relpath(dirpath, self.root)
            for name in list(dirnames):
                rel = posixpath.normpath(f"{rel_dir}/{name}")
                if ignore.excluded(rel) and not ignore.may_keep_inside(rel):
                    shutil.rmtree(os.path.join(dirpath, name))
                    dirnames.remove(name)
            for name in filenames:
                if ignore.excluded(posixpath.normpath(f"{rel_dir}/{name}")):
                    os.unlink(os.path.join(dirpath, name))

    def checksum(self, paths: list[str], keep: Callable[[str, str], bool] | None = None,
                 files: dict[str, str] | None = None) -> str:
        """One digest of these paths' trees: names, types, modes, owners, link targets and
        content (never times); ``keep(path, rel)`` leaves out what a COPY excludes. Each
        entry's own digest goes into ``files`` (path -> digest) when it is given."""
        digest = hashlib.sha256()
        for path in paths:
            for rel, full in self._tree(path):
                if keep is not None and not keep(path, rel):
                    continue
                info = os.lstat(full)
                entry = hashlib.sha256(f"{info.st_mode:o}\0{info.st_uid}:{info.st_gid}\0"
                                       .encode())
                if os.path.islink(full):
                    entry.update(os.readlink(full).encode())
                elif os.path.isfile(full):
                    with open(full, "rb") as handle:
                        while block := handle.read(CHUNK):
                            entry.update(block)
                own = entry.hexdigest()
                digest.update(f"{rel}\0{own}\0".encode())
                if files is not None:
                    is_dir = os.path.isdir(full) and not os.path.islink(full)
                    files[rel + "/" if is_dir and rel != "." else rel] = own
        return "sha256:" + digest.hexdigest()

    def _tree(self, path: str) -> Iterator[tuple[str, str]]:
        """``path`` and, for a directory, everything under it, in a stable order."""
        top = self.root / path if path else self.root
        yield path or ".", str(top)
        if top.is_symlink() or not top.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, self.root)
            for name in dirnames + sorted(filenames):
                yield posixpath.normpath(f"{rel_dir}/{name}"), os.path.join(dirpath, name)


def _element(pattern: str) -> re.Pattern[str]:
    """One path element of a COPY source pattern (Go's filepath.Match)."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[" and "]" in pattern[i + 1:]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("^") or body.startswith("!")
                              else body) + "]")
            i = end
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.S)
