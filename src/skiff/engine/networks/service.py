"""NetworkService: Docker's network objects (bridge, host, none and user-defined bridges).

This layer owns the model and the IPAM bookkeeping; attaching containers through a data plane
(CNI bridge plugins, embedded DNS, published ports) builds on it.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from skiff.api import filters as flt
from skiff.api.timefmt import now_ns, parse_timestamp_ns, rfc3339nano
from skiff.drivers.network import links, routes
from skiff.engine.events import EventService
from skiff.engine.networks.ipam import Pool
from skiff.engine.telemetry import NOWHERE, Telemetry
from skiff.errdefs import Conflict, Forbidden, InvalidParameter, NotFound
from skiff.store.db import Database

PREDEFINED = ("bridge", "host", "none")
DRIVERS = ("bridge", "host", "null")
DEFAULT_BRIDGE = "skiff0"
BRIDGE_NAME = "com.docker.network.bridge.name"
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


@dataclass
class Network:
    """One network as skiff keeps it."""

    id: str
    name: str
    driver: str
    created_ns: int
    pool: Pool | None = None
    internal: bool = False
    attachable: bool = False
    options: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    adopted_bridge: bool = False  # the bridge existed before the network: never deleted
    ipam_options: dict[str, str] = field(default_factory=dict)

    @property
    def predefined(self) -> bool:
        return self.name in PREDEFINED

    def to_row(self) -> dict[str, Any]:
        return {"Id": self.id, "Name": self.name, "Driver": self.driver,
                "CreatedNs": self.created_ns, "IPAM": self.pool.to_row() if self.pool else None,
                "Internal": self.internal, "Attachable": self.attachable,
                "Options": self.options, "Labels": self.labels, "Endpoints": self.endpoints,
                "AdoptedBridge": self.adopted_bridge, "IPAMOptions": self.ipam_options}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Network:
        return cls(row["Id"], row["Name"], row["Driver"], row["CreatedNs"],
                   Pool.from_row(row["IPAM"]) if row.get("IPAM") else None,
                   row.get("Internal", False), row.get("Attachable", False),
                   dict(row.get("Options") or {}), dict(row.get("Labels") or {}),
                   dict(row.get("Endpoints") or {}), bool(row.get("AdoptedBridge")),
                   dict(row.get("IPAMOptions") or {}))

    def to_api(self, containers: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
        config = []
        if self.pool is not None:
            entry: dict[str, Any] = {"Subnet": str(self.pool.subnet)}  # Docker's order
            if self.pool.ip_range:
                entry["IPRange"] = str(self.pool.ip_range)
            entry["Gateway"] = str(self.pool.gateway)
            if self.pool.aux:
                entry["AuxiliaryAddresses"] = {k: str(v) for k, v in self.pool.aux.items()}
            config.append(entry)
        return {
            "Name": self.name, "Id": self.id, "Created": rfc3339nano(self.created_ns),
            "Scope": "local", "Driver": self.driver, "EnableIPv4": True, "EnableIPv6": False,
            "IPAM": {"Driver": "default",
                     "Options": None if self.predefined else dict(self.ipam_options),
                     "Config": config},
            "Internal": self.internal, "Attachable": self.attachable, "Ingress": False,
            "ConfigFrom": {"Network": ""}, "ConfigOnly": False,
            "Containers": containers if containers is not None else {},
            "Options": self.options, "Labels": self.labels,
        }


def _endpoint_view(endpoint: dict[str, Any], current_name: str | None) -> dict[str, Any]:
    """An endpoint as ``network inspect`` lists it: the container's name as it is now."""
    return {"Name": current_name or endpoint.get("Name", ""),
            "EndpointID": endpoint.get("EndpointID", ""),
            "MacAddress": endpoint.get("MacAddress", ""),
            "IPv4Address": endpoint.get("IPv4Address", ""),
            "IPv6Address": endpoint.get("IPv6Address", "")}


