"""``skiff``: parse the command line, run one command, map errors to docker's exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from skiff import __version__
from skiff.cli.commands.tree import add_commands
from skiff.cli.errors import FormatError, StatusError, UsageError
from skiff.cli.parser import CommandParser, command_words
from skiff.client import APIError, ClientError

if TYPE_CHECKING:  # imported in run, once a command runs
    from skiff.cli.session import Session


def _global_parser(add_help: bool = True) -> CommandParser:
    """skiff's parser with the global flags only."""
    parser = CommandParser(prog="skiff", usage_line="skiff [OPTIONS] COMMAND",
                           usage="skiff [OPTIONS] COMMAND",
                           description="A self-sufficient runtime for containers",
                           add_help=add_help)
    parser.add_argument("-H", "--host", help="Daemon socket to connect to")
    parser.add_argument("-c", "--context", help="Name of the context to use (ignored)")
    parser.add_argument("--config", help="Location of client config files (ignored)")
    parser.add_argument("-D", "--debug", action="store_true", help="Enable debug mode")
    parser.add_argument("-l", "--log-level", help="Set the logging level")
    parser.add_argument("--tls", action="store_true", help="Use TLS (not supported)")
    parser.add_argument("--tlsverify", action="store_true", help="Use TLS and verify the remote"
                                                                 " (not supported)")
    parser.add_argument("-v", "--version", action="store_true",
                        help="Print version information and quit")
    return parser


def build_parser(argv: Sequence[str] | None = None) -> CommandParser:
    """The whole argument parser; given ``argv``, only the parts needed to parse it.

    Building every command's parser takes ~16 ms, plus importing every command module for it,
    so ``run`` builds only the parser of the command it runs (see ``tree.add_commands``). A
    command line without a command needs none.
    """
    parser = _global_parser()
    sub = parser.add_subparsers(title="Commands", metavar="COMMAND", prog="skiff",
                                parser_class=CommandParser)
    words = None if argv is None else command_words(_global_parser(add_help=False), argv)
    if words != []:
        add_commands(sub, words)
    return parser


def run(argv: Sequence[str], session: Session | None = None) -> int:
    """Run one command line; return the exit status."""
    argv = list(argv)
    parser = build_parser(argv)
    err = session.err if session else sys.stderr
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        err.write(exc.render())
        return exc.code
    if args.version:
        print(f"Skiff version {__version__}")
        return 0
    handler = getattr(args, "handler", None)
    if handler is None:
        build_parser().print_help()  # with every command, which ``parser`` lacks
        return 0
    if session is None:
        # imported here: --version and usage errors need no session (and its pathlib, ~3 ms)
        from skiff.cli.session import Session

        session = Session(args.host)
    try:
        return int(handler(session, args) or 0)
    except UsageError as exc:
        err.write(exc.render())
        return exc.code
    except StatusError as exc:
        if exc.message:
            err.write(exc.message.rstrip("\n") + "\n")
        return exc.code
    except FormatError as exc:
        err.write(f"{exc}\n")
        return 1
    except (APIError, ClientError) as exc:
        err.write(f"{exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    try:
        code = run(sys.argv[1:] if argv is None else argv)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    sys.exit(code)


if __name__ == "__main__":
    main()
