"""docker cp's local side: path rules, tar streams of local files, rebasing and extraction.

These follow moby's ``pkg/archive`` copy helpers (``CopyInfoSourcePath``,
``CopyInfoDestinationPath``, ``PrepareArchiveCopy``, ``RebaseArchiveEntries``, ``TarResource``,
``Untar``) so that ``skiff cp`` lands files exactly where ``docker cp`` does. Errors carry Go's
wording ("stat /x: no such file or directory", "cannot copy directory").
"""

from __future__ import annotations

import io
import os
import posixpath
import stat
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

# Go's os.FileMode type bits, as the daemon's X-Docker-Container-Path-Stat carries them
MODE_DIR = 1 << 31
MODE_SYMLINK = 1 << 27
MODE_DEVICE = 1 << 26
MODE_NAMED_PIPE = 1 << 25
MODE_SOCKET = 1 << 24
MODE_CHAR_DEVICE = 1 << 21
MODE_IRREGULAR = 1 << 19

BLOCK = 512
_READ = 1 << 16


class CopyError(Exception):
    """A copy that cannot be done; the message is docker's."""


def os_error(op: str, path: str, exc: OSError) -> CopyError:
    """Go's *PathError text: "stat /x: no such file or directory"."""
    reason = (exc.strerror or str(exc)).lower()
    return CopyError(f"{op} {path}: {reason}")


@dataclass
class CopyInfo:
    """What is known about one end of a copy (moby's archive.CopyInfo)."""

    path: str
    exists: bool = False
    is_dir: bool = False
    rebase_name: str = ""


# -- Go's path/filepath, for the cases docker's rules depend on ------------------------------


def clean(path: str) -> str:
    """filepath.Clean: like normpath, but "//x" becomes "/x"."""
    cleaned = posixpath.normpath(path) if path else "."
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


def base(path: str) -> str:
    """filepath.Base."""
    if not path:
        return "."
    stripped = path.rstrip("/")
    if not stripped:
        return "/"
    return stripped.rsplit("/", 1)[-1]


def dirname(path: str) -> str:
    """filepath.Dir."""
    return clean(path[:path.rfind("/") + 1]) if "/" in path else "."


def join(*parts: str) -> str:
    """filepath.Join: empty parts are skipped and the result is cleaned."""
    kept = [p for p in parts if p]
    return clean("/".join(kept)) if kept else ""


def abspath(path: str) -> str:
    """filepath.Abs."""
    return clean(path) if path.startswith("/") else join(os.getcwd(), path)


def specifies_current_dir(path: str) -> bool:
    return base(path) == "."


def has_trailing_separator(path: str) -> bool:
    return path.endswith("/")


def asserts_directory(path: str) -> bool:
    """A trailing "/" or "/." says the path must be a directory."""
    return has_trailing_separator(path) or specifies_current_dir(path)


def split_path_dir_entry(path: str) -> tuple[str, str]:
    """(parent, entry) of a cleaned path, keeping a trailing "." (archive.SplitPathDirEntry)."""
    cleaned = clean(path)
    if specifies_current_dir(path):
        cleaned += "/."
    return dirname(cleaned), base(cleaned)


def preserve_trailing_dot_or_separator(cleaned: str, original: str) -> str:
    """Put back the "/." or "/" that cleaning removed from ``original``."""
    if not specifies_current_dir(cleaned) and specifies_current_dir(original):
        if not has_trailing_separator(cleaned):
            cleaned += "/"
        cleaned += "."
    if not has_trailing_separator(cleaned) and has_trailing_separator(original):
        cleaned += "/"
    return cleaned


def resolve_local_path(path: str) -> str:
    """An absolute local path that still says whether it must be a directory."""
    return preserve_trailing_dot_or_separator(abspath(path), path)


def get_rebase_name(path: str, resolved: str) -> tuple[str, str]:
    """(resolved path with path's trailing "/." or "/", name to rebase to if it changed)."""
    if specifies_current_dir(path) and not specifies_current_dir(resolved):
        resolved += "/."
    if has_trailing_separator(path) and not has_trailing_separator(resolved):
        resolved += "/"
    rebase = base(path) if base(path) != base(resolved) else ""
    return resolved, rebase


