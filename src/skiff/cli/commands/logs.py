"""``logs``: fetch (and follow) a container's output."""

from __future__ import annotations

import argparse

from skiff.cli.commands.common import Subparsers, command
from skiff.cli.errors import StatusError
from skiff.cli.parser import check_args
from skiff.cli.session import Session
from skiff.cli.timearg import timestamp_arg
from skiff.client.streams import STDERR, demux


def logs(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.containers, 1, 1)
    ref = args.containers[0]
    client = session.client
    info = client.containers.inspect(ref)
    try:
        since = timestamp_arg(args.since) if args.since else None
        until = timestamp_arg(args.until) if args.until else None
    except ValueError as exc:
        raise StatusError(1, str(exc)) from None
    chunks = client.containers.logs(str(info["Id"]), follow=args.follow,
                                    timestamps=args.timestamps, tail=args.tail,
                                    since=since, until=until)
    out, err = session.out_bytes, session.err_bytes
    try:
        if info.get("Config", {}).get("Tty"):
            for chunk in chunks:
                out.write(chunk)
                out.flush()
        else:
            for stream, payload in demux(chunks):
                target = err if stream == STDERR else out
                target.write(payload)
                target.flush()
    except BrokenPipeError:
        return 0
    return 0


def add_logs(sub: Subparsers, name: str = "logs") -> None:
    p = command(sub, name, logs, "[OPTIONS] CONTAINER", "Fetch the logs of a container")
    p.add_argument("--details", action="store_true", help="Show extra details provided to logs")
    p.add_argument("-f", "--follow", action="store_true", help="Follow log output")
    p.add_argument("--since", help="Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") "
                                   "or relative (e.g. \"42m\" for 42 minutes)")
    p.add_argument("-n", "--tail", default="all",
                   help="Number of lines to show from the end of the logs")
    p.add_argument("-t", "--timestamps", action="store_true", help="Show timestamps")
    p.add_argument("--until", help="Show logs before a timestamp (e.g. "
                                   "\"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 "
                                   "minutes)")
    p.add_argument("containers", nargs="*", metavar="CONTAINER")
