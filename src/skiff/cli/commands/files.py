"""Container filesystems: ``cp`` (both ways), ``export`` and ``diff``."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from skiff.cli import archive
from skiff.cli.archive import CopyError, CopyInfo
from skiff.cli.commands.common import Subparsers, command
from skiff.cli.errors import StatusError
from skiff.cli.format.units import human_size
from skiff.cli.parser import check_args
from skiff.cli.session import Session
from skiff.cli.terminal import is_terminal
from skiff.client import APIError

if TYPE_CHECKING:  # at run time, Client would load http.client (see skiff.client)
    from skiff.client import Client

CHANGE_KINDS = {0: "C", 1: "A", 2: "D"}


def _copied(session: Session, count: int, where: str) -> None:
    session.err.write(f"Successfully copied {human_size(count, 3)} to {where}\n")
    session.err.flush()


def _stat(client: Client, container: str, path: str) -> tuple[dict[str, Any], bool]:
    """The container path's PathStat, and whether the stat worked (errors are ignored)."""
    try:
        return client.containers.stat_path(container, path), True
    except APIError:
        return {}, False


def _link_target(stat: dict[str, Any], path: str) -> str:
    target = str(stat.get("linkTarget") or "")
    if not target.startswith("/"):
        target = archive.join(archive.split_path_dir_entry(path)[0], target)
    return target


def _mode(stat: dict[str, Any]) -> int:
    try:
        return int(stat.get("mode") or 0)
    except (TypeError, ValueError):
        return 0


def _close(chunks: Iterable[bytes]) -> None:
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


def copy_from_container(session: Session, args: argparse.Namespace, container: str,
                        src_path: str, dst_path: str, quiet: bool) -> int:
    if dst_path != "-":
        dst_path = archive.resolve_local_path(dst_path)
    archive.validate_output_path(dst_path)
    client = session.client
    rebase_name = ""
    if args.follow_link:
        stat, found = _stat(client, container, src_path)
        if found and _mode(stat) & archive.MODE_SYMLINK:
            src_path, rebase_name = archive.get_rebase_name(src_path,
                                                            _link_target(stat, src_path))
    chunks, stat = client.containers.get_archive(container, src_path)
    if dst_path == "-":
        out = session.out_bytes
        for chunk in chunks:
            out.write(chunk)
        out.flush()
        return 0
    src = CopyInfo(src_path, True, bool(_mode(stat) & archive.MODE_DIR), rebase_name)
    counter = archive.TarCounter(chunks)
    content: Iterable[bytes] = counter
    if rebase_name:
        content = archive.rebase_archive_entries(
            counter, archive.split_path_dir_entry(src.path)[1], rebase_name)
    failure: CopyError | None = None
    try:
        archive.copy_to(content, src, dst_path)
        counter.drain()
    except CopyError as exc:
        failure = exc
    except OSError as exc:
        failure = CopyError(exc.strerror.lower() if exc.strerror else str(exc))
    finally:
        _close(chunks)
    if not quiet:
        _copied(session, counter.count, dst_path)
    if failure is not None:
        raise failure
    return 0


def copy_to_container(session: Session, args: argparse.Namespace, container: str,
                      src_path: str, dst_path: str, quiet: bool) -> int:
    if src_path != "-":
        src_path = archive.resolve_local_path(src_path)
    client = session.client
    dst = CopyInfo(dst_path)
    stat, found = _stat(client, container, dst_path)
    if found and _mode(stat) & archive.MODE_SYMLINK:
        dst.path = _link_target(stat, dst_path)
        stat, found = _stat(client, container, dst.path)
    problem = archive.file_mode_problem(_mode(stat))
    if problem:
        raise CopyError(f'destination "{container}:{dst_path}" must be a directory or a '
                        f"regular file: {problem}")
    if found:
        dst.exists, dst.is_dir = True, bool(_mode(stat) & archive.MODE_DIR)
    counter: archive.Counter | None = None
    body: Any
    if src_path == "-":
        if not dst.is_dir:
            raise CopyError(f'destination "{container}:{dst_path}" must be a directory')
        body, target = sys.stdin.buffer, dst.path
    else:
        src = archive.copy_info_source_path(src_path, args.follow_link)
        target, prepared = archive.prepare_archive_copy(archive.tar_resource(src), src, dst)
        counter = archive.Counter(prepared)
        body = counter
    if quiet:
        client.containers.put_archive(container, target, body, args.archive)
        return 0
    failure: APIError | None = None
    try:
        client.containers.put_archive(container, target, body, args.archive)
    except APIError as exc:
        failure = exc
    _copied(session, counter.count if counter else 0, f"{container}:{dst.path}")
    if failure is not None:
        raise failure
    return 0


