"""Daemon-wide commands: version, info, system df, events, system prune."""

from __future__ import annotations

import argparse
import platform
from typing import Any

from skiff import __version__
from skiff.cli.commands.common import (
    Subparsers,
    add_filter_flag,
    add_format_flag,
    command,
    confirm,
    filters_from,
)
from skiff.cli.commands.images import print_image_prune
from skiff.cli.errors import FormatError, StatusError
from skiff.cli.format import containers as container_fmt
from skiff.cli.format import images as image_fmt
from skiff.cli.format import system as fmt
from skiff.cli.format.formatter import LEGACY_ERRORS, parse, render
from skiff.cli.format.gotemplate import Struct, Template, TemplateError
from skiff.cli.format.info import info_line, server_info_lines
from skiff.cli.format.table import tabwrite
from skiff.cli.format.typed import typed
from skiff.cli.format.units import human_size
from skiff.cli.session import Session
from skiff.cli.timearg import timestamp_arg
from skiff.client import APIError, ClientError
from skiff.client.api import MAX_VERSION

GO_VERSION = f"python{platform.python_version()}"


def _template(session: Session, spec: str, data: Any, name: str = "") -> int:
    template = parse(spec.replace("\\t", "\t").replace("\\n", "\n"), prefix="", name=name)
    try:
        session.print(template.execute(data))
    except TemplateError as exc:
        session.print()
        raise FormatError(str(exc)) from None
    return 0


def _client_version(session: Session) -> dict[str, Any]:
    try:
        api_version = session.client.api.version
    except ClientError:
        api_version = MAX_VERSION
    return Struct({"Version": __version__,
                   "ApiVersion": api_version, "DefaultAPIVersion": MAX_VERSION,
                   "GitCommit": "", "GoVersion": GO_VERSION, "Os": "linux",
                   "Arch": _arch(platform.machine()), "BuildTime": "", "Context": "default"})


def _arch(machine: str) -> str:
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def version(session: Session, args: argparse.Namespace) -> int:
    client_info = _client_version(session)
    server: dict[str, Any] | None = None
    error: ClientError | None = None
    try:
        server = session.client.system.version()
    except ClientError as exc:
        error = exc
    if args.format:
        _template(session, args.format, Struct({"Client": client_info,
                                                "Server": typed(server)},
                                               type_name="system.versionInfo"), "version")
        if error:
            raise error
        return 0
    api = client_info["ApiVersion"]
    if api != MAX_VERSION:
        api += f" (downgraded from {MAX_VERSION})"
    lines = ["Client:", info_line("Version", __version__), info_line("API version", api),
             info_line("Go version", GO_VERSION), info_line("Git commit", ""),
             info_line("Built", ""), info_line("OS/Arch", f"linux/{client_info['Arch']}"),
             info_line("Context", "default")]
    session.print("\n".join(lines))
    if server is None:
        session.out.flush()
        raise error or StatusError(1)
    session.print()
    session.print(f"Server: {(server.get('Platform') or {}).get('Name', '')}".rstrip(" "))
    for component in server.get("Components") or []:
        details = component.get("Details") or {}
        session.print(f" {component.get('Name')}:")
        if component.get("Name") == "Engine":
            minimum = details.get("MinAPIVersion", "")
            rows = [("Version", component.get("Version", "")),
                    ("API version", f"{details.get('ApiVersion', '')} (minimum version "
                                    f"{minimum})"),
                    ("Go version", details.get("GoVersion", "")),
                    ("Git commit", details.get("GitCommit", "")),
                    ("Built", details.get("BuildTime", "")),
                    ("OS/Arch", f"{details.get('Os', '')}/{details.get('Arch', '')}"),
                    ("Experimental", details.get("Experimental", ""))]
        else:
            rows = [("Version", component.get("Version", ""))]
            rows += [(key, details[key]) for key in sorted(details)]
        for key, value in rows:
            session.print(info_line(key, value, indent=2, width=18))
    return 0


def info(session: Session, args: argparse.Namespace) -> int:
    try:
        data = session.client.system.info()
    except ClientError as exc:
        if args.format:
            raise
        session.print("Client:\n Version:    " + __version__ + "\n Context:    default\n"
                      " Debug Mode: false\n\nServer:")
        session.out.flush()
        raise StatusError(1, f"ERROR: {exc}\nerrors pretty printing info") from None
    if args.format:
        payload = Struct(typed(data), type_name="system.dockerInfo")
        client_info = _client_version(session)
        del client_info["ApiVersion"]
        payload["ClientInfo"] = Struct({"Debug": False, **client_info, "Plugins": [],
                                        "Warnings": None})
        return _template(session, args.format, payload)
    lines = ["Client:", f" Version:    {__version__}", " Context:    default",
             " Debug Mode: false", "", "Server:", *server_info_lines(data), ""]
    session.print("\n".join(lines))
    for warning in data.get("Warnings") or []:
        session.warn(warning)
    return 0


