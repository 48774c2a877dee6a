"""``skiff compose config``, ``ps``, ``ls``, ``images``, ``top``, ``port`` and ``version``:
what a project declares and what it has running, in compose v2's formats."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from skiff.cli.commands.common import Subparsers, command
from skiff.cli.commands.compose import containers, load
from skiff.cli.errors import StatusError
from skiff.cli.format.table import tabwrite

if TYPE_CHECKING:
    from skiff.cli.session import Session


def config(session: Session, args: argparse.Namespace) -> int:
    from skiff.compose import canonical_output

    loaded = load(args, interpolate=not args.no_interpolate)
    project = loaded.project
    if args.services:
        session.out.write("".join(f"{n}\n" for n in sorted(project.services)))
        return 0
    if args.volumes:
        session.out.write("".join(f"{n}\n" for n in sorted(project.volumes)))
        return 0
    if args.networks:
        session.out.write("".join(f"{n}\n" for n in sorted(project.networks)))
        return 0
    if args.profiles:
        names = {p for s in [*project.services.values()] for p in s.profiles}
        names |= {p for s in loaded.disabled.values() for p in s.get("profiles") or []}
        session.out.write("".join(f"{n}\n" for n in sorted(names)))
        return 0
    if args.images:
        session.out.write("".join(f"{project.image_of(s)}\n"
                                  for s in project.services.values()))
        return 0
    if args.hash is not None:
        from skiff.compose.confighash import config_hash

        wanted = [n for n in args.hash.split(",") if n]
        for name, service in project.services.items():
            if wanted == ["*"] or name in wanted:
                session.out.write(f"{name} {config_hash(service)}\n")
        return 0
    if args.variables:
        rows = ["NAME\tREQUIRED\tDEFAULT VALUE\tALTERNATE VALUE"]
        for use in _unique_uses(loaded.uses):
            rows.append(f"{use.name}\t{'true' if use.source == 'unset' else 'false'}\t"
                        f"{use.value if use.source == 'default' else ''}\t")
        session.out.write(tabwrite("\n".join(rows) + "\n"))
        return 0
    if args.environment:
        for name, variable in sorted(loaded.variables.items()):
            session.out.write(f"{name}={variable.value}\n")
        return 0
    text = canonical_output.render(project, args.format)
    if not args.no_interpolate:  # as compose writes it: a file that loads back the same
        text = text.replace("$", "$$")
    if args.output:
        with open(args.output, "w") as handle:
            handle.write(text)
        return 0
    session.out.write(text)
    return 0


def _unique_uses(uses: list[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for use in uses:
        seen.setdefault(use.name, use)
    return [seen[k] for k in sorted(seen)]


def ps(session: Session, args: argparse.Namespace) -> int:
    from skiff.cli.format.compose_containers import (
        PS_DEFAULT,
        PS_HEADERS,
        PS_JSON,
        ComposeContainer,
        json_value,
    )
    from skiff.cli.format.formatter import render

    loaded = load(args, tuple(args.services), need_file=False)
    found = containers(session, loaded, args.services, all=args.all, oneoff=None)
    statuses = set(args.status or [])
    for item in args.filter or []:
        key, _, value = item.partition("=")
        if key != "status":
            raise StatusError(1, f"unknown filter {key}")
        statuses.add(value)
    if statuses:
        found = [c for c in found if c.state in statuses]
    if args.services_only:
        session.out.write("".join(f"{s}\n" for s in dict.fromkeys(c.service for c in found)))
        return 0
    ids = {c.id for c in found}
    summaries = [s for s in session.client.containers.list(
        all=True, filters={"label": [f"com.docker.compose.project={loaded.project.name}"]})
        if s["Id"] in ids]
    summaries.sort(key=lambda s: (s.get("Names") or [""])[0])
    if args.quiet:
        session.out.write("".join(f"{s['Id']}\n" for s in summaries))
        return 0
    rows = [ComposeContainer(s, trunc=not args.no_trunc) for s in summaries]
    if args.format == "json":
        for row in rows:
            session.out.write(json.dumps({k: json_value(row, k) for k in PS_JSON}) + "\n")
        return 0
    session.out.write(render(args.format or "table", rows, PS_DEFAULT, PS_HEADERS))
    return 0


def ls(session: Session, args: argparse.Namespace) -> int:
    from skiff.compose import observe

    projects = observe.projects(session.client)
    rows = []
    for name in sorted(projects):
        items = projects[name]
        states: dict[str, int] = {}
        for item in items:
            states[item.state] = states.get(item.state, 0) + 1
        running = states.get("running", 0)
        if not args.all and not running:
            continue
        status = ", ".join(f"{state}({count})" for state, count in sorted(states.items()))
        files = items[0].labels.get("com.docker.compose.project.config_files", "")
        rows.append({"Name": name, "Status": status, "ConfigFiles": files})
    if args.quiet:
        session.out.write("".join(f"{r['Name']}\n" for r in rows))
    elif args.format == "json":
        session.out.write(json.dumps(rows) + "\n")
    else:
        lines = ["NAME\tSTATUS\tCONFIG FILES"] + \
            [f"{r['Name']}\t{r['Status']}\t{r['ConfigFiles']}" for r in rows]
        session.out.write(tabwrite("\n".join(lines) + "\n"))
    return 0


def images(session: Session, args: argparse.Namespace) -> int:
    from skiff.cli.format.units import human_size

    loaded = load(args, tuple(args.services), need_file=False)
    found = containers(session, loaded, args.services, oneoff=None)
    rows = ["CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE"]
    for container in found:
        info = session.client.containers.inspect(container.id)
        try:
            image = session.client.images.inspect(info["Image"])
        except Exception:
            continue
        repo, _, tag = ((image.get("RepoTags") or ["<none>:<none>"])[0]).rpartition(":")
        rows.append(f"{container.name}\t{repo}\t{tag}\t{image['Id'][7:19]}\t"
                    f"{human_size(image.get('Size') or 0)}")
    if args.quiet:
        session.out.write("".join(f"{r.split(chr(9))[3]}\n" for r in rows[1:]))
        return 0
    session.out.write(tabwrite("\n".join(rows) + "\n"))
    return 0


def top(session: Session, args: argparse.Namespace) -> int:
    loaded = load(args, tuple(args.services), need_file=False)
    for container in containers(session, loaded, args.services, all=False):
        result = session.client.containers.top(container.id)
        session.out.write(f"{container.name}\n")
        lines = ["\t".join(result.get("Titles") or [])] + \
            ["\t".join(p) for p in result.get("Processes") or []]
        session.out.write(tabwrite("\n".join(lines) + "\n") + "\n")
    return 0


def port(session: Session, args: argparse.Namespace) -> int:
    loaded = load(args, (args.service,), need_file=False)
    number, _, proto = args.private_port.partition("/")
    chosen = [c for c in containers(session, loaded, [args.service])
              if c.number == args.index]
    if not chosen:
        raise StatusError(1, f"service \"{args.service}\" is not running")
    info = session.client.containers.inspect(chosen[0].id)
    bindings = (info.get("NetworkSettings") or {}).get("Ports") or {}
    for binding in bindings.get(f"{number}/{proto or args.protocol}") or []:
        session.out.write(f"{binding.get('HostIp') or '0.0.0.0'}:{binding['HostPort']}\n")
        return 0
    raise StatusError(1, f"no port {args.private_port} for container {chosen[0].name}")


def explain(session: Session, args: argparse.Namespace) -> int:
    from skiff.compose.explain import explain as describe

    session.out.write(describe(load(args)))
    return 0


def version(session: Session, args: argparse.Namespace) -> int:
    from skiff.compose.labels import COMPOSE_VERSION

    if args.short:
        session.out.write(f"{COMPOSE_VERSION}\n")
    elif args.format == "json":
        session.out.write(json.dumps({"version": f"v{COMPOSE_VERSION}"}) + "\n")
    else:
        session.out.write(f"Docker Compose version v{COMPOSE_VERSION} (skiff compose)\n")
    return 0


def add_commands(group: Subparsers) -> None:
    p = command(group, "config", config, "[OPTIONS] [SERVICE...]",
                "Parse, resolve and render compose file in canonical format")
    p.add_argument("service_names", nargs="*")
    p.add_argument("--format", default="yaml", choices=("yaml", "json"),
                   help="Format the output. Values: [yaml | json]")
    p.add_argument("--services", action="store_true", help="Print the service names, one per "
                   "line.")
    p.add_argument("--volumes", action="store_true", help="Print the volume names, one per "
                   "line.")
    p.add_argument("--networks", action="store_true", help="Print the network names, one per "
                   "line.")
    p.add_argument("--profiles", action="store_true", help="Print the profile names, one per "
                   "line.")
    p.add_argument("--images", action="store_true", help="Print the image names, one per "
                   "line.")
    p.add_argument("--hash", help="Print the service config hash, one per line.")
    p.add_argument("--no-interpolate", action="store_true", help="Don't interpolate "
                   "environment variables")
    p.add_argument("--environment", action="store_true", help="Print environment used for "
                   "interpolation.")
    p.add_argument("--variables", action="store_true", help="Print model variables and "
                   "default values.")
    p.add_argument("-q", "--quiet", action="store_true", help="Only validate the "
                   "configuration, don't print anything")
    p.add_argument("-o", "--output", help="Save to file (default to stdout)")
    p = command(group, "ps", ps, "[OPTIONS] [SERVICE...]", "List containers")
    p.add_argument("services", nargs="*")
    p.add_argument("-a", "--all", action="store_true", help="Show all stopped containers "
                   "(including those created by the run command)")
    p.add_argument("-q", "--quiet", action="store_true", help="Only display IDs")
    p.add_argument("--services", dest="services_only", action="store_true",
                   help="Display services")
    p.add_argument("--status", action="append", help="Filter services by status")
    p.add_argument("--filter", action="append", help="Filter services by a property")
    p.add_argument("--format", default="table", help="Format output using a custom "
                   "template: 'table', 'json' or a Go template")
    p.add_argument("--no-trunc", action="store_true", help="Don't truncate output")
    p = command(group, "ls", ls, "[OPTIONS]", "List running compose projects")
    p.add_argument("-a", "--all", action="store_true", help="Show all stopped Compose "
                   "projects")
    p.add_argument("-q", "--quiet", action="store_true", help="Only display project names")
    p.add_argument("--format", default="table", help="Format the output")
    p.add_argument("--filter", action="append", help="Filter output based on conditions")
    p = command(group, "images", images, "[OPTIONS] [SERVICE...]",
                "List images used by the created containers")
    p.add_argument("services", nargs="*")
    p.add_argument("-q", "--quiet", action="store_true", help="Only display IDs")
    p = command(group, "top", top, "[SERVICES...]", "Display the running processes")
    p.add_argument("services", nargs="*")
    p = command(group, "port", port, "[OPTIONS] SERVICE PRIVATE_PORT",
                "Print the public port for a port binding")
    p.add_argument("service")
    p.add_argument("private_port")
    p.add_argument("--index", type=int, default=1, help="Index of the container if service "
                   "has multiple replicas")
    p.add_argument("--protocol", default="tcp", help="tcp or udp")
    command(group, "explain", explain, "", "Show where each variable's value came from, "
            "each container's environment, the start order with its gates, and warnings")
    p = command(group, "version", version, "[OPTIONS]", "Show the Docker Compose version "
                "information")
    p.add_argument("--short", action="store_true", help="Shows only Compose's version number")
    p.add_argument("-f", "--format", default="", help="Format the output. Values: [pretty | "
                   "json]")

