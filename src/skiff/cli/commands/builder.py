"""``skiff builder``: the build cache. ``prune`` as docker's; ``cache ls|export|import`` carry
the cache mounts of ``RUN --mount=type=cache`` between machines (a CI runner's cache, say)."""

from __future__ import annotations

import argparse
import os
import sys

from skiff.api.humanize import ram_in_bytes
from skiff.cli.commands.common import Subparsers, add_filter_flag, command, filters_from
from skiff.cli.errors import StatusError
from skiff.cli.format.table import tabwrite
from skiff.cli.format.units import human_size
from skiff.cli.parser import CommandParser, check_args
from skiff.cli.session import Session
from skiff.cli.terminal import is_terminal


def prune(session: Session, args: argparse.Namespace) -> int:
    if not args.force:
        session.out.write("WARNING! This will remove all dangling build cache. "
                          "Are you sure you want to continue? [y/N] ")
        session.out.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            return 0
    try:
        keep = ram_in_bytes(args.keep_storage) if args.keep_storage else 0
    except ValueError as exc:
        raise StatusError(125, f'invalid argument "{args.keep_storage}" for "--keep-storage" '
                               f'flag: {exc}') from None
    result = session.client.images.build_prune(args.all, filters_from(args), keep)
    for ident in result.get("CachesDeleted") or []:
        session.print(ident)
    if result.get("CachesDeleted"):
        session.print("")
    session.print(f"Total:\t{human_size(result.get('SpaceReclaimed') or 0)}")
    return 0


def cache_ls(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.args, 0, 0)
    rows = ["ID\tSIZE\tLAST USED\t"]
    rows += [f"{e['ID']}\t{human_size(e['Size'])}\t{e['LastUsed']}\t"
             for e in session.client.images.build_cache()]
    session.out.write(tabwrite("\n".join(rows) + "\n"))
    return 0


def cache_export(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.args, 1, 1)
    if args.output is None and is_terminal(sys.stdout.fileno()):
        raise StatusError(1, "cowardly refusing to write a tar to a terminal. Use the -o flag "
                             "or redirect")
    chunks = session.client.images.export_build_cache(args.args[0])
    if args.output is None:
        for chunk in chunks:
            session.out_bytes.write(chunk)
        session.out_bytes.flush()
        return 0
    partial = args.output + ".skiff-partial"
    try:
        with open(partial, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
    except OSError as exc:
        raise StatusError(1, f"failed to export the cache: {exc}") from None
    os.replace(partial, args.output)
    return 0


def cache_import(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.args, 1, 1)
    try:
        source = open(args.input, "rb") if args.input else sys.stdin.buffer  # noqa: SIM115
    except OSError as exc:
        raise StatusError(1, f"failed to read {args.input}: {exc.strerror}") from None
    try:
        result = session.client.images.import_build_cache(args.args[0], source)
    finally:
        if args.input:
            source.close()
    session.print(f"imported {result.get('Entries', 0)} entries into cache {args.args[0]}")
    return 0


def _cache_help(session: Session, args: argparse.Namespace) -> int:
    args.parser.print_help(session.out)
    return 0


def add_builder_group(group: Subparsers) -> None:
    p = command(group, "prune", prune, "[OPTIONS]", "Remove build cache")
    p.add_argument("-a", "--all", action="store_true",
                   help="Remove all unused build cache, not just dangling ones")
    p.add_argument("-f", "--force", action="store_true",
                   help="Do not prompt for confirmation")
    add_filter_flag(p, "Provide filter values (e.g. \"until=24h\", \"type=exec.cachemount\")",
                    short=False)
    p.add_argument("--keep-storage", "--reserved-space", metavar="BYTES",
                   help="Amount of disk space to keep for cache")

    cache = command(group, "cache", _cache_help, "COMMAND",
                    "Manage the cache mounts of RUN --mount=type=cache")
    sub = cache.add_subparsers(title="Commands", metavar="COMMAND", prog=cache.prog,
                               parser_class=CommandParser)
    p = command(sub, "ls", cache_ls, "", "List the cache mounts")
    p.add_argument("args", nargs="*")
    p = command(sub, "export", cache_export, "[OPTIONS] ID",
                "Write a cache mount as a tar archive (to STDOUT by default)")
    p.add_argument("-o", "--output", help="Write to a file, instead of STDOUT")
    p.add_argument("args", nargs="*")
    p = command(sub, "import", cache_import, "[OPTIONS] ID",
                "Replace a cache mount with a tar archive (from STDIN by default)")
    p.add_argument("-i", "--input", help="Read from a tar archive file, instead of STDIN")
    p.add_argument("args", nargs="*")
