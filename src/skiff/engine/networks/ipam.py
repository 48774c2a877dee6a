"""IPv4 address management with Docker's rules: default pools, overlap and gateway checks.

Pure functions and a small allocator; the network service persists what they decide.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from skiff.errdefs import Conflict, InvalidParameter, System

Net = ipaddress.IPv4Network
Addr = ipaddress.IPv4Address

DEFAULT_BRIDGE_SUBNET = Net("172.17.0.0/16")
# Docker's default address pools: 172.17-31.0.0/16, then 192.168.0.0/16 in /20 steps
DEFAULT_POOLS: list[tuple[Net, int]] = [(Net("172.16.0.0/12"), 16), (Net("192.168.0.0/16"), 20)]


def parse_subnet(text: str) -> Net:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise InvalidParameter(f"invalid subnet {text}: invalid CIDR address: {text}") from None
    if not isinstance(network, Net):
        raise InvalidParameter("IPv6 networks are not supported yet")
    if str(network) != text.strip():
        raise InvalidParameter(f"invalid subnet {text}: it should be {network}")
    return network


def parse_address(text: str, what: str) -> Addr:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise InvalidParameter(f"invalid {what}: {text}") from None
    if not isinstance(address, Addr):
        raise InvalidParameter("IPv6 addresses are not supported yet")
    return address


def overlaps(candidate: Net, taken: Iterable[Net]) -> Net | None:
    """The first taken subnet ``candidate`` overlaps, if any."""
    return next((net for net in taken if candidate.overlaps(net)), None)


def pick_subnet(taken: list[Net], avoid: Iterable[Net] = ()) -> Net:
    """The first free subnet of the default pools (172.17.0.0/16 is the default bridge's).

    ``avoid`` are the host's routed networks: as Docker's, an automatic subnet never shadows
    a network the host already reaches (another engine's bridge, a VPN, the LAN).
    """
    taken = [*taken, *avoid]
    for pool, prefix in DEFAULT_POOLS:
        for candidate in pool.subnets(new_prefix=prefix):
            if candidate.network_address < DEFAULT_BRIDGE_SUBNET.network_address and \
                    candidate.subnet_of(Net("172.16.0.0/12")):
                continue  # Docker's pools start at 172.17
            if candidate == DEFAULT_BRIDGE_SUBNET:
                continue  # kept for a default bridge (this daemon's or another engine's)
            if overlaps(candidate, taken) is None:
                return candidate
    raise Conflict("could not find an available, non-overlapping IPv4 address pool among the "
                   "defaults to assign to the network")


@dataclass
class Pool:
    """One network's IPv4 configuration and its allocated addresses."""

    subnet: Net
    gateway: Addr
    ip_range: Net | None = None
    allocated: set[Addr] = field(default_factory=set)
    user_subnet: bool = False  # the user chose the subnet (static addresses need that)
    aux: dict[str, Addr] = field(default_factory=dict)  # --aux-address: never handed out

    @classmethod
    def build(cls, subnet: str | None, gateway: str | None, ip_range: str | None,
              taken: list[Net], avoid: Iterable[Net] = (),
              aux: dict[str, str] | None = None) -> Pool:
        """Validate a network's IPAM config (or choose one) against the subnets in use.

        ``avoid`` only steers an automatic choice; an explicit subnet is the user's call.
        """
        if subnet:
            network = parse_subnet(subnet)
            clash = overlaps(network, taken)
            if clash is not None:
                raise Conflict("invalid pool request: Pool overlaps with other one on this "
                               "address space")
        else:
            if gateway or ip_range:
                raise InvalidParameter("gateway and ip-range need a subnet")
            network = pick_subnet(taken, avoid)
        if gateway:
            address = parse_address(gateway, "gateway")
            if address not in network:
                raise InvalidParameter(f"no matching subnet for gateway {gateway}")
            if address in (network.network_address, network.broadcast_address):
                # Docker's IPAM never hands these out (a 500 there, as here)
                raise System(f"failed to allocate gateway ({gateway}): Address already in use")
        elif network.num_addresses <= 2:  # a /31 or /32: nothing besides those two
            raise System("failed to allocate gateway (): No available addresses on this pool")
        else:
            address = network.network_address + 1
        pool_range = None
        if ip_range:
            pool_range = parse_subnet(ip_range)
            if not pool_range.subnet_of(network):
                raise InvalidParameter(f"no matching subnet for range {ip_range}")
        reserved = {}
        for host, text in (aux or {}).items():
            reserved[host] = parse_address(text, "auxiliary address")
            if reserved[host] not in network:
                raise InvalidParameter(f"no matching subnet for aux-address {text}")
        return cls(network, address, pool_range, user_subnet=bool(subnet), aux=reserved)

    def _usable(self, address: Addr) -> bool:
        return (address != self.subnet.network_address
                and address != self.subnet.broadcast_address and address != self.gateway
                and address not in self.aux.values())

    def allocate(self, wanted: str | None = None) -> Addr:
        """A static address if asked for (must be free and inside), else the next free one."""
        if wanted:
            address = parse_address(wanted, "IPv4 address")
            if address not in self.subnet:
                raise InvalidParameter(f"invalid address {wanted}: it does not belong to any "
                                       f"of this network's subnets")
            if address in self.allocated or not self._usable(address):
                raise Conflict(f"Address already in use: {wanted}")
            self.allocated.add(address)
            return address
        for address in (self.ip_range or self.subnet).hosts():
            if self._usable(address) and address not in self.allocated:
                self.allocated.add(address)
                return address
        raise Conflict(f"no available IPv4 addresses on this network's address pools: "
                       f"{self.subnet}")

    def release(self, address: Addr) -> None:
        self.allocated.discard(address)

    def to_row(self) -> dict[str, Any]:
        return {"Subnet": str(self.subnet), "Gateway": str(self.gateway),
                "IPRange": str(self.ip_range) if self.ip_range else "",
                "Allocated": sorted(str(a) for a in self.allocated),
                "UserSubnet": self.user_subnet,
                "AuxiliaryAddresses": {k: str(v) for k, v in self.aux.items()}}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Pool:
        ip_range = str(row.get("IPRange") or "")
        # rows from before the flag: static addresses stay allowed, as they were
        return cls(Net(row["Subnet"]), Addr(row["Gateway"]), Net(ip_range) if ip_range else None,
                   {Addr(a) for a in row.get("Allocated") or []},
                   bool(row.get("UserSubnet", True)),
                   {k: Addr(v) for k, v in (row.get("AuxiliaryAddresses") or {}).items()})
