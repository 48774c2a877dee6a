"""``skiff compose scale``, ``wait``, ``cp``, ``events`` and ``attach``."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from skiff.cli.commands.common import Subparsers, command
from skiff.cli.commands.compose import containers, load, parallel, progress
from skiff.cli.errors import StatusError
from skiff.client import APIError
from skiff.errdefs import InvalidParameter

if TYPE_CHECKING:
    from skiff.cli.session import Session


def scale(session: Session, args: argparse.Namespace) -> int:
    from skiff.compose.converge import Converger, UpOptions

    counts: dict[str, int] = {}
    for item in args.pairs:
        name, _, count = item.partition("=")
        if not count.isdigit():
            raise StatusError(1, f"invalid scale {item!r}: SERVICE=REPLICAS")
        counts[name] = int(count)
    loaded = load(args, tuple(counts))
    try:
        Converger(session.client, loaded, progress(session, args), parallel(args)).up(
            UpOptions(tuple(counts), scale=counts, no_deps=args.no_deps))
    except (InvalidParameter, APIError) as exc:
        raise StatusError(1, getattr(exc, "message", None) or str(exc)) from None
    return 0


def wait(session: Session, args: argparse.Namespace) -> int:
    """Block until the services' containers stop; the first exit code (``--down-project``
    then takes the project down)."""
    loaded = load(args, tuple(args.services), need_file=False)
    found = containers(session, loaded, args.services)
    if not found:
        raise StatusError(1, "no containers for the project")
    codes = [int(session.client.containers.wait(c.id).result().get("StatusCode", 0))
             for c in found]
    if args.down_project:
        from skiff.compose.teardown import DownOptions, down

        down(session.client, loaded.project, progress(session, args),
             DownOptions(parallel=parallel(args)))
    return codes[0]


def cp(session: Session, args: argparse.Namespace) -> int:
    """Copy between a service's container and the host: ``SERVICE:PATH`` names it."""
    from skiff.cli.commands.files import copy_from_container, copy_to_container

    source, dest = args.source, args.dest
    remote = source if ":" in source and not source.startswith(("/", ".")) else dest
    service, _, path = remote.partition(":")
    loaded = load(args, (service,), need_file=False)
    chosen = [c for c in containers(session, loaded, [service]) if c.number == args.index]
    if not chosen:
        raise StatusError(1, f"no container found for service \"{service}\"")
    call = argparse.Namespace(follow_link=args.follow_link, archive=args.archive)
    if remote is source:
        return copy_from_container(session, call, chosen[0].id, path, dest, True)
    return copy_to_container(session, call, chosen[0].id, source, path, True)


def events(session: Session, args: argparse.Namespace) -> int:
    """The project's container events as they happen (``--json``: one object a line)."""
    loaded = load(args, tuple(args.services), need_file=False)
    filters = {"type": ["container"],
               "label": [f"com.docker.compose.project={loaded.project.name}"]}
    try:
        for event in session.client.system.events(filters=filters):
            attributes = (event.get("Actor") or {}).get("Attributes") or {}
            service = attributes.get("com.docker.compose.service", "")
            if args.services and service not in args.services:
                continue
            record = {"time": event.get("time"), "type": "container",
                      "action": event.get("Action") or event.get("status"),
                      "id": (event.get("Actor") or {}).get("ID", ""), "service": service,
                      "attributes": attributes}
            if args.json:
                session.out.write(json.dumps(record) + "\n")
            else:
                names = ",".join(f"{k}={v}" for k, v in sorted(attributes.items())
                                 if not k.startswith("com.docker.compose"))
                session.out.write(f"{record['time']} container {record['action']} "
                                  f"{record['id']} ({names})\n")
            session.out.flush()
    except KeyboardInterrupt:
        return 130
    return 0


def attach(session: Session, args: argparse.Namespace) -> int:
    from skiff.cli.commands.attach import attach as attach_container

    loaded = load(args, (args.service,), need_file=False)
    chosen = [c for c in containers(session, loaded, [args.service], all=False)
              if c.number == args.index]
    if not chosen:
        raise StatusError(1, f"service \"{args.service}\" is not running")
    call = argparse.Namespace(containers=[chosen[0].id], parser=args.parser,
                              no_stdin=args.no_stdin, detach_keys=args.detach_keys,
                              sig_proxy=args.sig_proxy)
    return int(attach_container(session, call) or 0)