class NetworkService:
    """create, list, inspect, remove and prune networks; the predefined ones always exist."""

    def __init__(self, db: Database, events: EventService,
                 default_bridge: str | None = DEFAULT_BRIDGE,
                 bip: str = "172.17.0.1/16", telemetry: Telemetry = NOWHERE) -> None:
        self._telemetry = telemetry
        self._db = db
        self._default_bridge = default_bridge or DEFAULT_BRIDGE
        try:
            self._bip = ipaddress.IPv4Interface(bip)
        except ValueError:
            raise InvalidParameter(f"invalid --bip {bip}") from None
        self._events = events
        self._networks: dict[str, Network] = {}
        self.on_removed: list[Callable[[Network], Awaitable[None]]] = []
        self.name_of: Callable[[str], str | None] = lambda _cid: None  # containers' names
        for row in db.networks():
            network = Network.from_row(row)
            self._networks[network.id] = network
        self._ensure_predefined()

    def _ensure_predefined(self) -> None:
        present = {n.name for n in self._networks.values()}
        for name, driver in (("bridge", "bridge"), ("host", "host"), ("none", "null")):
            if name in present:
                continue
            network = Network(secrets.token_hex(32), name, driver, now_ns())
            if name == "bridge":
                network.pool = Pool(self._bip.network, self._bip.ip)
                network.options = {
                    "com.docker.network.bridge.default_bridge": "true",
                    "com.docker.network.bridge.enable_icc": "true",
                    "com.docker.network.bridge.enable_ip_masquerade": "true",
                    "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
                    BRIDGE_NAME: self._default_bridge,
                    "com.docker.network.driver.mtu": "1500"}
            self._save(network)

    def _save(self, network: Network) -> None:
        self._db.put_network(network.id, network.to_row())
        self._networks[network.id] = network

    def _event(self, network: Network, action: str) -> None:
        self._events.publish("network", action, network.id,
                             {"name": network.name, "type": network.driver})

    def get(self, ref: str) -> Network:
        """By full ID, exact name, or unique ID prefix (Docker's order)."""
        if ref in self._networks:
            return self._networks[ref]
        by_name = [n for n in self._networks.values() if n.name == ref]
        if by_name:
            return by_name[0]
        by_prefix = [n for n in self._networks.values() if n.id.startswith(ref)] if ref else []
        if len(by_prefix) == 1:
            return by_prefix[0]
        if len(by_prefix) > 1:
            raise InvalidParameter(f"network {ref} is ambiguous ({len(by_prefix)} matches "
                                   f"found based on ID prefix)")
        raise NotFound(f"network {ref} not found")

    def save(self, network: Network) -> None:
        """Write a network (its endpoints and allocations) through to the store."""
        self._save(network)

    def bridges(self) -> list[Network]:
        """Every bridge network with addresses (the default one too, unless disabled)."""
        return [n for n in self._networks.values() if n.driver == "bridge" and
                n.pool is not None]

    def attached(self, container_id: str) -> list[Network]:
        return [n for n in self._networks.values() if container_id in n.endpoints]

    def exists(self, ref: str) -> bool:
        try:
            self.get(ref)
        except (NotFound, InvalidParameter):
            return False
        return True

    def create(self, body: dict[str, Any]) -> dict[str, str]:
        begun = time.perf_counter()
        name = body.get("Name") or ""
        if not name:
            raise InvalidParameter("network name must not be empty")
        if not _NAME.match(name):
            raise InvalidParameter(f"invalid network name \"{name}\": only "
                                   f"[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        if any(n.name == name for n in self._networks.values()):
            raise Conflict(f"network with name {name} already exists")
        if (body.get("Scope") or "local") == "swarm":
            raise Forbidden("cannot create a swarm scoped network when swarm is not active")
        if body.get("Ingress"):
            raise Forbidden("Ingress network can only be global scope network")
        if body.get("ConfigOnly") or (body.get("ConfigFrom") or {}).get("Network"):
            raise InvalidParameter("configuration-only networks are not supported")
        driver = body.get("Driver") or "bridge"
        if driver in ("host", "null"):
            raise Forbidden(f"only one instance of \"{driver}\" network is allowed")
        if driver not in DRIVERS:
            raise NotFound(f"plugin \"{driver}\" not found")
        ipam = body.get("IPAM") or {}
        if (ipam.get("Driver") or "default") != "default":
            raise NotFound(f"plugin \"{ipam['Driver']}\" not found")
        configs = [c for c in ipam.get("Config") or [] if ":" not in (c.get("Subnet") or "")]
        if len(configs) > 1:
            raise InvalidParameter("only one IPv4 subnet per network is supported")
        if body.get("EnableIPv6"):
            raise InvalidParameter("IPv6 networks are not supported yet")
        options = dict(body.get("Options") or {})
        bridge = options.get(BRIDGE_NAME)
        if bridge is not None:
            if len(bridge) > 15 or not re.fullmatch(r"[a-zA-Z0-9_.-]+", bridge):
                raise InvalidParameter(f"invalid bridge name {bridge}")
            if any(n.options.get(BRIDGE_NAME) == bridge for n in self._networks.values()):
                raise Conflict(f"bridge name {bridge} is already in use")
            if links.kind(bridge) == "other":
                raise InvalidParameter(f"cannot use {bridge} as the network's bridge: a link "
                                       f"of another kind has that name")
        if "com.docker.network.driver.mtu" in options:
            mtu = options["com.docker.network.driver.mtu"]
            if not mtu.isdigit() or not 68 <= int(mtu) <= 65535:
                raise InvalidParameter(f"invalid MTU {mtu}")
        config = configs[0] if configs else {}
        taken = [n.pool.subnet for n in self._networks.values() if n.pool is not None]
        pool = Pool.build(config.get("Subnet"), config.get("Gateway"), config.get("IPRange"),
                          taken, [net for _link, net in routes.host_networks()],
                          config.get("AuxiliaryAddresses") or None)
        network = Network(secrets.token_hex(32), name, driver, now_ns(), pool,
                          bool(body.get("Internal")), bool(body.get("Attachable")), options,
                          dict(body.get("Labels") or {}),
                          adopted_bridge=bridge is not None and links.kind(bridge) == "bridge",
                          ipam_options=dict(ipam.get("Options") or {}))
        self._save(network)
        self._event(network, "create")
        self._telemetry.network_action("create", time.perf_counter() - begun)
        return {"Id": network.id, "Warning": ""}

    def inspect(self, ref: str) -> dict[str, Any]:
        network = self.get(ref)
        return network.to_api({cid: _endpoint_view(endpoint, self.name_of(cid))
                               for cid, endpoint in network.endpoints.items()})

    def list_networks(self, filters: flt.Filters) -> list[dict[str, Any]]:
        result = [n for n in self._networks.values() if self._matches(n, filters)]
        result.sort(key=lambda n: n.created_ns)
        return [n.to_api() for n in result]

    def _matches(self, network: Network, filters: flt.Filters) -> bool:
        for key, values in filters.items():
            if key == "name" and not flt.match(values, network.name):
                return False
            if key == "id" and not flt.match(values, network.id):
                return False
            if key == "driver" and network.driver not in values:
                return False
            if key == "label" and not flt.match_labels(values, network.labels):
                return False
            if key == "scope" and "local" not in values:
                return False
            if key == "type":
                for value in values:
                    if value not in ("custom", "builtin"):
                        raise InvalidParameter(f"invalid filter: 'type'='{value}'")
                kind = "builtin" if network.predefined else "custom"
                if kind not in values:
                    return False
            if key == "dangling":
                dangling = flt.parse_bool("dangling", values[-1])
                if dangling != (not network.endpoints and not network.predefined):
                    return False
        return True

    async def remove(self, ref: str) -> None:
        begun = time.perf_counter()
        network = self.get(ref)
        if network.predefined:
            raise Forbidden(f"{network.name} is a pre-defined network and cannot be removed")
        if network.endpoints:
            names = ", ".join(f"name:\"{e.get('Name', '')}\" id:\"{cid[:12]}\""
                              for cid, e in network.endpoints.items())
            raise Forbidden(f"error while removing network: network {network.name} has active "
                            f"endpoints ({names})")
        self._db.delete_network(network.id)
        del self._networks[network.id]
        for hook in self.on_removed:
            await hook(network)
        self._event(network, "destroy")
        self._telemetry.network_action("delete", time.perf_counter() - begun)

    async def prune(self, filters: flt.Filters) -> dict[str, Any]:
        until = parse_timestamp_ns(filters["until"][-1]) if "until" in filters else None
        deleted = []
        for network in list(self._networks.values()):
            if network.predefined or network.endpoints:
                continue
            if until is not None and network.created_ns >= until:
                continue
            if "label" in filters and not flt.match_labels(filters["label"], network.labels):
                continue
            if "label!" in filters and flt.match_labels(filters["label!"], network.labels):
                continue
            await self.remove(network.id)
            deleted.append(network.name)
        return {"NetworksDeleted": deleted or None}

    def plugins(self) -> list[str]:
        return ["bridge", "host", "null"]

