"""``skiff compose up``, ``create``, ``down``, ``build``, ``pull`` and ``logs``."""

from __future__ import annotations

import argparse
import signal
import threading
import time
from typing import TYPE_CHECKING, Any

from skiff.cli.commands.common import Subparsers, command
from skiff.cli.commands.compose import containers, load, parallel, progress
from skiff.cli.errors import StatusError
from skiff.cli.terminal import is_terminal
from skiff.client import APIError
from skiff.errdefs import InvalidParameter

if TYPE_CHECKING:
    from skiff.cli.session import Session
    from skiff.compose.converge import Converger


def _scale(values: list[str]) -> dict[str, int]:
    out = {}
    for value in values:
        name, _, count = value.partition("=")
        try:
            out[name] = int(count)
        except ValueError:
            raise StatusError(1, f"invalid --scale value {value!r}: SERVICE=NUM") from None
    return out


def _converger(session: Session, args: argparse.Namespace, services: tuple[str, ...]
               ) -> Converger:
    from skiff.compose.converge import Converger

    loaded = load(args, services)
    try:
        return Converger(session.client, loaded, progress(session, args), parallel(args))
    except InvalidParameter as exc:
        raise StatusError(1, str(exc)) from None


def up(session: Session, args: argparse.Namespace) -> int:
    from skiff.compose.converge import UpOptions

    if args.build and args.no_build:
        raise StatusError(1, "--build and --no-build are incompatible")
    if args.force_recreate and args.no_recreate:
        raise StatusError(1, "--force-recreate and --no-recreate are incompatible")
    if args.detach and (args.abort_on_container_exit or args.exit_code_from):
        raise StatusError(1, "--abort-on-container-exit and --detach are incompatible")
    converger = _converger(session, args, tuple(args.services))
    options = UpOptions(tuple(args.services), args.build, args.no_build, args.force_recreate,
                        args.no_recreate, args.no_deps, args.no_start, args.remove_orphans,
                        _scale(args.scale), args.timeout,
                        float(args.wait_timeout) if args.wait_timeout else 300.0,
                        args.renew_anon_volumes, args.pull)
    try:
        ids = converger.up(options)
        if args.wait:
            _wait_running(session, converger, ids,
                          float(args.wait_timeout) if args.wait_timeout else 300.0)
    except (InvalidParameter, APIError) as exc:
        raise StatusError(1, getattr(exc, "message", None) or str(exc)) from None
    if args.detach or args.no_start or args.wait:
        return 0
    return _attached(session, args, converger, ids)


def _wait_running(session: Session, converger: Converger, ids: list[str],
                  limit: float) -> None:
    """``up --wait``: until every container runs (and is healthy when it has a check)."""
    deadline = time.monotonic() + limit
    report = converger.progress
    for container_id in ids:
        while True:
            info = session.client.containers.inspect(container_id)
            name = info["Name"].lstrip("/")
            state = info["State"]
            health = (state.get("Health") or {}).get("Status")
            if state.get("Status") == "running" and health in (None, "healthy"):
                report.event("Container", name, "Healthy" if health else "Running")
                break
            if state.get("Status") in ("exited", "dead") or health == "unhealthy":
                raise StatusError(1, f"container {name} is "
                                     f"{'unhealthy' if health == 'unhealthy' else 'exited'}")
            if time.monotonic() > deadline:
                raise StatusError(1, f"container {name} did not become "
                                     f"{'healthy' if health else 'running'} within "
                                     f"{limit:g} s")
            time.sleep(0.2)


def _attached(session: Session, args: argparse.Namespace, converger: Converger,
              ids: list[str]) -> int:
    """``up`` in the foreground: every container's logs until they all stop; Ctrl-C (or
    ``--abort-on-container-exit``) stops them all."""
    from skiff.compose import logs

    client = session.client
    named = []
    attach = set(args.attach or []) or None
    for container_id in ids:
        info = client.containers.inspect(container_id)
        labels = info["Config"].get("Labels") or {}
        service = labels.get("com.docker.compose.service", "")
        if attach is not None and service not in attach:
            continue
        if service in (args.no_attach or []):
            continue
        number = labels.get("com.docker.compose.container-number", "1")
        named.append((container_id, f"{service}-{number}"))
    printer = logs.Printer(session.out, [n for _, n in named],
                           logs.LogOptions(follow=True, colour=_colour(args, session)))
    exits: dict[str, int] = {}
    first_exit = threading.Event()

    def ended(container_id: str) -> None:
        try:
            info = client.containers.inspect(container_id)
            exits[container_id] = int(info["State"].get("ExitCode", 0))
            name = next(n for i, n in named if i == container_id)
            if info["State"].get("Status") in ("exited", "dead"):
                printer.note(name, f"exited with code {exits[container_id]}")
        except (APIError, StopIteration):
            pass
        first_exit.set()

    follower = threading.Thread(target=logs.follow_all, args=(
        client, named, printer, logs.LogOptions(follow=True), ended), daemon=True)
    session.err.write("Attaching to " + ", ".join(n for _, n in named) + "\n")
    follower.start()
    interrupted = False
    previous = signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(
        KeyboardInterrupt()))
    try:
        while follower.is_alive():
            follower.join(0.2)
            if (args.abort_on_container_exit or args.exit_code_from) and first_exit.is_set():
                break
    except KeyboardInterrupt:
        interrupted = True
        session.err.write("Gracefully stopping... (press Ctrl+C again to force)\n")
    finally:
        signal.signal(signal.SIGTERM, previous)
    if interrupted or args.abort_on_container_exit or args.exit_code_from:
        if not interrupted:
            session.err.write("Aborting on container exit...\n")
        from skiff.compose.teardown import stop_and_remove

        stop_and_remove(client, converger.progress,
                        containers(session, converger.loaded, list(args.services)),
                        args.timeout, remove=False)
    if args.exit_code_from:
        chosen = [i for i, n in named if n.rsplit("-", 1)[0] == args.exit_code_from]
        if chosen:
            return int(client.containers.inspect(chosen[0])["State"].get("ExitCode", 0))
    if args.abort_on_container_exit and exits:
        return next(iter(exits.values()))
    return 130 if interrupted else 0


