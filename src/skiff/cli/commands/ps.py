"""``ps`` (``container ls``) and ``top``."""

from __future__ import annotations

import argparse

from skiff.cli.commands.common import (
    Subparsers,
    add_filter_flag,
    add_format_flag,
    command,
    filters_from,
)
from skiff.cli.format import containers as fmt
from skiff.cli.format.formatter import render
from skiff.cli.format.table import tabwrite
from skiff.cli.parser import check_args
from skiff.cli.session import Session


def ps(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.extra, 0, 0)
    spec = args.format
    if args.quiet and not spec:
        spec = fmt.QUIET
    elif not spec or spec == "table":
        spec = fmt.DEFAULT_WITH_SIZE if args.size else fmt.DEFAULT
    limit = 1 if args.latest and args.last == -1 else args.last
    size = args.size or (not args.quiet and fmt.uses_size(spec))
    found = session.client.containers.list(all=args.all, limit=limit, size=size,
                                           filters=filters_from(args))
    rows = [fmt.ContainerContext(c, trunc=not args.no_trunc) for c in found]
    session.out.write(render(spec, rows, fmt.DEFAULT, fmt.HEADERS,
                             empty=lambda: fmt.ContainerContext({})))
    return 0


def top(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.args, 1)
    ref, *ps_args = args.args
    result = session.client.containers.top(ref, " ".join(ps_args) or None)
    lines = ["\t".join(result.get("Titles") or [])]
    lines += ["\t".join(str(v) for v in proc) for proc in result.get("Processes") or []]
    session.out.write(tabwrite("\n".join(lines) + "\n", minwidth=20))
    return 0


def add_ps(sub: Subparsers, name: str = "ps", aliases: tuple[str, ...] = ()) -> None:
    p = command(sub, name, ps, "[OPTIONS]", "List containers", aliases=aliases)
    p.add_argument("-a", "--all", action="store_true",
                   help="Show all containers (default shows just running)")
    add_filter_flag(p)
    add_format_flag(p)
    p.add_argument("-n", "--last", type=int, default=-1,
                   help="Show n last created containers (includes all states)")
    p.add_argument("-l", "--latest", action="store_true",
                   help="Show the latest created container (includes all states)")
    p.add_argument("--no-trunc", action="store_true", help="Don't truncate output")
    p.add_argument("-q", "--quiet", action="store_true", help="Only display container IDs")
    p.add_argument("-s", "--size", action="store_true", help="Display total file sizes")
    p.add_argument("extra", nargs="*", help=argparse.SUPPRESS)


def add_top(sub: Subparsers, name: str = "top") -> None:
    p = command(sub, name, top, "CONTAINER [ps OPTIONS]",
                "Display the running processes of a container", interspersed=False)
    p.add_argument("args", nargs=argparse.REMAINDER)
