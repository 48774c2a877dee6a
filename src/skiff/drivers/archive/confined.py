"""A helper process that works inside a container's filesystem and nowhere else.

It enters the container's mount namespace (running containers, so their mounts are seen) or
chroots into its root filesystem (stopped ones) *before* touching any path; from then on the
kernel resolves every path, ``..`` and absolute symlink inside the container. Run as
``python -m skiff.drivers.archive.confined (stat|get|put) --pid N | --root DIR --path P``.
It writes a JSON status line to stderr on failure and exits non-zero.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import posixpath
import stat
import sys
import tarfile
import time

CLONE_NEWNS = 0x00020000

# Go's os.FileMode type bits, which docker clients decode
_GO_DIR, _GO_SYMLINK, _GO_DEVICE, _GO_PIPE, _GO_SOCKET = 1 << 31, 1 << 27, 1 << 26, 1 << 25, 1 << 24
_GO_SETUID, _GO_SETGID, _GO_CHAR, _GO_STICKY = 1 << 23, 1 << 22, 1 << 21, 1 << 20


def go_mode(mode: int) -> int:
    result = mode & 0o777
    if stat.S_ISDIR(mode):
        result |= _GO_DIR
    elif stat.S_ISLNK(mode):
        result |= _GO_SYMLINK
    elif stat.S_ISFIFO(mode):
        result |= _GO_PIPE
    elif stat.S_ISSOCK(mode):
        result |= _GO_SOCKET
    elif stat.S_ISCHR(mode):
        result |= _GO_DEVICE | _GO_CHAR
    elif stat.S_ISBLK(mode):
        result |= _GO_DEVICE
    if mode & stat.S_ISUID:
        result |= _GO_SETUID
    if mode & stat.S_ISGID:
        result |= _GO_SETGID
    if mode & stat.S_ISVTX:
        result |= _GO_STICKY
    return result


def fail(kind: str, message: str) -> None:
    sys.stderr.write(json.dumps({"kind": kind, "message": message}) + "\n")
    sys.exit(2)


def enter(pid: int | None, root: str | None) -> None:
    if pid:
        libc = ctypes.CDLL(None, use_errno=True)
        root_fd = os.open(f"/proc/{pid}/root", os.O_RDONLY | os.O_DIRECTORY)
        ns_fd = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY)
        if libc.setns(ns_fd, CLONE_NEWNS) != 0:
            fail("system", f"setns: {os.strerror(ctypes.get_errno())}")
        os.close(ns_fd)
        os.fchdir(root_fd)
        os.close(root_fd)
        os.chroot(".")
    elif root:
        os.chroot(root)
    os.chdir("/")


def path_stat(path: str) -> dict[str, object]:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        fail("notfound", f"Could not find the file {path} in container")
    except NotADirectoryError:
        fail("notfound", f"Could not find the file {path} in container")
    target = os.readlink(path) if stat.S_ISLNK(st.st_mode) else ""
    name = posixpath.basename(path.rstrip("/")) or "/"
    mtime = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(st.st_mtime))
    frac = f"{st.st_mtime_ns % 1_000_000_000:09d}".rstrip("0")
    return {"name": name, "size": st.st_size, "mode": go_mode(st.st_mode),
            "mtime": mtime + (f".{frac}" if frac else "") + "Z", "linkTarget": target}


def get(path: str) -> None:
    """Write a tar of ``path`` to stdout, entries named after its base name."""
    follow = path.endswith("/") or path.endswith("/.")
    resolved = os.path.realpath(path) if follow else path
    info = path_stat(resolved if follow else path)
    base = "." if path.endswith("/.") else info["name"]
    out = sys.stdout.buffer
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        if base == ".":
            for entry in sorted(os.listdir(resolved)):
                tar.add(posixpath.join(resolved, entry), arcname=entry)
        else:
            tar.add(resolved, arcname=str(base))


def put(path: str, copy_owner: bool, no_overwrite_dir: bool) -> None:
    """Extract the tar on stdin into the directory ``path``."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        fail("notfound", f"Could not find the file {path} in container")
    if not stat.S_ISDIR(st.st_mode):
        fail("invalid", "extraction point is not a directory")
    with tarfile.open(fileobj=sys.stdin.buffer, mode="r|") as tar:
        for member in tar:
            name = member.name
            parts = [p for p in name.split("/") if p not in ("", ".")]
            if name.startswith("/") or ".." in parts:
                fail("invalid", f"invalid tar entry {name!r}: path escapes the destination")
            if member.islnk() and (member.linkname.startswith("/") or
                                   ".." in member.linkname.split("/")):
                fail("invalid", f"invalid tar entry {name!r}: hard link escapes the "
                                "destination")
            target = posixpath.join(path, *parts) if parts else path
            if no_overwrite_dir and os.path.lexists(target):
                existing_dir = os.path.isdir(target) and not os.path.islink(target)
                if existing_dir != member.isdir():
                    old, new = _kind(existing_dir), _kind(member.isdir())
                    fail("invalid", f"cannot overwrite {old} {target!r} with {new}")
            if not copy_owner:
                member.uid = member.gid = 0
                member.uname = member.gname = ""
            tar.extract(member, path, numeric_owner=True, filter="fully_trusted")


def _kind(is_dir: bool) -> str:
    return "directory" if is_dir else "non-directory"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=("stat", "get", "put"))
    parser.add_argument("--pid", type=int)
    parser.add_argument("--root")
    parser.add_argument("--path", required=True)
    parser.add_argument("--copy-owner", action="store_true")
    parser.add_argument("--no-overwrite-dir", action="store_true")
    args = parser.parse_args()
    enter(args.pid, args.root)
    path = args.path if args.path.startswith("/") else "/" + args.path
    try:
        if args.action == "stat":
            sys.stdout.write(json.dumps(path_stat(path)))
        elif args.action == "get":
            get(path)
        else:
            put(path, args.copy_owner, args.no_overwrite_dir)
    except tarfile.TarError as exc:
        fail("invalid", f"invalid tar archive: {exc}")
    except OSError as exc:
        fail("system", str(exc))


if __name__ == "__main__":
    main()
