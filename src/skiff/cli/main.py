"""``skiff``: parse the command line, run one command, map errors to docker's exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from skiff import __version__
from skiff.cli.commands.tree import add_all
from skiff.cli.errors import StatusError, UsageError
from skiff.cli.format.formatter import FormatError
from skiff.cli.parser import CommandParser
from skiff.cli.session import Session
from skiff.client import APIError, ClientError


def build_parser() -> CommandParser:
    """The whole argument parser."""
    parser = CommandParser(prog="skiff", usage_line="skiff [OPTIONS] COMMAND",
                           usage="skiff [OPTIONS] COMMAND",
                           description="A self-sufficient runtime for containers")
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
    sub = parser.add_subparsers(title="Commands", metavar="COMMAND", prog="skiff",
                                parser_class=CommandParser)
    add_all(sub)
    return parser


def run(argv: Sequence[str], session: Session | None = None) -> int:
    """Run one command line; return the exit status."""
    parser = build_parser()
    err = session.err if session else sys.stderr
    try:
        args = parser.parse_args(list(argv))
    except UsageError as exc:
        err.write(exc.render())
        return exc.code
    if args.version:
        print(f"Skiff version {__version__}")
        return 0
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    session = session or Session(args.host)
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
