"""``attach``: connect the local stdio to a running container."""

from __future__ import annotations

import argparse
import sys

from skiff.cli.attach import Pump
from skiff.cli.commands.common import Subparsers, command
from skiff.cli.errors import StatusError
from skiff.cli.interactive import detach_keys, resize_tty, signal_proxy, tty_session
from skiff.cli.parser import check_args
from skiff.cli.session import Session


def attach(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.containers, 1, 1)
    client = session.client
    info = client.containers.inspect(args.containers[0])
    state = info.get("State") or {}
    if not state.get("Running"):
        raise StatusError(1, "You cannot attach to a stopped container, start it first")
    if state.get("Paused"):
        raise StatusError(1, "You cannot attach to a paused container, unpause it first")
    if state.get("Restarting"):
        raise StatusError(1, "You cannot attach to a restarting container, wait until it is "
                             "running")
    container_id = str(info["Id"])
    config = info.get("Config") or {}
    tty = bool(config.get("Tty"))
    stdin = bool(config.get("OpenStdin")) and not args.no_stdin
    keys = detach_keys(args)
    stream = client.containers.attach(container_id, stdin=stdin, stdout=True, stderr=True,
                                      stream=True, detach_keys=args.detach_keys)
    stream.tty = tty
    pump = Pump(stream, session.out_bytes, session.err_bytes,
                sys.stdin.fileno() if stdin else None, keys if tty else None)
    with tty_session(client, container_id, tty, raw=stdin), \
            signal_proxy(client, container_id, args.sig_proxy and not tty):
        if tty:
            resize_tty(client, container_id)
        detached = pump.run()
    if detached:
        return 0
    result = client.containers.wait(container_id, "not-running").result()
    return int(result.get("StatusCode", 0))


def add_attach(sub: Subparsers, name: str = "attach") -> None:
    p = command(sub, name, attach, "[OPTIONS] CONTAINER",
                "Attach local standard input, output, and error streams to a running container")
    p.add_argument("--detach-keys", help="Override the key sequence for detaching a container")
    p.add_argument("--no-stdin", action="store_true", help="Do not attach STDIN")
    p.add_argument("--sig-proxy", action="store_true", default=True,
                   help="Proxy all received signals to the process")
    p.add_argument("containers", nargs="*", metavar="CONTAINER")