def _colour(args: argparse.Namespace, session: Session) -> bool:
    if args.ansi == "never" or getattr(args, "no_color", False):
        return False
    if args.ansi == "always":
        return True
    try:
        return is_terminal(session.out.fileno())
    except (AttributeError, ValueError, OSError):
        return False


def create(session: Session, args: argparse.Namespace) -> int:
    from skiff.compose.converge import UpOptions

    converger = _converger(session, args, tuple(args.services))
    try:
        converger.up(UpOptions(tuple(args.services), args.build, args.no_build,
                               args.force_recreate, args.no_recreate, no_start=True,
                               remove_orphans=args.remove_orphans, scale=_scale(args.scale)))
    except (InvalidParameter, APIError) as exc:
        raise StatusError(1, getattr(exc, "message", None) or str(exc)) from None
    return 0


def down(session: Session, args: argparse.Namespace) -> int:
    from skiff.compose.teardown import DownOptions
    from skiff.compose.teardown import down as run_down

    if args.rmi not in ("", "local", "all"):
        raise StatusError(1, f"invalid value for --rmi flag: {args.rmi}, allowed values are "
                             f"local and all")
    loaded = load(args, need_file=False)
    orphans = args.remove_orphans or not loaded.project.services
    try:
        run_down(session.client, loaded.project, progress(session, args),
                 DownOptions(args.volumes, orphans, args.rmi, args.timeout,
                             tuple(args.services), parallel(args)))
    except APIError as exc:
        raise StatusError(1, exc.message) from None
    return 0


def build(session: Session, args: argparse.Namespace) -> int:
    from skiff.compose.model import replace

    converger = _converger(session, args, tuple(args.services))
    targets = converger.targets(tuple(args.services), no_deps=True)
    try:
        for name in sorted(targets):
            service = converger.project.services[name]
            if service.build is not None:
                # --no-cache and --pull add to what the service's build: asks
                service = replace(service, build=replace(
                    service.build, no_cache=service.build.no_cache or args.no_cache,
                    pull=service.build.pull or args.pull))
                converger.images.build(service)
    except (InvalidParameter, APIError) as exc:
        raise StatusError(1, getattr(exc, "message", None) or str(exc)) from None
    return 0


def pull(session: Session, args: argparse.Namespace) -> int:
    converger = _converger(session, args, tuple(args.services))
    failed = False
    for name in sorted(converger.targets(tuple(args.services), no_deps=True)):
        service = converger.project.services[name]
        if service.image is None:
            continue
        try:
            converger.images.resolve(service, build=False, no_build=True)
        except (InvalidParameter, APIError) as exc:
            failed = True
            if not args.ignore_pull_failures:
                raise StatusError(1, getattr(exc, "message", None) or str(exc)) from None
            session.warn(str(exc))
    return 1 if failed and not args.ignore_pull_failures else 0


def logs_command(session: Session, args: argparse.Namespace) -> int:
    from skiff.compose import logs

    loaded = load(args, tuple(args.services), need_file=False)
    found = containers(session, loaded, args.services)
    named = [(c.id, f"{c.service}-{c.number}") for c in found]
    options = logs.LogOptions(follow=args.follow, tail=args.tail, timestamps=args.timestamps,
                              since=args.since, until=args.until, prefix=not args.no_log_prefix,
                              colour=not args.no_color and _colour(args, session))
    printer = logs.Printer(session.out, [n for _, n in named], options)
    try:
        logs.follow_all(session.client, named, printer, options)
    except KeyboardInterrupt:
        return 130
    return 0