def cp(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.paths, 2, 2)
    source, destination = args.paths
    if not source:
        raise StatusError(1, "source can not be empty")
    if not destination:
        raise StatusError(1, "destination can not be empty")
    # without -q, output is quiet unless stdout is a terminal (docker 28)
    quiet = args.quiet if args.quiet is not None else not is_terminal(sys.stdout.fileno())
    src_container, src_path = archive.split_cp_arg(source)
    dst_container, dst_path = archive.split_cp_arg(destination)
    try:
        if src_container and dst_container:
            raise CopyError("copying between containers is not supported")
        if src_container:
            return copy_from_container(session, args, src_container, src_path, dst_path, quiet)
        if dst_container:
            return copy_to_container(session, args, dst_container, src_path, dst_path, quiet)
        raise CopyError("must specify at least one container source")
    except CopyError as exc:
        raise StatusError(1, str(exc)) from None


def export(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.containers, 1, 1)
    client = session.client
    if not args.output:
        if is_terminal(sys.stdout.fileno()):
            raise StatusError(1, "cowardly refusing to save to a terminal. Use the -o flag or "
                                 "redirect")
        out = session.out_bytes
        for chunk in client.containers.export(args.containers[0]):
            out.write(chunk)
        out.flush()
        return 0
    try:
        archive.validate_destination(args.output)
    except CopyError as exc:
        raise StatusError(1, f"failed to export container: {exc}") from None
    target = archive.abspath(args.output)
    fd, temp = tempfile.mkstemp(prefix=".tmp-" + archive.base(args.output),
                                dir=archive.dirname(target))
    written = False
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in client.containers.export(args.containers[0]):
                written = written or bool(chunk)
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, 0o600)
        if written:
            os.replace(temp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    return 0


def diff(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.containers, 1, 1)
    for change in session.client.containers.changes(args.containers[0]):
        kind = CHANGE_KINDS.get(int(change.get("Kind", -1)), "")
        session.print(f"{kind} {change.get('Path', '')}")
    return 0


def add_cp(sub: Subparsers, name: str = "cp") -> None:
    top = sub._prog_prefix.split()[0]
    p = command(sub, name, cp, "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
                f"\t{top} cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
                "Copy files/folders between a container and the local filesystem")
    p.add_argument("-a", "--archive", action="store_true",
                   help="Archive mode (copy all uid/gid information)")
    p.add_argument("-L", "--follow-link", action="store_true",
                   help="Always follow symbol link in SRC_PATH")
    p.add_argument("-q", "--quiet", action="store_const", const=True, default=None,
                   help="Suppress progress output during copy. Progress output is "
                        "automatically suppressed if no terminal is attached")
    p.add_argument("paths", nargs="*", metavar="PATH")


def add_export(sub: Subparsers, name: str = "export") -> None:
    p = command(sub, name, export, "[OPTIONS] CONTAINER",
                "Export a container's filesystem as a tar archive")
    p.add_argument("-o", "--output", help="Write to a file, instead of STDOUT")
    p.add_argument("containers", nargs="*", metavar="CONTAINER")


def add_diff(sub: Subparsers, name: str = "diff") -> None:
    p = command(sub, name, diff, "CONTAINER",
                "Inspect changes to files or directories on a container's filesystem")
    p.add_argument("containers", nargs="*", metavar="CONTAINER")
