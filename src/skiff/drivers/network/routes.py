"""The host's IPv4 routes, read from /proc/net/route (what automatic subnets must avoid)."""

from __future__ import annotations

import ipaddress
import socket
import struct
from pathlib import Path

ROUTE_TABLE = Path("/proc/net/route")


def _address(field: str) -> str:
    return socket.inet_ntoa(struct.pack("<I", int(field, 16)))


def host_networks(table: Path = ROUTE_TABLE) -> list[tuple[str, ipaddress.IPv4Network]]:
    """(interface, destination) of every route but the default one."""
    try:
        lines = table.read_text().splitlines()[1:]
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split()
        if len(fields) < 8:
            continue
        try:
            network = ipaddress.IPv4Network(f"{_address(fields[1])}/{_address(fields[7])}",
                                            strict=False)
        except ValueError:
            continue
        if network.prefixlen:
            found.append((fields[0], network))
    return found