def split_cp_arg(arg: str) -> tuple[str, str]:
    """"CONTAINER:PATH" -> (container, path); local paths give ("", path).

    A local path containing ":" must start with "/" or "." to say so, as with scp.
    """
    if arg.startswith("/"):
        return "", arg
    container, sep, path = arg.partition(":")
    if not sep or container.startswith("."):
        return "", arg
    return container, path


def _eval_symlinks(path: str) -> str:
    """filepath.EvalSymlinks: every link resolved; the path must exist."""
    try:
        os.stat(path)
    except OSError as exc:
        raise os_error("lstat", path, exc) from None
    resolved = os.path.realpath(path)
    if not path.startswith("/"):
        resolved = os.path.relpath(resolved)
    return clean(resolved)


# -- local source and destination ------------------------------------------------------------


def copy_info_source_path(path: str, follow_link: bool) -> CopyInfo:
    """The local source of a copy into a container (archive.CopyInfoSourcePath)."""
    if follow_link:
        resolved, rebase = get_rebase_name(path, _eval_symlinks(path))
    else:
        parent, _, entry = path.rpartition("/")
        parent = parent + "/" if parent or path.startswith("/") else "."
        resolved = _eval_symlinks(parent).rstrip("/") + "/" + entry
        rebase = ""
        if has_trailing_separator(path) and base(path) != base(resolved):
            rebase = base(path)
    try:
        st = os.lstat(resolved)
    except OSError as exc:
        raise os_error("lstat", resolved, exc) from None
    return CopyInfo(resolved, True, stat.S_ISDIR(st.st_mode), rebase)


def copy_info_destination_path(path: str) -> CopyInfo:
    """The local destination of a copy out of a container (archive.CopyInfoDestinationPath):
    symlinks at the end are followed; a missing path is fine if its parent is a directory."""
    original = path
    try:
        st: os.stat_result | None = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise os_error("lstat", path, exc) from None
    hops = 0
    while st is not None and stat.S_ISLNK(st.st_mode):
        hops += 1
        if hops > 11:
            raise CopyError("too many symlinks in " + original)
        target = os.readlink(path)
        if not target.startswith("/"):
            target = join(split_path_dir_entry(path)[0], target)
        path = target
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise os_error("lstat", path, exc) from None
    if st is not None:
        return CopyInfo(path, True, stat.S_ISDIR(st.st_mode))
    parent = split_path_dir_entry(path)[0]
    try:
        parent_st = os.stat(parent)
    except OSError as exc:
        raise os_error("stat", parent, exc) from None
    if not stat.S_ISDIR(parent_st.st_mode):
        raise CopyError("not a directory")
    return CopyInfo(path)


def validate_output_path(path: str) -> None:
    """docker's command.ValidateOutputPath for cp's local destination."""
    parent = dirname(clean(path))
    if parent not in ("", "."):
        try:
            os.stat(parent)
        except FileNotFoundError:
            raise CopyError(f'invalid output path: directory "{parent}" does not exist') from None
        except OSError:
            pass
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise os_error("stat", path, exc) from None
    problem = file_mode_problem(go_file_mode(mode))
    if problem:
        raise CopyError(f'invalid output path: "{path}" must be a directory or a regular file: '
                        f"{problem}")


def go_file_mode(mode: int) -> int:
    """A stat st_mode as Go's os.FileMode type bits (permissions left out)."""
    if stat.S_ISDIR(mode):
        return MODE_DIR
    if stat.S_ISLNK(mode):
        return MODE_SYMLINK
    if stat.S_ISCHR(mode):
        return MODE_DEVICE | MODE_CHAR_DEVICE
    if stat.S_ISBLK(mode):
        return MODE_DEVICE
    if stat.S_ISFIFO(mode):
        return MODE_NAMED_PIPE
    if stat.S_ISSOCK(mode):
        return MODE_SOCKET
    return 0 if stat.S_ISREG(mode) else MODE_IRREGULAR


def file_mode_problem(go_mode: int) -> str:
    """command.ValidateOutputPathFileMode on a Go FileMode: "" when fine."""
    if go_mode & MODE_DEVICE:
        return "got a device"
    if go_mode & MODE_IRREGULAR:
        return "got an irregular file"
    return ""


