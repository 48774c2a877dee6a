"""Helpers shared by commands: registration, per-reference loops, filters, prompts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from skiff.cli.errors import StatusError, UsageError
from skiff.cli.parser import CommandParser
from skiff.client import APIError

if TYPE_CHECKING:  # main imports this module; the session only once a command runs
    from skiff.cli.session import Session

Handler = Callable[["Session", argparse.Namespace], int | None]
Subparsers = Any  # argparse's private _SubParsersAction


def command(sub: Subparsers, name: str, handler: Handler, usage: str, help: str,
            aliases: Sequence[str] = (), add_help: bool = True,
            interspersed: bool = True) -> CommandParser:
    """Add a subcommand whose usage line and errors look like docker's."""
    prog = f"{sub._prog_prefix} {name}"
    parser: CommandParser = sub.add_parser(
        name, aliases=list(aliases), help=help, description=help, add_help=add_help,
        usage_line=f"{prog} {usage}".rstrip(), usage=f"{prog} {usage}".rstrip(),
        prog=prog, interspersed=interspersed)
    if not add_help:
        parser.add_argument("--help", action="help", help="Print usage")
    parser.set_defaults(handler=handler, parser=parser)
    return parser


def for_each(session: Session, refs: Sequence[str], action: Callable[[str], object],
             echo: bool = True, ignore_not_found: bool = False,
             summary: Callable[[list[str]], str] | None = None) -> int:
    """Run ``action`` per reference; print each success, collect errors; exit 1 if any.

    ``ignore_not_found`` reports missing objects without failing (``rm -f``); ``summary``
    adds docker's closing line naming the references that failed.
    """
    errors: list[str] = []
    failed: list[str] = []
    for ref in refs:
        try:
            action(ref)
        except APIError as exc:
            if ignore_not_found and exc.not_found:
                session.err.write(f"{exc}\n")
                continue
            errors.append(str(exc))
            failed.append(ref)
            continue
        if echo:
            session.print(ref)
            session.out.flush()
    if errors:
        if summary is not None:
            errors.append(summary(failed))
        raise StatusError(1, "\n".join(errors))
    return 0


def parse_filters(values: Sequence[str]) -> dict[str, list[str]]:
    """``-f key=value`` flags -> {key: [values]}."""
    filters: dict[str, list[str]] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise FilterError(item)
        filters.setdefault(key.strip().lower(), []).append(value)
    return filters


class FilterError(ValueError):
    """A ``-f`` value without ``=``."""

    def __init__(self, item: str) -> None:
        super().__init__(item)
        self.item = item


def filters_from(args: argparse.Namespace) -> dict[str, list[str]]:
    """Parse ``args.filter``; a bad value is a usage error naming the flag as docker does."""
    try:
        return parse_filters(args.filter)
    except FilterError as exc:
        parser = args.parser
        flag = next((", ".join(a.option_strings) for a in parser._actions
                     if a.dest == "filter"), "--filter")
        raise UsageError(parser.prog, parser.usage_line,
                         f'invalid argument "{exc.item}" for "{flag}" flag: bad format of '
                         "filter (expected name=value)") from None


def add_filter_flag(parser: argparse.ArgumentParser, help: str = "Filter output based on "
                    "conditions provided", short: bool = True) -> None:
    names = ["-f", "--filter"] if short else ["--filter"]
    parser.add_argument(*names, dest="filter", action="append", default=[], help=help)


def add_format_flag(parser: argparse.ArgumentParser, short: bool = False) -> None:
    names = ["-f", "--format"] if short else ["--format"]
    parser.add_argument(*names, dest="format", default="",
                        help="Format output using a custom template")


def confirm(session: Session, message: str, force: bool) -> bool:
    """docker's ``[y/N]`` prompt (skipped with --force)."""
    if force:
        return True
    session.out.write(f"{message} [y/N] ")
    session.out.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")
