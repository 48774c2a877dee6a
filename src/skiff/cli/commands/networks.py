"""Network commands: network ls, create, inspect, rm, prune, connect, disconnect."""

from __future__ import annotations

import argparse
import ipaddress
import re
from typing import Any

from skiff.cli import opts
from skiff.cli.commands.common import (
    Subparsers,
    add_filter_flag,
    add_format_flag,
    command,
    confirm,
    filters_from,
)
from skiff.cli.commands.inspect import show
from skiff.cli.errors import StatusError
from skiff.cli.format import networks as fmt
from skiff.cli.format.formatter import render
from skiff.cli.parser import check_args
from skiff.cli.session import Session
from skiff.client import APIError


def natural_key(text: str) -> list[Any]:
    """sortorder.NaturalLess: digit runs compare as numbers."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part)
            for part in re.split(r"(\d+)", text) if part]


def ls(session: Session, args: argparse.Namespace) -> int:
    filters = filters_from(args)
    spec = args.format
    if args.quiet and not spec:
        spec = "{{.ID}}"
    found = session.client.networks.list(filters)
    found.sort(key=lambda n: natural_key(str(n.get("Name", ""))))
    rows = [fmt.NetworkContext(n, trunc=not args.no_trunc) for n in found]
    session.out.write(render(spec, rows, fmt.NETWORK_DEFAULT, fmt.NETWORK_HEADERS))
    return 0


def _network(value: str, flag: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise StatusError(1, f"invalid CIDR address: {value}") from None


def ipam_config(subnets: list[str], ranges: list[str], gateways: list[str],
                aux: list[str]) -> list[dict[str, Any]]:
    """docker's consolidateIpam: each ip-range, gateway and aux address to its subnet."""
    configs: list[dict[str, Any]] = []
    nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for subnet in subnets:
        net = _network(subnet, "--subnet")
        for other in nets:
            if net.overlaps(other):
                raise StatusError(1, "multiple overlapping subnet configuration is not "
                                     "allowed")
        nets.append(net)
        configs.append({"Subnet": subnet})
    for value in ranges:
        rng = _network(value, "--ip-range")
        for net, config in zip(nets, configs, strict=True):
            if rng.version == net.version and rng.subnet_of(net):  # type: ignore[arg-type]
                if "IPRange" in config:
                    raise StatusError(1, f"cannot configure multiple ranges ({value}, "
                                         f"{config['IPRange']}) on the same subnet "
                                         f"({config['Subnet']})")
                config["IPRange"] = value
                break
        else:
            raise StatusError(1, f"no matching subnet for range {value}")
    for value in gateways:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            raise StatusError(1, f"invalid IP address: {value}") from None
        for net, config in zip(nets, configs, strict=True):
            if address in net:
                if "Gateway" in config:
                    raise StatusError(1, f"cannot configure multiple gateways ({value}, "
                                         f"{config['Gateway']}) for the same subnet "
                                         f"({config['Subnet']})")
                config["Gateway"] = value
                break
        else:
            raise StatusError(1, f"no matching subnet for gateway {value}")
    for item in aux:
        key, _, value = item.partition("=")
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            raise StatusError(1, f"invalid IP address: {value}") from None
        for net, config in zip(nets, configs, strict=True):
            if address in net:
                config.setdefault("AuxiliaryAddresses", {})[key] = value
                break
        else:
            raise StatusError(1, f"no matching subnet for aux-address {value}")
    return configs


def create(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.names, 1, 1)
    try:
        options = opts.key_value_map("--opt", args.opt)
        ipam_options = opts.key_value_map("--ipam-opt", args.ipam_opt)
        labels = opts.label_map(args.label)
    except opts.InvalidFlag as exc:
        raise StatusError(1, str(exc)) from None
    body: dict[str, Any] = {
        "Name": args.names[0], "Driver": args.driver, "Options": options,
        "IPAM": {"Driver": args.ipam_driver,
                 "Config": ipam_config(args.subnet, args.ip_range, args.gateway,
                                       args.aux_address),
                 "Options": ipam_options},
        "Internal": args.internal, "Attachable": args.attachable, "Ingress": args.ingress,
        "Scope": args.scope or "", "ConfigOnly": args.config_only, "Labels": labels,
    }
    if args.ipv6 is not None:
        body["EnableIPv6"] = args.ipv6
    if args.ipv4 is not None:
        body["EnableIPv4"] = args.ipv4
    if args.config_from:
        body["ConfigFrom"] = {"Network": args.config_from}
    created = session.client.networks.create(body)
    if created.get("Warning"):
        session.err.write(f"{created['Warning']}\n")
    session.print(str(created.get("Id", "")))
    return 0


def inspect(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.names, 1)
    return show(session, args.names, args.kind, args.format, False)


def rm(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.names, 1)
    failed = False
    for ref in args.names:
        try:
            session.client.networks.remove(ref)
        except APIError as exc:
            if args.force and exc.not_found:
                continue
            session.err.write(f"{exc}\n")
            failed = True
            continue
        session.print(ref)
    if failed:
        raise StatusError(1, "exit status 1")
    return 0


def prune(session: Session, args: argparse.Namespace) -> int:
    filters = filters_from(args)
    if not confirm(session, "WARNING! This will remove all custom networks not used by at "
                            "least one container.\nAre you sure you want to continue?",
                   args.force):
        return 0
    report = session.client.networks.prune(filters)
    deleted = report.get("NetworksDeleted") or []
    if deleted:
        session.print("Deleted Networks:")
        for item in deleted:
            session.print(str(item))
        session.print()
    return 0


