"""``exec``: run a command in a running container, attached (hijacked stream) or detached."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from skiff.cli import opts, terminal
from skiff.cli.attach import DEFAULT_DETACH_KEYS, Pump
from skiff.cli.commands.common import Subparsers, command
from skiff.cli.errors import StatusError, UsageError
from skiff.cli.interactive import resize_exec_tty, tty_session
from skiff.cli.parser import check_args
from skiff.cli.session import Session
from skiff.client import APIError, ConnectionFailed


def env_flags(args: argparse.Namespace) -> list[str]:
    """-e values; a bad one is a flag error, as pflag reports it while parsing."""
    try:
        return opts.env_list(args.env)
    except opts.InvalidFlag as exc:
        raise UsageError(args.parser.prog, args.parser.usage_line, str(exc)) from None


def exec_config(args: argparse.Namespace, command: list[str], env: list[str],
                console_size: list[int] | None) -> dict[str, Any]:
    """The ExecConfig body for these flags (docker's parseExec)."""
    from_files: list[str] = []
    try:
        for path in args.env_file:
            from_files += opts.read_env_file(path)
    except opts.InvalidFlag as exc:
        raise StatusError(1, exc.reason) from None
    attach = not args.detach
    config: dict[str, Any] = {
        "User": args.user, "Privileged": args.privileged, "Tty": args.tty,
        "AttachStdin": attach and args.interactive, "AttachStdout": attach,
        "AttachStderr": attach, "DetachKeys": args.detach_keys or "",
        "Env": from_files + env, "WorkingDir": args.workdir, "Cmd": command,
    }
    if console_size is not None:
        config["ConsoleSize"] = console_size
    return config


def _detach_keys(spec: str | None) -> bytes:
    if not spec:
        return DEFAULT_DETACH_KEYS
    try:
        return terminal.parse_detach_keys(spec)
    except ValueError:
        return DEFAULT_DETACH_KEYS  # the daemon refuses the exec with its own message


def exec_(session: Session, args: argparse.Namespace) -> int:
    env = env_flags(args)
    check_args(args, args.args, 2)
    container, *command = args.args
    size = terminal.size(sys.stdout.fileno()) if args.tty else None
    console = [size[0], size[1]] if size else [0, 0] if args.tty else None
    config = exec_config(args, command, env, console)
    client = session.client
    client.containers.inspect(container)  # "No such container" before anything else
    stdin_is_tty = terminal.is_terminal(sys.stdin.fileno())
    if not args.detach and config["AttachStdin"] and args.tty and not stdin_is_tty:
        raise StatusError(1, "the input device is not a TTY")
    exec_id = client.execs.create(container, config)
    if not exec_id:
        raise StatusError(1, "exec ID empty")
    if args.detach:
        client.execs.start_detached(exec_id, args.tty, console)
        return 0
    session.out.flush()
    try:
        stream = client.execs.start(exec_id, args.tty, console)
    except APIError as exc:
        raise StatusError(1, f"unable to upgrade to tcp, received {exc.status}") from None
    stdout = session.out_bytes
    pump = Pump(stream, stdout, stdout if args.tty else session.err_bytes,
                sys.stdin.fileno() if config["AttachStdin"] else None,
                _detach_keys(args.detach_keys) if args.tty else None)
    with tty_session(client, exec_id, args.tty, raw=bool(config["AttachStdin"]),
                     resize=lambda: resize_exec_tty(client, exec_id)):
        if args.tty and stdin_is_tty:
            resize_exec_tty(client, exec_id)
        pump.run()
    stream.close()
    try:
        info = client.execs.inspect(exec_id)
    except ConnectionFailed:
        return 255  # docker: the daemon went away, status -1
    return int(info.get("ExitCode") or 0)


def add_exec(sub: Subparsers, name: str = "exec") -> None:
    p = command(sub, name, exec_, "[OPTIONS] CONTAINER COMMAND [ARG...]",
                "Execute a command in a running container", interspersed=False)
    a = p.add_argument
    a("-d", "--detach", action="store_true",
      help="Detached mode: run command in the background")
    a("--detach-keys", help="Override the key sequence for detaching a container")
    a("-e", "--env", action="append", default=[], help="Set environment variables")
    a("--env-file", action="append", default=[], help="Read in a file of environment variables")
    a("-i", "--interactive", action="store_true", help="Keep STDIN open even if not attached")
    a("--privileged", action="store_true", help="Give extended privileges to the command")
    a("-t", "--tty", action="store_true", help="Allocate a pseudo-TTY")
    a("-u", "--user", default="", help='Username or UID (format: "<name|uid>[:<group|gid>]")')
    a("-w", "--workdir", default="", help="Working directory inside the container")
    a("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