def validate_destination(path: str) -> None:
    """atomicwriter's checks on an output file (export -o): its directory must exist and the
    file, if there, must be a regular one."""
    parent = dirname(path)
    if parent not in ("", ".", ".."):
        try:
            parent_mode = os.stat(parent).st_mode
        except OSError as exc:
            raise CopyError("invalid output path: " + str(os_error("stat", parent, exc))) \
                from None
        if not stat.S_ISDIR(parent_mode):
            raise CopyError(f"invalid output path: stat {parent}: not a directory")
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CopyError("failed to stat output path: " + str(os_error("lstat", path, exc))) \
            from None
    problems = ((stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symbolic link directly"),
                (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                (stat.S_ISCHR, "a character device file"), (stat.S_ISBLK, "a block device file"))
    for test, what in problems:
        if test(mode):
            raise CopyError("cannot write to " + what)


# -- tar streams -----------------------------------------------------------------------------


class ChunkReader(io.RawIOBase):
    """A readable file over an iterator of byte chunks, counting what was read."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        super().__init__()
        self._chunks = iter(chunks)
        self._pending = b""
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.count += size
        return size

    def drain(self) -> None:
        """Read the rest (the zero blocks after the last member)."""
        while self.read(_READ):
            pass


class Counter:
    """Passes chunks through, counting their bytes (what docker's "Successfully copied"
    reports)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = iter(chunks)
        self.total = 0

    @property
    def count(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self._seen(chunk)
            self.total += len(chunk)
            yield chunk

    def _seen(self, chunk: bytes) -> None:
        pass

    def drain(self) -> None:
        """Read (and count) whatever the consumer left."""
        for _ in self:
            pass


_ZERO_BLOCK = b"\0" * BLOCK


def _tar_number(field: bytes) -> int:
    """A tar header's numeric field: octal, or base-256 when the high bit is set."""
    if field and field[0] & 0x80:
        return int.from_bytes(bytes([field[0] & 0x7F]) + field[1:], "big")
    digits = field.replace(b"\0", b" ").strip()
    try:
        return int(digits, 8) if digits else 0
    except ValueError:
        return 0


class TarCounter(Counter):
    """Counts a tar stream up to its end-of-archive blocks only, leaving out the padding to
    a full record: what Go's tar reader consumes, so docker's size for the same archive."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        super().__init__(chunks)
        self._next = 0  # offset of the next header
        self._partial = b""
        self._zeros = 0
        self.end: int | None = None

    @property
    def count(self) -> int:
        return self.total if self.end is None else min(self.total, self.end)

    def _seen(self, chunk: bytes) -> None:
        start = self.total
        i = max(self._next - start, 0)
        while self.end is None and i < len(chunk):
            piece = chunk[i:i + BLOCK - len(self._partial)]
            self._partial += piece
            i += len(piece)
            if len(self._partial) < BLOCK:
                return
            block, self._partial = self._partial, b""
            at = start + i - BLOCK
            if block == _ZERO_BLOCK:
                self._zeros += 1
                self._next = at + BLOCK
                if self._zeros == 2:
                    self.end = self._next
            else:
                self._zeros = 0
                size = _tar_number(block[124:136])
                self._next = at + BLOCK + size + (-size % BLOCK)
            i = max(i, self._next - start)


def _header(info: tarfile.TarInfo) -> bytes:
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def _padding(size: int) -> bytes:
    return b"\0" * (-size % BLOCK)


def _data(handle: IO[bytes] | None, size: int) -> Iterator[bytes]:
    """Exactly ``size`` bytes (zeros for what a shrinking file no longer has)."""
    left = size
    while left > 0 and handle is not None:
        data = handle.read(min(left, _READ))
        if not data:
            break
        left -= len(data)
        yield data
    if left > 0:
        yield b"\0" * left


def _file_data(handle: IO[bytes] | None, size: int) -> Iterator[bytes]:
    """A member's data padded to the block size."""
    yield from _data(handle, size)
    yield _padding(size)


_RENAMED_PAX = ("path", "linkpath", "mtime", "atime", "ctime")


def _open_stream(reader: ChunkReader) -> tarfile.TarFile | None:
    """A tar read as it streams; None for an empty stream (Go's reader sees no entries)."""
    try:
        return tarfile.open(fileobj=reader, mode="r|")
    except tarfile.ReadError as exc:
        if str(exc) == "empty file":
            return None
        raise CopyError(str(exc)) from None


def rebase_archive_entries(chunks: Iterable[bytes], old: str, new: str) -> Iterator[bytes]:
    """Rename the first ``old`` in every entry name to ``new`` (archive.RebaseArchiveEntries)."""
    if old == "/":
        old = ""
    tar = _open_stream(ChunkReader(chunks))
    if tar is None:
        yield b"\0" * (2 * BLOCK)
        return
    with tar:
        for member in tar:
            name = member.name + ("/" if member.isdir() else "")
            member.name = name.replace(old, new, 1)
            if member.islnk():
                member.linkname = member.linkname.replace(old, new, 1)
            member.mtime = int(member.mtime)
            member.pax_headers = {k: v for k, v in member.pax_headers.items()
                                  if k not in _RENAMED_PAX}
            yield _header(member)
            if member.isreg():
                yield from _file_data(tar.extractfile(member), member.size)
    yield b"\0" * (2 * BLOCK)


def _tar_info(path: str, name: str, st: os.stat_result,
              seen: dict[tuple[int, int], str]) -> tarfile.TarInfo | None:
    """The header moby's tar writer makes for one local file (no user/group names)."""
    info = tarfile.TarInfo(name)
    info.mode = stat.S_IMODE(st.st_mode)
    info.uid, info.gid = st.st_uid, st.st_gid
    info.uname = info.gname = ""
    info.mtime = int(st.st_mtime)
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        info.type = tarfile.DIRTYPE
    elif stat.S_ISLNK(mode):
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(path)
    elif stat.S_ISREG(mode):
        key = (st.st_dev, st.st_ino)
        if st.st_nlink > 1 and key in seen:
            info.type = tarfile.LNKTYPE
            info.linkname = seen[key]
        else:
            if st.st_nlink > 1:
                seen[key] = name
            info.type = tarfile.REGTYPE
            info.size = st.st_size
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        info.type = tarfile.CHRTYPE if stat.S_ISCHR(mode) else tarfile.BLKTYPE
        info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
    elif stat.S_ISFIFO(mode):
        info.type = tarfile.FIFOTYPE
    else:
        return None  # sockets are skipped, as docker does
    return info


def _walk(root: str) -> Iterator[str]:
    """root, then everything under it in lexical order (filepath.WalkDir, no symlinks)."""
    yield root
    try:
        if not stat.S_ISDIR(os.lstat(root).st_mode):
            return
        names = sorted(os.listdir(root))
    except OSError:
        return
    for entry in names:
        yield from _walk(root.rstrip("/") + "/" + entry)


def tar_resource(info: CopyInfo) -> Iterator[bytes]:
    """A tar of one local file or directory, entries named from its base name (or the rebase
    name), as archive.TarResource writes it: Go's layout, no padding to a 10 KiB record."""
    source_dir, entry = split_path_dir_entry(info.path)
    try:
        os.lstat(info.path)
    except OSError as exc:
        raise os_error("lstat", info.path, exc) from None
    return _tar_entries(source_dir, entry, info.rebase_name)


def _tar_entries(source_dir: str, include: str, rebase_name: str) -> Iterator[bytes]:
    seen: dict[tuple[int, int], str] = {}
    root = source_dir if include == "." else join(source_dir, include)
    for path in _walk(root):
        relative = os.path.relpath(path, source_dir)
        if include == "." and relative != ".":
            relative = "./" + relative
        if rebase_name:
            relative = relative.replace(include, "" if rebase_name == "/" else rebase_name, 1)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue
        info = _tar_info(path, relative, st, seen)
        if info is None:
            continue
        yield _header(info)
        if info.type == tarfile.REGTYPE:
            try:
                fh = open(path, "rb")  # noqa: SIM115 - closed below, errors have Go's words
            except OSError as exc:
                raise os_error("open", path, exc) from None
            with fh:
                yield from _file_data(fh, info.size)
    yield b"\0" * (2 * BLOCK)


def prepare_archive_copy(chunks: Iterable[bytes], src: CopyInfo,
                         dst: CopyInfo) -> tuple[str, Iterable[bytes]]:
    """Where to extract the source archive and how to rename it so that the copy lands as
    docker's does (archive.PrepareArchiveCopy)."""
    dst_dir, dst_base = split_path_dir_entry(dst.path)
    _, src_base = split_path_dir_entry(src.path)
    if dst.exists and dst.is_dir:
        return dst.path, chunks
    if dst.exists and src.is_dir:
        raise CopyError("cannot copy directory")
    if not dst.exists and not src.is_dir and asserts_directory(dst.path):
        raise CopyError("no such directory")
    return dst_dir, rebase_archive_entries(chunks, src.rebase_name or src_base, dst_base)


# -- extraction ------------------------------------------------------------------------------


def _inside(dest: str, path: str) -> bool:
    return path == dest or path.startswith(dest.rstrip("/") + "/")


def _write_file(path: str, mode: int, data: IO[bytes] | None, size: int) -> None:
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, mode)
    with os.fdopen(fd, "wb") as out:
        for chunk in _data(data, size):
            out.write(chunk)


def untar(chunks: Iterable[bytes], dest: str) -> int:
    """Extract a tar stream into ``dest`` as moby's Untar with NoLchown and
    NoOverwriteDirNonDir; return the number of archive bytes read."""
    reader = ChunkReader(chunks)
    dest = clean(dest)
    directories: list[tuple[str, float]] = []
    tar = _open_stream(reader)
    if tar is None:
        return reader.count
    with tar:
        for member in tar:
            name = clean(member.name)
            path = join(dest, name)
            if not _inside(dest, path):
                raise CopyError(f'"{member.name}" is outside of "{dest}"')
            parent = dirname(path)
            if not os.path.lexists(parent):
                os.makedirs(parent, 0o755, exist_ok=True)
            try:
                existing: os.stat_result | None = os.lstat(path)
            except FileNotFoundError:
                existing = None
            if existing is not None:
                is_dir = stat.S_ISDIR(existing.st_mode)
                if is_dir and not member.isdir():
                    raise CopyError(f'cannot overwrite directory "{path}" with non-directory '
                                    f'"{dest}"')
                if not is_dir and member.isdir():
                    raise CopyError(f'cannot overwrite non-directory "{path}" with directory '
                                    f'"{dest}"')
                if is_dir and name == ".":
                    continue
                if not is_dir:
                    os.unlink(path)
            _extract(tar, member, path, dest, existing is not None)
            if member.isdir():
                directories.append((path, member.mtime))
    reader.drain()
    for path, mtime in directories:
        os.utime(path, (mtime, mtime))
    return reader.count


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, path: str, dest: str,
             existed: bool) -> None:
    try:
        if member.isdir():
            if not existed:
                os.mkdir(path, member.mode & 0o777)
        elif member.isreg():
            _write_file(path, member.mode & 0o777, tar.extractfile(member), member.size)
        elif member.issym():
            target = join(dirname(path), member.linkname)
            if not _inside(dest, target):
                raise CopyError(f'invalid symlink "{path}" -> "{member.linkname}"')
            os.symlink(member.linkname, path)
            os.utime(path, (member.mtime, member.mtime), follow_symlinks=False)
            return
        elif member.islnk():
            target = join(dest, member.linkname)
            if not _inside(dest, target):
                raise CopyError(f'invalid hardlink "{target}" -> "{member.linkname}"')
            os.link(target, path)
            return
        elif member.ischr() or member.isblk() or member.isfifo():
            kind = stat.S_IFCHR if member.ischr() else stat.S_IFBLK if member.isblk() \
                else stat.S_IFIFO
            os.mknod(path, kind | (member.mode & 0o777),
                     os.makedev(member.devmajor, member.devminor))
        else:
            return  # global pax headers and other oddities are skipped
        os.chmod(path, member.mode)
        os.utime(path, (member.mtime, member.mtime))
    except OSError as exc:
        raise os_error("open" if member.isreg() else "mkdir" if member.isdir() else "link",
                       path, exc) from None


def copy_to(chunks: Iterable[bytes], src: CopyInfo, dst_path: str) -> None:
    """Extract a container's archive of ``src`` to the local ``dst_path`` (archive.CopyTo)."""
    dst = copy_info_destination_path(dst_path)
    dst_dir, prepared = prepare_archive_copy(chunks, src, dst)
    untar(prepared, dst_dir)