def connect(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.names, 2, 2)
    network, container = args.names
    endpoint: dict[str, Any] = {}
    ipam: dict[str, Any] = {}
    if args.ip:
        ipam["IPv4Address"] = args.ip
    if args.ip6:
        ipam["IPv6Address"] = args.ip6
    if args.link_local_ip:
        ipam["LinkLocalIPs"] = args.link_local_ip
    if ipam:
        endpoint["IPAMConfig"] = ipam
    if args.alias:
        endpoint["Aliases"] = args.alias
    if args.link:
        endpoint["Links"] = args.link
    if args.driver_opt:
        try:
            endpoint["DriverOpts"] = opts.key_value_map("--driver-opt", args.driver_opt)
        except opts.InvalidFlag as exc:
            raise StatusError(1, str(exc)) from None
    if args.gw_priority:
        endpoint["GwPriority"] = args.gw_priority
    session.client.networks.connect(network, container, endpoint or None)
    return 0


def disconnect(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.names, 2, 2)
    network, container = args.names
    session.client.networks.disconnect(network, container, args.force)
    return 0


def add_network_group(group: Subparsers) -> None:
    p = command(group, "connect", connect, "[OPTIONS] NETWORK CONTAINER",
                "Connect a container to a network")
    p.add_argument("--alias", action="append", default=[],
                   help="Add network-scoped alias for the container")
    p.add_argument("--driver-opt", action="append", default=[],
                   help="driver options for the network")
    p.add_argument("--gw-priority", type=int, default=0,
                   help="Highest gw-priority provides the default gateway")
    p.add_argument("--ip", help="IPv4 address (e.g., \"172.30.100.104\")")
    p.add_argument("--ip6", help="IPv6 address (e.g., \"2001:db8::33\")")
    p.add_argument("--link", action="append", default=[],
                   help="Add link to another container")
    p.add_argument("--link-local-ip", action="append", default=[],
                   help="Add a link-local address for the container")
    p.add_argument("names", nargs="*")

    p = command(group, "create", create, "[OPTIONS] NETWORK", "Create a network")
    p.add_argument("--attachable", action="store_true",
                   help="Enable manual container attachment")
    p.add_argument("--aux-address", action="append", default=[],
                   help="Auxiliary IPv4 or IPv6 addresses used by Network driver")
    p.add_argument("--config-from", help="The network from which to copy the configuration")
    p.add_argument("--config-only", action="store_true",
                   help="Create a configuration only network")
    p.add_argument("-d", "--driver", default="bridge",
                   help="Driver to manage the Network")
    p.add_argument("--gateway", action="append", default=[],
                   help="IPv4 or IPv6 Gateway for the master subnet")
    p.add_argument("--ingress", action="store_true",
                   help="Create swarm routing-mesh network")
    p.add_argument("--internal", action="store_true",
                   help="Restrict external access to the network")
    p.add_argument("--ip-range", action="append", default=[],
                   help="Allocate container ip from a sub-range")
    p.add_argument("--ipam-driver", default="default", help="IP Address Management Driver")
    p.add_argument("--ipam-opt", action="append", default=[],
                   help="Set IPAM driver specific options")
    p.add_argument("--ipv4", action="store_true", default=None, help="Enable or disable IPv4 "
                   "address assignment")
    p.add_argument("--ipv6", action="store_true", default=None, help="Enable or disable IPv6 "
                   "address assignment")
    p.add_argument("--label", action="append", default=[],
                   help="Set metadata on a network")
    p.add_argument("-o", "--opt", action="append", default=[],
                   help="Set driver specific options")
    p.add_argument("--scope", help="Control the network's scope")
    p.add_argument("--subnet", action="append", default=[],
                   help="Subnet in CIDR format that represents a network segment")
    p.add_argument("names", nargs="*", metavar="NETWORK")

    p = command(group, "disconnect", disconnect, "[OPTIONS] NETWORK CONTAINER",
                "Disconnect a container from a network")
    p.add_argument("-f", "--force", action="store_true",
                   help="Force the container to disconnect from a network")
    p.add_argument("names", nargs="*")

    p = command(group, "inspect", inspect, "[OPTIONS] NETWORK [NETWORK...]",
                "Display detailed information on one or more networks")
    add_format_flag(p, short=True)
    p.add_argument("-v", "--verbose", action="store_true",
                   help="Verbose output for diagnostics")
    p.add_argument("names", nargs="*", metavar="NETWORK")
    p.set_defaults(kind="network")

    p = command(group, "ls", ls, "[OPTIONS]", "List networks", aliases=("list",))
    add_filter_flag(p, "Provide filter values (e.g. \"driver=bridge\")")
    add_format_flag(p)
    p.add_argument("--no-trunc", action="store_true", help="Do not truncate the output")
    p.add_argument("-q", "--quiet", action="store_true", help="Only display network IDs")

    p = command(group, "prune", prune, "[OPTIONS]", "Remove all unused networks")
    add_filter_flag(p, "Provide filter values (e.g. \"until=<timestamp>\")", short=False)
    p.add_argument("-f", "--force", action="store_true", help="Do not prompt for confirmation")

    p = command(group, "rm", rm, "NETWORK [NETWORK...]", "Remove one or more networks",
                aliases=("remove",))
    p.add_argument("-f", "--force", action="store_true",
                   help="Do not error if the network does not exist")
    p.add_argument("names", nargs="*", metavar="NETWORK")
