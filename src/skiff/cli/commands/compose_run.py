"""``skiff compose exec`` and ``run``: a command in a service's running container, or in a
one-off container of the service."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from skiff.cli import terminal
from skiff.cli.commands.common import Subparsers, command
from skiff.cli.commands.compose import containers, load, parallel, progress
from skiff.cli.errors import StatusError
from skiff.client import APIError
from skiff.errdefs import InvalidParameter

if TYPE_CHECKING:
    from skiff.cli.session import Session


def compose_exec(session: Session, args: argparse.Namespace) -> int:
    from skiff.cli.commands.execs import exec_

    if not args.args:
        raise StatusError(1, "\"docker compose exec\" requires at least 2 arguments.")
    service, *cmd = args.args
    if not cmd:
        raise StatusError(1, "\"docker compose exec\" requires at least 2 arguments.")
    loaded = load(args, (service,), need_file=False)
    running = [c for c in containers(session, loaded, [service], all=False)]
    chosen = [c for c in running if c.number == args.index]
    if not chosen:
        raise StatusError(1, f"service \"{service}\" is not running")
    tty = not args.no_tty and terminal.is_terminal(sys.stdin.fileno())
    call = argparse.Namespace(
        env=args.env, env_file=[], user=args.user or "", privileged=args.privileged, tty=tty,
        interactive=not args.detach and not args.no_tty, detach=args.detach,
        detach_keys=None, workdir=args.workdir or "", args=[chosen[0].id, *cmd],
        parser=args.parser)
    return exec_(session, call)


def compose_run(session: Session, args: argparse.Namespace) -> int:
    # imported here, as the other commands need none of it
    import secrets

    from skiff.cli import opts
    from skiff.cli.attach import Pump
    from skiff.cli.interactive import resize_tty, signal_proxy, tty_session
    from skiff.compose.converge import Converger
    from skiff.compose.model import replace

    if not args.args:
        raise StatusError(1, "\"docker compose run\" requires at least 1 argument.")
    service_name, *cmd = args.args
    loaded = load(args, (service_name,))
    if service_name not in loaded.project.services:
        raise StatusError(1, f"no such service: {service_name}")
    service = loaded.project.services[service_name]
    update: dict[str, Any] = {}
    if cmd:
        update["command"] = cmd
    if args.entrypoint is not None:
        update["entrypoint"] = opts_split(args.entrypoint)
    if args.env:
        env = dict(service.environment)
        for item in opts.env_list(args.env):
            key, _, value = item.partition("=")
            env[key] = value
        update["environment"] = env
    if args.user:
        update["user"] = args.user
    if args.workdir:
        update["working_dir"] = args.workdir
    if not args.service_ports:
        update["ports"] = []
    if args.publish:
        from skiff.compose.canonical import port
        from skiff.compose.model import Port, parse

        update["ports"] = [parse(Port, p) for spec in args.publish
                           for p in port(spec, "--publish")]
    if args.volume:
        from skiff.compose.canonical import volume_mount
        from skiff.compose.model import Mount, parse

        mounts = [volume_mount(v, "-v") for v in args.volume]
        for mount in mounts:  # a relative bind source is the project directory's
            if mount["type"] == "bind":
                mount["source"] = str((loaded.working_dir / mount["source"]).resolve())
        update["volumes"] = [*service.volumes, *(parse(Mount, m) for m in mounts)]
    tty = not args.no_tty and terminal.is_terminal(sys.stdin.fileno())
    update["tty"] = tty
    update["stdin_open"] = not args.detach
    update["container_name"] = args.name or \
        f"{loaded.project.name}-{service_name}-run-{secrets.token_hex(6)}"
    update["restart"] = "no"
    service = replace(service, **update)
    report = progress(session, args)
    try:
        converger = Converger(session.client, loaded, report, parallel(args))
        if not args.no_deps:
            from skiff.compose.converge import UpOptions

            deps = tuple(service.depends_on)
            if deps:
                converger.up(UpOptions(deps))
        converger.service_images[service_name] = converger.images.resolve(service, args.build,
                                                                          False)
        converger.resources.networks({service_name})
        converger.resources.volumes({service_name})
        attached = not args.detach
        changes = {"AttachStdin": attached, "AttachStdout": attached,
                   "AttachStderr": attached, "OpenStdin": attached, "StdinOnce": attached,
                   "HostConfig": {"AutoRemove": bool(args.rm)}}
        container_id = converger.create(service, 1, start=False, oneoff=True,
                                        body_changes=changes)
    except (InvalidParameter, APIError) as exc:
        raise StatusError(1, getattr(exc, "message", None) or str(exc)) from None
    client = session.client
    if args.detach:
        client.containers.start(container_id)
        session.print(update["container_name"])
        return 0
    session.out.flush()
    stream = client.containers.attach(container_id, stdin=True, stdout=True, stderr=True,
                                      stream=True)
    stream.tty = tty
    waiter = client.containers.wait(container_id, "removed" if args.rm else "next-exit")
    pump = Pump(stream, session.out_bytes, session.out_bytes if tty else session.err_bytes,
                sys.stdin.fileno(), None)
    with tty_session(client, container_id, tty, raw=tty), \
            signal_proxy(client, container_id, not tty):
        client.containers.start(container_id)
        if tty:
            resize_tty(client, container_id)
        pump.run()
    result = waiter.result()
    return int(result.get("StatusCode", 0))


def opts_split(text: str) -> list[str]:
    import shlex

    return shlex.split(text) if text else [""]


def add_commands(group: Subparsers) -> None:
    p = command(group, "exec", compose_exec, "[OPTIONS] SERVICE COMMAND [ARGS...]",
                "Execute a command in a running container", interspersed=False)
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.add_argument("-d", "--detach", action="store_true", help="Detached mode: Run command in "
                   "the background")
    p.add_argument("-T", "--no-TTY", dest="no_tty", action="store_true",
                   help="Disable pseudo-TTY allocation")
    p.add_argument("-u", "--user", help="Run the command as this user")
    p.add_argument("-w", "--workdir", help="Path to workdir directory for this command")
    p.add_argument("-e", "--env", action="append", default=[], help="Set environment "
                   "variables")
    p.add_argument("--index", type=int, default=1, help="Index of the container if service "
                   "has multiple replicas")
    p.add_argument("--privileged", action="store_true", help="Give extended privileges to "
                   "the process")
    p = command(group, "run", compose_run, "[OPTIONS] SERVICE [COMMAND] [ARGS...]",
                "Run a one-off command on a service", interspersed=False)
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.add_argument("-d", "--detach", action="store_true", help="Run container in background "
                   "and print container ID")
    p.add_argument("--rm", action="store_true", help="Automatically remove the container when "
                   "it exits")
    p.add_argument("--no-deps", action="store_true", help="Don't start linked services")
    p.add_argument("--build", action="store_true", help="Build image before starting "
                   "container")
    p.add_argument("-e", "--env", action="append", default=[], help="Set environment "
                   "variables")
    p.add_argument("-v", "--volume", action="append", default=[], help="Bind mount a volume")
    p.add_argument("-p", "--publish", action="append", default=[], help="Publish a "
                   "container's port(s) to the host")
    p.add_argument("-P", "--service-ports", action="store_true", help="Run command with all "
                   "service's ports enabled and mapped to the host")
    p.add_argument("--name", help="Assign a name to the container")
    p.add_argument("--entrypoint", help="Override the entrypoint of the image")
    p.add_argument("-u", "--user", help="Run as specified username or uid")
    p.add_argument("-w", "--workdir", help="Working directory inside the container")
    p.add_argument("-T", "--no-TTY", dest="no_tty", action="store_true",
                   help="Disable pseudo-TTY allocation")
    p.add_argument("-i", "--interactive", action="store_true", default=True,
                   help="Keep STDIN open even if not attached")