def watch(session: Session, args: argparse.Namespace) -> int:
    """Bring the services up (unless ``--no-up``), then apply their ``develop.watch`` rules
    until interrupted."""
    from skiff.compose import watch as watching
    from skiff.compose.converge import Converger, UpOptions

    loaded = load(args, tuple(args.services))
    report = progress(session, args)
    try:
        found = watching.rules(loaded, tuple(args.services))
        if not found:
            raise StatusError(1, "none of the selected services is configured for watch, "
                                 "consider setting a 'develop' section")
        converger = Converger(session.client, loaded, report, parallel(args))
        if not args.no_up:
            converger.up(UpOptions(tuple(args.services), build=True))

        def rebuild(service: str) -> None:
            before = converger.service_images.get(service)
            converger.up(UpOptions((service,), build=True, no_deps=True))
            if args.prune and before and before != converger.service_images.get(service):
                try:  # the image it replaced, when nothing else names or uses it
                    if not session.client.images.inspect(before).get("RepoTags"):
                        session.client.images.remove(before)
                except APIError:
                    pass

        watching.Watcher(session.client, loaded, report, rebuild).run(found)
    except (InvalidParameter, APIError) as exc:
        raise StatusError(1, getattr(exc, "message", None) or str(exc)) from None
    except KeyboardInterrupt:
        return 0
    return 0


def stats(session: Session, args: argparse.Namespace) -> int:
    """The project's containers as ``docker stats`` shows them; ``--by-service`` sums each
    service's replicas into one row (skiff's own)."""
    import time

    from skiff.cli.commands.stats import REFRESH, rows
    from skiff.cli.format import stats as fmt
    from skiff.cli.format.formatter import render

    loaded = load(args, tuple(args.services), need_file=False)
    while True:
        found = containers(session, loaded, args.services, all=args.all)
        table = rows(session, [c.id for c in found])
        if args.by_service:
            totals: dict[str, fmt.Figures] = {}
            for container, row in zip(found, table, strict=True):
                totals[container.service] = totals.get(container.service, fmt.Figures()) + \
                    row.numbers
            table = [fmt.StatsContext(name, name, numbers)
                     for name, numbers in sorted(totals.items())]
        session.out.write(render(args.format or "table", table, fmt.DEFAULT, fmt.HEADERS))
        session.out.flush()
        if args.no_stream:
            return 0
        try:
            time.sleep(REFRESH)
        except KeyboardInterrupt:
            return 0


def add_commands(group: Subparsers) -> None:
    p = command(group, "stats", stats, "[OPTIONS] [SERVICE]", "Display a live stream of "
                "container(s) resource usage statistics")
    p.add_argument("services", nargs="*")
    p.add_argument("-a", "--all", action="store_true", help="Show all containers (default "
                   "shows just running)")
    p.add_argument("--format", help="Format output using a custom template")
    p.add_argument("--no-stream", action="store_true", help="Disable streaming stats and only "
                   "pull the first result")
    p.add_argument("--no-trunc", action="store_true", help="Do not truncate output")
    p.add_argument("--by-service", action="store_true", help="One row per service, summing "
                   "its replicas")
    p = command(group, "watch", watch, "[SERVICE...]", "Watch build context for service and "
                "rebuild/refresh containers when files are updated")
    p.add_argument("services", nargs="*")
    p.add_argument("--no-up", action="store_true", help="Do not build & start services "
                   "before watching")
    p.add_argument("--prune", action=argparse.BooleanOptionalAction, default=True,
                   help="Prune dangling images on rebuild")
    p.add_argument("--quiet", action="store_true", help="hide build output")
    p = command(group, "scale", scale, "[SERVICE=REPLICAS...]", "Scale services")
    p.add_argument("pairs", nargs="+", metavar="SERVICE=REPLICAS")
    p.add_argument("--no-deps", action="store_true", help="Don't start linked services")
    p = command(group, "wait", wait, "SERVICE [SERVICE...] [OPTIONS]",
                "Block until containers of all (or specified) services stop.")
    p.add_argument("services", nargs="*")
    p.add_argument("--down-project", action="store_true", help="Drops project when the first "
                   "container stops")
    p = command(group, "cp", cp, "[OPTIONS] SERVICE:SRC_PATH DEST_PATH|-\n\tskiff compose cp "
                "[OPTIONS] SRC_PATH|- SERVICE:DEST_PATH", "Copy files/folders between a "
                "service container and the local filesystem")
    p.add_argument("source")
    p.add_argument("dest")
    p.add_argument("--index", type=int, default=1, help="Index of the container if service "
                   "has multiple replicas")
    p.add_argument("-a", "--archive", action="store_true", help="Archive mode (copy all "
                   "uid/gid information)")
    p.add_argument("-L", "--follow-link", action="store_true", help="Always follow symbol "
                   "link in SRC_PATH")
    p = command(group, "events", events, "[OPTIONS] [SERVICE...]",
                "Receive real time events from containers")
    p.add_argument("services", nargs="*")
    p.add_argument("--json", action="store_true", help="Output events as a stream of json "
                   "objects")
    p = command(group, "attach", attach, "[OPTIONS] SERVICE", "Attach local standard input, "
                "output, and error streams to a service's running container")
    p.add_argument("service")
    p.add_argument("--index", type=int, default=1, help="index of the container if service "
                   "has multiple replicas.")
    p.add_argument("--no-stdin", action="store_true", help="Do not attach STDIN")
    p.add_argument("--sig-proxy", action="store_true", default=True, help="Proxy all "
                   "received signals to the process")
    p.add_argument("--detach-keys", help="Override the key sequence for detaching from a "
                   "container")
