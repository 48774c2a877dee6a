"""``run`` and ``create``: flags -> create body, pull when missing, attach, start, wait."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable

from skiff.cli import containerspec, opts, reference, terminal
from skiff.cli.attach import Pump
from skiff.cli.commands.common import Subparsers, command
from skiff.cli.commands.pull import pull
from skiff.cli.errors import StatusError, UsageError
from skiff.cli.interactive import detach_keys, resize_tty, signal_proxy, tty_session
from skiff.cli.session import Session
from skiff.client import APIError, ClientError
from skiff.client.errors import StreamError


def start_error_status(message: str) -> int:
    """docker run's exit status for a failed start: 127 not found, 126 not runnable."""
    if ("executable file not found" in message or "no such file or directory" in message
            or "system error: exec" in message):
        return 127
    if "permission denied" in message or "is a directory" in message:
        return 126
    return 125


def run_error(args: argparse.Namespace, message: str, code: int = 125) -> StatusError:
    """docker's format for run/create failures: "docker: <error>" plus a help hint."""
    prog = args.parser.prog
    return StatusError(code, f"{prog.split()[0]}: {message}\n\nRun '{prog} --help' for more "
                             "information")


def _spec(session: Session, args: argparse.Namespace, detach: bool,
          for_run: bool) -> containerspec.ContainerSpec:
    if not args.image:
        raise UsageError(args.parser.prog, args.parser.usage_line,
                         f"'{args.parser.prog}' requires at least 1 argument", code=1,
                         prefixed=True, hint="See")
    size = terminal.size(sys.stdout.fileno()) if args.tty else None
    try:
        return containerspec.build(args, detach, size, for_run)
    except opts.InvalidFlag as exc:
        raise UsageError(args.parser.prog, args.parser.usage_line, str(exc)) from None


def create_container(session: Session, args: argparse.Namespace,
                     spec: containerspec.ContainerSpec,
                     fail: Callable[[str], StatusError] | None = None) -> str:
    """Create, pulling first when the image is missing (or --pull=always)."""
    client = session.client
    failure = fail or (lambda message: run_error(args, message))
    try:
        reference.parse(spec.image)
    except reference.ReferenceError as exc:
        raise failure(str(exc)) from None
    try:
        if spec.pull == "always":
            _pull(session, spec)
        try:
            created = client.containers.create(spec.body, spec.name, spec.platform)
        except APIError as exc:
            if not exc.not_found or spec.pull == "never" or "image" not in exc.message.lower():
                raise
            session.err.write(f"Unable to find image "
                              f"'{reference.familiar_string(spec.image)}' locally\n")
            session.err.flush()
            _pull(session, spec)
            created = client.containers.create(spec.body, spec.name, spec.platform)
    except APIError as exc:
        raise failure(str(exc)) from None
    except StreamError as exc:
        raise failure(exc.message) from None
    for warning in created.get("Warnings") or []:
        session.err.write(f"WARNING: {warning}\n")
    container_id = str(created["Id"])
    if args.cidfile:
        with open(args.cidfile, "w") as fh:
            fh.write(container_id)
    return container_id


def _pull(session: Session, spec: containerspec.ContainerSpec) -> None:
    if spec.quiet_pull:
        with open(os.devnull, "w") as devnull:
            pull(session.client, spec.image, devnull, spec.platform)
    else:
        pull(session.client, spec.image, session.err, spec.platform)


def create(session: Session, args: argparse.Namespace) -> int:
    spec = _spec(session, args, detach=True, for_run=False)
    # docker create reports the bare error with status 1 (run: "docker: ...", 125)
    session.print(create_container(session, args, spec, lambda m: StatusError(1, m)))
    return 0


def run(session: Session, args: argparse.Namespace) -> int:
    if args.detach and args.attach:
        raise run_error(args, "Conflicting options: -a and -d")
    spec = _spec(session, args, detach=args.detach, for_run=True)
    if args.tty and spec.body["AttachStdin"] and not terminal.is_terminal(sys.stdin.fileno()):
        raise StatusError(1, "the input device is not a TTY")
    container_id = create_container(session, args, spec)
    client = session.client
    if args.detach:
        try:
            client.containers.start(container_id)
        except APIError as exc:
            raise run_error(args, str(exc), start_error_status(exc.message)) from None
        session.print(container_id)
        return 0

    stdin, stdout, stderr = containerspec.attach_streams(args, detach=False)
    keys = detach_keys(args)

    session.out.flush()
    try:
        stream = client.containers.attach(container_id, stdin=stdin, stdout=stdout,
                                          stderr=stderr, stream=True,
                                          detach_keys=args.detach_keys)
        stream.tty = bool(args.tty)
        waiter = client.containers.wait(container_id, "removed" if args.rm else "next-exit")
    except APIError as exc:
        raise run_error(args, str(exc)) from None
    pump = Pump(stream, session.out_bytes if stdout else None,
                session.err_bytes if stderr else None,
                sys.stdin.fileno() if stdin else None, keys if args.tty else None)
    with tty_session(client, container_id, args.tty, raw=stdin), \
            signal_proxy(client, container_id, args.sig_proxy and not args.tty):
        try:
            client.containers.start(container_id)
        except APIError as exc:
            stream.close()
            if args.rm:
                with contextlib.suppress(ClientError):
                    waiter.result()
            raise run_error(args, str(exc), start_error_status(exc.message)) from None
        if args.tty:
            resize_tty(client, container_id)
        detached = pump.run()
    if detached:
        waiter.close()
        return 0
    result = waiter.result()
    error = (result.get("Error") or {}).get("Message") if result.get("Error") else None
    if error:
        session.err.write(f"{error}\n")
    return int(result.get("StatusCode", 125))


def add_create(sub: Subparsers, name: str = "create") -> None:
    p = command(sub, name, create, "[OPTIONS] IMAGE [COMMAND] [ARG...]",
                "Create a new container", add_help=False, interspersed=False)
    containerspec.add_flags(p)
    p.set_defaults(detach=True, detach_keys=None, sig_proxy=False)


def add_run(sub: Subparsers, name: str = "run") -> None:
    p = command(sub, name, run, "[OPTIONS] IMAGE [COMMAND] [ARG...]",
                "Create and run a new container from an image", add_help=False,
                interspersed=False)
    p.add_argument("-d", "--detach", action="store_true",
                   help="Run container in background and print container ID")
    p.add_argument("--detach-keys", help="Override the key sequence for detaching a container")
    p.add_argument("--sig-proxy", action="store_true", default=True,
                   help="Proxy received signals to the process")
    containerspec.add_flags(p)