def _up_flags(p: Any, create_only: bool = False) -> None:
    p.add_argument("services", nargs="*")
    p.add_argument("--build", action="store_true", help="Build images before starting "
                                                        "containers")
    p.add_argument("--no-build", action="store_true", help="Don't build an image, even if "
                                                           "it's policy")
    p.add_argument("--force-recreate", action="store_true", help="Recreate containers even if "
                   "their configuration and image haven't changed")
    p.add_argument("--no-recreate", action="store_true", help="If containers already exist, "
                   "don't recreate them")
    p.add_argument("--remove-orphans", action="store_true", help="Remove containers for "
                   "services not defined in the Compose file")
    p.add_argument("--scale", action="append", default=[], metavar="SERVICE=NUM",
                   help="Scale SERVICE to NUM instances")
    p.add_argument("--pull", default="policy", help="Pull image before running")
    if create_only:
        return
    p.add_argument("-d", "--detach", action="store_true", help="Detached mode: Run "
                   "containers in the background")
    p.add_argument("--no-deps", action="store_true", help="Don't start linked services")
    p.add_argument("--no-start", action="store_true", help="Don't start the services after "
                   "creating them")
    p.add_argument("--wait", action="store_true", help="Wait for services to be "
                   "running|healthy. Implies detached mode.")
    p.add_argument("--wait-timeout", type=int, help="Maximum duration in seconds to wait "
                   "for the project to be running|healthy")
    p.add_argument("--abort-on-container-exit", action="store_true", help="Stops all "
                   "containers if any container was stopped")
    p.add_argument("--exit-code-from", help="Return the exit code of the selected service "
                   "container")
    p.add_argument("--attach", action="append", help="Restrict attaching to the specified "
                   "services")
    p.add_argument("--no-attach", action="append", help="Do not attach (stream logs) to the "
                   "specified services")
    p.add_argument("--no-color", action="store_true", help="Produce monochrome output")
    p.add_argument("--no-log-prefix", action="store_true", help="Don't print prefix in logs")
    p.add_argument("-t", "--timeout", type=int, help="Use this timeout in seconds for "
                   "container shutdown when attached or when containers are already running")
    p.add_argument("-V", "--renew-anon-volumes", action="store_true",
                   help="Recreate anonymous volumes instead of retrieving data from the "
                   "previous containers")
    p.add_argument("-y", "--yes", action="store_true", help="Assume \"yes\" as answer to all "
                   "prompts")


def add_commands(group: Subparsers) -> None:
    p = command(group, "up", up, "[OPTIONS] [SERVICE...]", "Create and start containers")
    _up_flags(p)
    p = command(group, "create", create, "[OPTIONS] [SERVICE...]",
                "Creates containers for a service")
    _up_flags(p, create_only=True)
    p = command(group, "down", down, "[OPTIONS] [SERVICES]", "Stop and remove containers, "
                "networks")
    p.add_argument("services", nargs="*")
    p.add_argument("-v", "--volumes", action="store_true", help="Remove named volumes declared "
                   "in the \"volumes\" section of the Compose file and anonymous volumes "
                   "attached to containers")
    p.add_argument("--rmi", default="", help="Remove images used by services. \"local\" "
                   "remove only images that don't have a custom tag (\"local\"|\"all\")")
    p.add_argument("--remove-orphans", action="store_true", help="Remove containers for "
                   "services not defined in the Compose file")
    p.add_argument("-t", "--timeout", type=int, help="Specify a shutdown timeout in seconds")
    p = command(group, "build", build, "[OPTIONS] [SERVICE...]", "Build or rebuild services")
    p.add_argument("services", nargs="*")
    p.add_argument("--no-cache", action="store_true", help="Do not use cache when building "
                   "the image")
    p.add_argument("-q", "--quiet", action="store_true", help="Don't print anything to STDOUT")
    p.add_argument("--pull", action="store_true", help="Always attempt to pull a newer "
                   "version of the image")
    p = command(group, "pull", pull, "[OPTIONS] [SERVICE...]", "Pull service images")
    p.add_argument("services", nargs="*")
    p.add_argument("--ignore-pull-failures", action="store_true", help="Pull what it can and "
                   "ignores images with pull failures")
    p.add_argument("-q", "--quiet", action="store_true", help="Pull without printing progress "
                   "information")
    p = command(group, "logs", logs_command, "[OPTIONS] [SERVICE...]",
                "View output from containers")
    p.add_argument("services", nargs="*")
    p.add_argument("-f", "--follow", action="store_true", help="Follow log output")
    p.add_argument("-n", "--tail", default="all", help="Number of lines to show from the end "
                   "of the logs for each container")
    p.add_argument("-t", "--timestamps", action="store_true", help="Show timestamps")
    p.add_argument("--since", help="Show logs since timestamp or relative")
    p.add_argument("--until", help="Show logs before a timestamp or relative")
    p.add_argument("--no-color", action="store_true", help="Produce monochrome output")
    p.add_argument("--no-log-prefix", action="store_true", help="Don't print prefix in logs")
