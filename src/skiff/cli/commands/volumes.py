"""Volume commands: volume ls, create, inspect, rm, prune; and ``port``."""

from __future__ import annotations

import argparse
from typing import Any

from skiff.cli import opts
from skiff.cli.commands.common import (
    Subparsers,
    add_filter_flag,
    add_format_flag,
    command,
    confirm,
    filters_from,
    for_each,
)
from skiff.cli.commands.inspect import show
from skiff.cli.commands.networks import natural_key
from skiff.cli.errors import StatusError
from skiff.cli.format import networks as fmt
from skiff.cli.format.formatter import render
from skiff.cli.format.units import human_size
from skiff.cli.parser import check_args
from skiff.cli.session import Session


def ls(session: Session, args: argparse.Namespace) -> int:
    filters = filters_from(args)
    spec = args.format
    if args.quiet and not spec:
        spec = "{{.Name}}"
    found = session.client.volumes.list(filters)
    found.sort(key=lambda v: natural_key(str(v.get("Name", ""))))
    rows = [fmt.VolumeContext(v) for v in found]
    session.out.write(render(spec, rows, fmt.VOLUME_DEFAULT, fmt.VOLUME_HEADERS))
    return 0


def create(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.names, 0, 1)
    name = args.names[0] if args.names else args.name or ""
    if args.names and args.name and args.name != args.names[0]:
        raise StatusError(1, "conflicting options: cannot specify a volume-name through both "
                             "--name and as a positional arg")
    try:
        body: dict[str, Any] = {"Name": name, "Driver": args.driver,
                                "DriverOpts": opts.key_value_map("--opt", args.opt),
                                "Labels": opts.label_map(args.label)}
    except opts.InvalidFlag as exc:
        raise StatusError(1, str(exc)) from None
    created = session.client.volumes.create(body)
    session.print(str(created.get("Name", "")))
    return 0


def inspect(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.names, 1)
    return show(session, args.names, "volume", args.format, False)


def rm(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.names, 1)
    volumes = session.client.volumes
    return for_each(session, args.names, lambda ref: volumes.remove(ref, args.force))


def prune(session: Session, args: argparse.Namespace) -> int:
    filters = filters_from(args)
    warning = ("WARNING! This will remove all local volumes not used by at least one "
               "container." if args.all else "WARNING! This will remove anonymous local "
               "volumes not used by at least one container.")
    if not confirm(session, warning + "\nAre you sure you want to continue?", args.force):
        return 0
    if args.all:
        if "all" in filters:
            raise StatusError(1, "conflicting options: cannot specify both --all and "
                                 "--filter all=1")
        filters["all"] = ["true"]
    report = session.client.volumes.prune(filters)
    deleted = report.get("VolumesDeleted") or []
    if deleted:
        session.print("Deleted Volumes:")
        for item in deleted:
            session.print(str(item))
        session.print()
    session.print(f"Total reclaimed space: {human_size(report.get('SpaceReclaimed') or 0)}")
    return 0


def _join_host_port(ip: str, port: str) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def port(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.args, 1, 2)
    container = args.args[0]
    info = session.client.containers.inspect(container)
    ports: dict[str, Any] = (info.get("NetworkSettings") or {}).get("Ports") or {}
    out: list[str] = []
    if len(args.args) == 2:
        wanted = args.args[1]
        number, _, proto = wanted.partition("/")
        if not number.isdigit() or int(number) > 65535:
            raise StatusError(1, f"Error: invalid port ({number}): strconv.ParseUint: parsing "
                                 f"\"{number}\": invalid syntax")
        frontends = ports.get(f"{number}/{proto or 'tcp'}") or []
        if not frontends:
            raise StatusError(1, f"Error: No public port '{wanted}' published for "
                                 f"{container}")
        out = [_join_host_port(f.get("HostIp", ""), f.get("HostPort", "")) for f in frontends]
    else:
        for key, frontends in ports.items():
            for f in frontends or []:
                address = _join_host_port(f.get("HostIp", ""), f.get("HostPort", ""))
                out.append(f"{key} -> {address}")
    out.sort(key=natural_key)
    if out:
        session.print("\n".join(out))
    return 0


def add_port(sub: Subparsers, name: str = "port") -> None:
    p = command(sub, name, port, "CONTAINER [PRIVATE_PORT[/PROTO]]",
                "List port mappings or a specific mapping for the container")
    p.add_argument("args", nargs="*")


def add_volume_group(group: Subparsers) -> None:
    p = command(group, "create", create, "[OPTIONS] [VOLUME]", "Create a volume")
    p.add_argument("-d", "--driver", default="local", help="Specify volume driver name")
    p.add_argument("--label", action="append", default=[], help="Set metadata for a volume")
    p.add_argument("--name", help=argparse.SUPPRESS)
    p.add_argument("-o", "--opt", action="append", default=[],
                   help="Set driver specific options")
    p.add_argument("names", nargs="*", metavar="VOLUME")

    p = command(group, "inspect", inspect, "[OPTIONS] VOLUME [VOLUME...]",
                "Display detailed information on one or more volumes")
    add_format_flag(p, short=True)
    p.add_argument("names", nargs="*", metavar="VOLUME")

    p = command(group, "ls", ls, "[OPTIONS]", "List volumes", aliases=("list",))
    add_filter_flag(p, "Provide filter values (e.g. \"dangling=true\")")
    add_format_flag(p)
    p.add_argument("-q", "--quiet", action="store_true", help="Only display volume names")

    p = command(group, "prune", prune, "[OPTIONS]", "Remove unused local volumes")
    p.add_argument("-a", "--all", action="store_true",
                   help="Remove all unused volumes, not just anonymous ones")
    add_filter_flag(p, "Provide filter values (e.g. \"label=<label>\")", short=False)
    p.add_argument("-f", "--force", action="store_true", help="Do not prompt for confirmation")

    p = command(group, "rm", rm, "[OPTIONS] VOLUME [VOLUME...]",
                "Remove one or more volumes", aliases=("remove",))
    p.add_argument("-f", "--force", action="store_true",
                   help="Force the removal of one or more volumes")
    p.add_argument("names", nargs="*", metavar="VOLUME")
