"""``skiff stats``: live resource use of containers, as ``docker stats`` shows it
(``--no-stream`` for one table, ``-a`` for stopped ones too, ``--format``)."""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from skiff.cli.commands.common import Subparsers, command
from skiff.cli.format import stats as fmt
from skiff.cli.format.formatter import render
from skiff.cli.terminal import is_terminal
from skiff.client import APIError

if TYPE_CHECKING:
    from skiff.cli.session import Session

REFRESH = 1.0  # seconds between tables when streaming


def rows(session: Session, refs: list[str]) -> list[fmt.StatsContext]:
    """A row per container, their samples read at the same time."""
    client = session.client

    def one(ref: str) -> fmt.StatsContext:
        sample: dict[str, Any] = client.containers.stats(ref)
        return fmt.StatsContext(sample.get("id", ref), str(sample.get("name", "")).lstrip("/"),
                                fmt.figures(sample))

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(one, refs))


def stats(session: Session, args: argparse.Namespace) -> int:
    client = session.client
    named = list(args.containers)
    for ref in named:
        try:
            client.containers.inspect(ref)
        except APIError as exc:
            session.warn(f"Error response from daemon: {exc.message}")
            return 1
    terminal = is_terminal(sys.stdout.fileno()) if hasattr(sys.stdout, "fileno") else False
    while True:
        refs = named or [c["Id"] for c in client.containers.list(all=args.all)]
        table = render(args.format or "table", rows(session, refs), fmt.DEFAULT, fmt.HEADERS)
        if not args.no_stream and terminal:
            session.out.write("\x1b[2J\x1b[H")
        session.out.write(table)
        session.out.flush()
        if args.no_stream:
            return 0
        try:
            time.sleep(REFRESH)
        except KeyboardInterrupt:
            return 0


def add_stats(sub: Subparsers, name: str = "stats") -> None:
    p = command(sub, name, stats, "[OPTIONS] [CONTAINER...]",
                "Display a live stream of container(s) resource usage statistics")
    p.add_argument("containers", nargs="*")
    p.add_argument("-a", "--all", action="store_true",
                   help="Show all containers (default shows just running)")
    p.add_argument("--format", help="Format output using a custom template")
    p.add_argument("--no-stream", action="store_true",
                   help="Disable streaming stats and only pull the first result")
    p.add_argument("--no-trunc", action="store_true", help="Do not truncate output")
