"""``skiff compose``: the parser (compose v2's global flags and commands) and the commands
that act on a project's containers one by one (start, stop, restart, kill, pause, unpause,
rm)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from skiff.cli.commands.common import Subparsers, command
from skiff.cli.errors import StatusError
from skiff.cli.parser import CommandParser
from skiff.errdefs import InvalidParameter

if TYPE_CHECKING:
    from skiff.cli.session import Session
    from skiff.compose.loader import Loaded
    from skiff.compose.observe import Observed
    from skiff.compose.progress import Progress


def load(args: argparse.Namespace, services: tuple[str, ...] = (),
         interpolate: bool = True, need_file: bool = True) -> Loaded:
    """The project the global flags name; a one-line error when it cannot be loaded. With
    ``need_file`` false, a ``-p`` project without files is an empty project of that name."""
    from skiff.compose import loader
    from skiff.compose.model import Project

    options = loader.Options(
        files=tuple(args.file or ()), project_directory=args.project_directory,
        project_name=args.project_name, env_files=tuple(args.env_file or ()),
        profiles=tuple(p for given in args.profile or () for p in given.split(",") if p),
        services=services, interpolate=interpolate)
    try:
        stdin = sys.stdin.read() if "-" in options.files else None
        return loader.load(options, stdin)
    except InvalidParameter as exc:
        if not need_file and args.project_name and "no configuration file" in str(exc):
            name = loader.normalize_name(args.project_name)
            return loader.Loaded(Project(name=name), [], Path.cwd(), {}, [], {}, {})
        raise StatusError(1, str(exc)) from None


def parallel(args: argparse.Namespace) -> int | None:
    """``--parallel`` (else ``COMPOSE_PARALLEL_LIMIT``): the most services handled at once;
    None for no limit (-1, compose's default)."""
    value = getattr(args, "parallel", -1)
    if value == -1 and os.environ.get("COMPOSE_PARALLEL_LIMIT"):
        try:
            value = int(os.environ["COMPOSE_PARALLEL_LIMIT"])
        except ValueError:
            raise StatusError(1, "COMPOSE_PARALLEL_LIMIT must be a number") from None
    return value if value > 0 else None


def progress(session: Session, args: argparse.Namespace) -> Progress:
    from skiff.cli.terminal import is_terminal
    from skiff.compose.progress import Progress

    mode = getattr(args, "progress", "auto")
    try:
        terminal = is_terminal(session.err.fileno())
    except (AttributeError, ValueError, OSError):
        terminal = False
    return Progress(session.err, quiet=mode == "quiet",
                    tty=mode == "tty" or (mode == "auto" and terminal and args.ansi != "never"))


def containers(session: Session, loaded: Loaded, services: list[str],
               all: bool = True, oneoff: bool | None = False) -> list[Observed]:
    """The project's containers of these services (all services when none)."""
    from skiff.compose import observe

    for name in services:
        if name not in loaded.project.services and loaded.project.services:
            raise StatusError(1, f"no such service: {name}")
    found = observe.containers(session.client, loaded.project.name, oneoff)
    if not all:
        found = [c for c in found if c.state == "running"]
    return [c for c in found if not services or c.service in services]


def _each(verb: str, done: str, call: Callable[[Session, argparse.Namespace, str], None],
          states: tuple[str, ...] | None = None) -> Callable[[Session, argparse.Namespace], int]:
    """A command that does ``call`` to each container of the services named, with progress
    lines ``Container x  <verb>`` / ``<done>``."""

    def handler(session: Session, args: argparse.Namespace) -> int:
        loaded = load(args, tuple(args.services), need_file=False)
        report = progress(session, args)
        for container in containers(session, loaded, args.services):
            if states is not None and container.state not in states:
                continue
            report.event("Container", container.name, verb)
            call(session, args, container.id)
            report.event("Container", container.name, done)
        return 0

    return handler


def _timeout(args: argparse.Namespace) -> int | None:
    return getattr(args, "timeout", None)


start = _each("Starting", "Started", lambda s, a, i: s.client.containers.start(i),
              ("created", "exited"))
stop = _each("Stopping", "Stopped",
             lambda s, a, i: s.client.containers.stop(i, _timeout(a)),
             ("running", "paused", "restarting"))
_restart = _each("Restarting", "Started",
                 lambda s, a, i: s.client.containers.restart(i, _timeout(a)))


def restart(session: Session, args: argparse.Namespace) -> int:
    """Restart the services named, and then those that depend on them with
    ``restart: true``."""
    code = _restart(session, args)
    if not args.services:
        return code
    loaded = load(args, tuple(args.services), need_file=False)
    named = set(args.services)
    dependents = sorted(name for name, service in loaded.project.services.items()
                        if name not in named and any(dep in named and cond.restart
                                                     for dep, cond in
                                                     service.depends_on.items()))
    if dependents:
        code = _restart(session, argparse.Namespace(**{**vars(args), "services": dependents}))
    return code
kill = _each("Killing", "Killed",
             lambda s, a, i: s.client.containers.kill(i, a.signal),
             ("running", "paused", "restarting"))
pause = _each("Pausing", "Paused", lambda s, a, i: s.client.containers.pause(i), ("running",))
unpause = _each("Unpausing", "Unpaused", lambda s, a, i: s.client.containers.unpause(i),
                ("paused",))


def rm(session: Session, args: argparse.Namespace) -> int:
    from skiff.compose.teardown import stop_and_remove

    loaded = load(args, tuple(args.services), need_file=False)
    report = progress(session, args)
    found = containers(session, loaded, args.services)
    if args.stop:
        stop_and_remove(session.client, report, found, None, remove=False)
        found = containers(session, loaded, args.services)
    found = [c for c in found if c.state not in ("running", "paused", "restarting")]
    if not found:
        session.warn("No stopped containers")
        return 0
    if not args.force:
        session.out.write(f"Going to remove {', '.join(c.name for c in found)}\n"
                          f"Are you sure? [yN] ")
        session.out.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            return 0
    for container in found:
        report.event("Container", container.name, "Removing")
        session.client.containers.remove(container.id, force=True, volumes=args.volumes)
        report.event("Container", container.name, "Removed")
    return 0


def _help(session: Session, args: argparse.Namespace) -> int:
    args.parser.print_help(session.out)
    return 0


def add_compose(sub: Subparsers, name: str = "compose", aliases: tuple[str, ...] = ()) -> None:
    from skiff.cli.commands import compose_info, compose_ops, compose_run, compose_up

    p = command(sub, name, _help, "[OPTIONS] COMMAND", "Define and run multi-container "
                "applications with Docker", aliases=aliases)
    p.add_argument("-f", "--file", action="append", help="Compose configuration files")
    p.add_argument("-p", "--project-name", help="Project name")
    p.add_argument("--project-directory", help="Specify an alternate working directory")
    p.add_argument("--env-file", action="append", help="Specify an alternate environment file")
    p.add_argument("--profile", action="append", help="Specify a profile to enable")
    p.add_argument("--progress", default="auto", choices=("auto", "tty", "plain", "json",
                                                          "quiet"),
                   help="Set type of progress output")
    p.add_argument("--ansi", default="auto", choices=("never", "always", "auto"),
                   help="Control when to print ANSI control characters")
    p.add_argument("--parallel", type=int, default=-1, help="Control max parallelism, -1 for "
                   "unlimited")
    p.add_argument("--compatibility", action="store_true", help="Run compose in backward "
                   "compatibility mode")
    p.add_argument("--dry-run", action="store_true", help="Execute command in dry run mode")
    group = p.add_subparsers(title="Commands", metavar="COMMAND", prog=p.prog,
                             parser_class=CommandParser)

    def simple(verb: str, handler: Callable[[Session, argparse.Namespace], int], help: str,
               timeout: bool = False) -> CommandParser:
        q = command(group, verb, handler, "[OPTIONS] [SERVICE...]", help)
        q.add_argument("services", nargs="*")
        if timeout:
            q.add_argument("-t", "--timeout", type=int, help="Specify a shutdown timeout in "
                                                              "seconds")
        return q

    simple("start", start, "Start services")
    simple("stop", stop, "Stop services", timeout=True)
    simple("restart", restart, "Restart service containers", timeout=True)
    q = simple("kill", kill, "Force stop service containers")
    q.add_argument("-s", "--signal", default="SIGKILL", help="SIGNAL to send to the "
                                                              "container")
    q.add_argument("--remove-orphans", action="store_true")
    simple("pause", pause, "Pause services")
    simple("unpause", unpause, "Unpause services")
    q = simple("rm", rm, "Removes stopped service containers")
    q.add_argument("-f", "--force", action="store_true", help="Don't ask to confirm removal")
    q.add_argument("-s", "--stop", action="store_true", help="Stop the containers, if "
                                                             "required, before removing")
    q.add_argument("-v", "--volumes", action="store_true", help="Remove any anonymous "
                                                                "volumes attached to containers")
    compose_up.add_commands(group)
    compose_run.add_commands(group)
    compose_info.add_commands(group)
    compose_ops.add_commands(group)