def df(session: Session, args: argparse.Namespace) -> int:
    data = session.client.system.df()
    if not args.verbose:
        session.out.write(render(args.format, fmt.disk_usage_rows(data), fmt.DF_DEFAULT,
                                 fmt.DF_HEADERS, errors=LEGACY_ERRORS))
        return 0
    image_rows = [row for image in data.get("Images") or []
                  for row in image_fmt.image_rows(image, False, trunc=True)]
    session.print("Images space usage:\n")
    session.out.write(render("table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t"
                             "{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}",
                             image_rows, "", image_fmt.HEADERS))
    session.print("\nContainers space usage:\n")
    containers = [container_fmt.ContainerContext({**c, "SizeRootFs": 0})
                  for c in data.get("Containers") or []]
    session.out.write(render("table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t"
                             "{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}",
                             containers, "", container_fmt.HEADERS))
    session.print("\nLocal Volumes space usage:\n")
    volumes = ["VOLUME NAME\tLINKS\tSIZE"]
    for volume in data.get("Volumes") or []:
        usage = volume.get("UsageData") or {}
        size = int(usage.get("Size", -1))
        volumes.append(f"{volume.get('Name', '')}\t{usage.get('RefCount', 0)}\t"
                       f"{human_size(size) if size >= 0 else 'N/A'}")
    session.out.write(tabwrite("\n".join(volumes) + "\n"))
    cache = data.get("BuildCache") or []
    total = sum(int(b.get("Size") or 0) for b in cache if not b.get("Shared"))
    session.print(f"\nBuild cache usage: {human_size(total)}\n")
    session.out.write(tabwrite("CACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED\n"))
    return 0


def events(session: Session, args: argparse.Namespace) -> int:
    try:
        since = timestamp_arg(args.since) if args.since else None
        until = timestamp_arg(args.until) if args.until else None
    except ValueError as exc:
        raise StatusError(1, str(exc)) from None
    template = None
    if args.format:
        text = "{{json .}}" if args.format == "json" else \
            args.format.replace("\\t", "\t").replace("\\n", "\n")
        try:
            template = Template(text)
        except TemplateError as exc:
            raise StatusError(64, f"Error parsing format: {exc}") from None
    stream = session.client.system.events(since, until, filters_from(args))
    try:
        for event in stream:
            if template is None:
                session.print(fmt.event_line(event))
            else:
                try:
                    session.print(template.execute(fmt.EventContext(event)))
                except TemplateError as exc:
                    raise StatusError(64, f"Error parsing format: {exc}") from None
            session.out.flush()
    except (KeyboardInterrupt, BrokenPipeError):
        return 0
    return 0


def _prune_section(session: Session, title: str, items: list[str]) -> None:
    if items:
        session.print(title)
        for item in items:
            session.print(item)
        session.print()


def system_prune(session: Session, args: argparse.Namespace) -> int:
    lines = ["WARNING! This will remove:", "  - all stopped containers"]
    if args.volumes:
        lines.append("  - all anonymous volumes not used by at least one container")
    lines.append("  - all networks not used by at least one container")
    lines.append("  - all images without at least one container associated to them"
                 if args.all else "  - all dangling images")
    lines += ["  - unused build cache", "", "Are you sure you want to continue?"]
    filters = filters_from(args)
    if not confirm(session, "\n".join(lines), args.force):
        return 0
    client = session.client
    reclaimed = 0
    report = client.containers.prune(filters)
    _prune_section(session, "Deleted Containers:", report.get("ContainersDeleted") or [])
    reclaimed += int(report.get("SpaceReclaimed") or 0)
    optional = [("Deleted Volumes:", "VolumesDeleted", client.system.prune_volumes)] \
        if args.volumes else []
    optional.append(("Deleted Networks:", "NetworksDeleted", client.system.prune_networks))
    for title, key, pruner in optional:
        try:
            result = pruner(filters)
        except APIError as exc:
            if exc.status in (404, 501):
                continue  # the daemon has no such objects
            raise
        _prune_section(session, title, result.get(key) or [])
        reclaimed += int(result.get("SpaceReclaimed") or 0)
    image_filters = {**filters, "dangling": ["false" if args.all else "true"]}
    images = client.images.prune(image_filters)
    print_image_prune(session, images)
    reclaimed += int(images.get("SpaceReclaimed") or 0)
    try:
        cache = client.system.prune_build_cache(all=args.all)
        _prune_section(session, "Deleted build cache objects:", cache.get("CachesDeleted") or [])
        reclaimed += int(cache.get("SpaceReclaimed") or 0)
    except APIError as exc:
        if exc.status not in (404, 501):
            raise
    session.print(f"Total reclaimed space: {human_size(reclaimed)}")
    return 0


def add_version(sub: Subparsers, name: str = "version") -> None:
    p = command(sub, name, version, "[OPTIONS]", "Show the Docker version information")
    add_format_flag(p, short=True)


def add_info(sub: Subparsers, name: str = "info") -> None:
    p = command(sub, name, info, "[OPTIONS]", "Display system-wide information")
    add_format_flag(p, short=True)


def add_df(sub: Subparsers, name: str = "df") -> None:
    p = command(sub, name, df, "[OPTIONS]", "Show docker disk usage")
    add_format_flag(p)
    p.add_argument("-v", "--verbose", action="store_true", help="Show detailed information on "
                                                                "space usage")


def add_events(sub: Subparsers, name: str = "events") -> None:
    p = command(sub, name, events, "[OPTIONS]", "Get real time events from the server")
    add_filter_flag(p)
    add_format_flag(p)
    p.add_argument("--since", help="Show all events created since timestamp")
    p.add_argument("--until", help="Stream events until this timestamp")


def add_system_prune(sub: Subparsers, name: str = "prune") -> None:
    p = command(sub, name, system_prune, "[OPTIONS]", "Remove unused data")
    p.add_argument("-a", "--all", action="store_true",
                   help="Remove all unused images not just dangling ones")
    add_filter_flag(p, "Provide filter values (e.g. \"label=<key>=<value>\")", short=False)
    p.add_argument("-f", "--force", action="store_true", help="Do not prompt for confirmation")
    p.add_argument("--volumes", action="store_true", help="Prune anonymous volumes")
