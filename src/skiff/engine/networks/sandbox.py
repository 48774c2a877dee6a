"""A running container's network sandbox: its namespace and one endpoint per network.

Containers on user-defined bridge networks get a network namespace of their own, an address
from the network's IPAM and a veth on the network's bridge (CNI's bridge plugin, with
masquerading unless the network is internal); the default bridge works the same way under
Docker's name ``bridge``. ``host``, ``none`` and ``container:<id>`` need no sandbox of skiff's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from pathlib import Path
from typing import Any

from skiff.drivers.network import cni, links, netns, nssock
from skiff.drivers.network.base import BridgeNetwork, Firewall
from skiff.engine.containers.model import MODE_LEFT, Container
from skiff.engine.networks import ports
from skiff.engine.networks.dns import DnsServer
from skiff.engine.networks.ipam import Addr
from skiff.engine.networks.service import BRIDGE_NAME, PREDEFINED, Network, NetworkService
from skiff.errdefs import Forbidden, SkiffError
from skiff.store.layout import Layout

log = logging.getLogger(__name__)
MTU = "com.docker.network.driver.mtu"
ICC = "com.docker.network.bridge.enable_icc"
MASQUERADE = "com.docker.network.bridge.enable_ip_masquerade"


def bridge_name(network: Network) -> str:
    return network.options.get(BRIDGE_NAME) or f"br-{network.id[:12]}"


def _cni_conf(network: Network, address: Addr, primary: bool,
              mac: str | None = None) -> dict[str, Any]:
    assert network.pool is not None
    routes = [] if network.internal or not primary else [{"dst": "0.0.0.0/0"}]
    conf: dict[str, Any] = {
        "name": network.name, "type": "bridge", "bridge": bridge_name(network),
        "isGateway": True, "ipMasq": False, "hairpinMode": True,
        "ipam": {"type": "static", "routes": routes, "addresses": [{
            "address": f"{address}/{network.pool.subnet.prefixlen}",
            "gateway": str(network.pool.gateway)}]},
    }
    if network.options.get(MTU):
        conf["mtu"] = int(network.options[MTU])
    # as Docker: unless the user chose one, the MAC follows from the address, so a reused
    # address never meets a stale neighbour entry on the host or in other containers
    conf["capabilities"] = {"mac": True}
    conf["runtimeConfig"] = {"mac": mac or mac_for(address)}
    return conf


def firewall_view(network: Network) -> BridgeNetwork:
    """What the firewall needs to know of a bridge network."""
    assert network.pool is not None
    return BridgeNetwork(bridge_name(network), str(network.pool.subnet), network.internal,
                         icc=network.options.get(ICC, "true") != "false",
                         masquerade=network.options.get(MASQUERADE, "true") != "false")


def _dns_servers(container: Container) -> list[str]:
    return list(container.host_config.get("Dns") or [])


def mac_for(address: Addr) -> str:
    return "02:42:" + ":".join(f"{octet:02x}" for octet in address.packed)


class Sandboxes:
    """Creates and tears down network sandboxes for containers on user networks."""

    def __init__(self, networks: NetworkService, layout: Layout, firewall: Firewall,
                 dns: DnsServer | None = None, default_bridge: bool = True) -> None:
        self._networks = networks
        self._default_bridge = default_bridge
        self._dns = dns
        self._firewall = firewall
        self._dir = layout.exec_root / "netns"
        self._ports = ports.Reservations()
        networks.on_removed.append(self._drop_bridge)

    def _live_bridges(self) -> list[BridgeNetwork]:
        return [firewall_view(n) for n in self._networks.bridges()
                if links.kind(bridge_name(n)) == "bridge"]

    async def restore_firewall(self) -> None:
        """At start and on reload: the rules of every network whose bridge exists."""
        try:
            await self._firewall.reconcile(self._live_bridges())
        except (OSError, SkiffError) as exc:  # skiffd still serves; attaching says it again
            log.warning("firewall rules not restored: %s", exc)

    async def firewall_warnings(self) -> list[str]:
        """What /info says of the firewall (forwarding, bridge-nf-call, missing rules)."""
        return await self._firewall.diagnose(self._live_bridges())

    def forwarding_facts(self) -> dict[str, bool]:
        return self._firewall.facts()

    async def _drop_bridge(self, network: Network) -> None:
        """A removed network takes its bridge and its rules with it."""
        if network.driver == "bridge" and network.pool is not None:
            name = bridge_name(network)
            if network.adopted_bridge:
                await self._firewall.release(name)
            else:  # the kernel's link removal and iptables' batch, side by side
                await asyncio.gather(self._firewall.release(name), links.delete(name))

    def path(self, container: Container) -> Path:
        return self._dir / container.id

    def _wanted(self, container: Container) -> list[tuple[Network, dict[str, Any]]]:
        mode = container.host_config.get("NetworkMode") or "default"
        endpoints = dict(container.networking.get("EndpointsConfig") or {})
        names = ([] if container.networking.get(MODE_LEFT) else [mode]) + \
            [n for n in endpoints if n != mode]
        wanted = []
        for name in names:
            if name in ("default", "bridge"):  # the default bridge, under Docker's name
                if self._default_bridge:
                    wanted.append((self._networks.get("bridge"),
                                   dict(endpoints.get(name) or {})))
                continue
            if name in PREDEFINED or name.startswith("container:"):
                continue
            network = self._networks.get(name)
            wanted.append((network, dict(endpoints.get(name) or {})))
        return wanted

    def embedded_dns(self, container: Container) -> bool:
        """Containers on a user-defined network ask 127.0.0.11; the default bridge does not."""
        return any(not n.predefined for n, _ in self._wanted(container))

    async def prepare(self, container: Container) -> Path | None:
        """The namespace path to give the runtime, or None when the container needs none."""
        wanted = self._wanted(container)
        if not wanted:
            return None
        path = self.path(container)
        netns.remove(path)
        await netns.create(path)
        settings: dict[str, Any] = {}
        try:
            for index, (network, config) in enumerate(wanted):
                settings[network.name] = await self._attach(container, network, config, path,
                                                            index)
            await self._publish(container, wanted[0][0], path)
            if self._dns is not None and self.embedded_dns(container):
                await self._dns.attach(container.id, path, _dns_servers(container))
        except BaseException:
            await self.release(container)
            raise
        container.networking["Settings"] = settings
        container.networking["SandboxKey"] = str(path)
        return path

    async def connect(self, container: Container, network: Network,
                      config: dict[str, Any]) -> None:
        """Attach a running container to one more network, at once."""
        path = self.path(container)
        if not path.exists():
            raise Forbidden("container sharing network namespace with another container or "
                            "host cannot be connected to any other network")
        settings = dict(container.networking.get("Settings") or {})
        index = 1 + max((int(str(e.get("Interface", "eth0"))[3:] or 0)
                         for n in self._networks.attached(container.id)
                         for e in [n.endpoints[container.id]]), default=-1)
        taken = await asyncio.to_thread(nssock.link_names, path)
        while f"eth{index}" in taken:  # a link the container made itself keeps its name
            index += 1
        settings[network.name] = await self._attach(container, network, config, path, index)
        container.networking["Settings"] = settings
        if self._dns is not None and not network.predefined and \
                not self._dns.serves(container.id):
            await self._dns.attach(container.id, path, _dns_servers(container))

    async def disconnect(self, container: Container, network: Network) -> None:
        """Detach a running container from one network."""
        path = self.path(container)
        if container.id not in network.endpoints:
            return
        moving = (container.networking.get("PortsOn") or {}).get("Network") == network.name
        if moving:
            await self._unforward_ports(container, path)
        await self._detach(container, network, path)
        settings = dict(container.networking.get("Settings") or {})
        settings.pop(network.name, None)
        container.networking["Settings"] = settings
        remaining = self._networks.attached(container.id)
        if moving and remaining and path.exists():  # as Docker: the ports follow
            await self._forward_ports(container, remaining[0], path)

    async def _detach(self, container: Container, network: Network, path: Path) -> None:
        """Take the container's endpoint off ``network``: veth, address, record."""
        endpoint = network.endpoints.pop(container.id, {})
        assert network.pool is not None
        address = Addr(str(endpoint.get("IPv4Address", "0.0.0.0/0")).split("/")[0])
        with contextlib.suppress(SkiffError):
            await cni.delete(_cni_conf(network, address, bool(endpoint.get("Primary"))),
                             container.id, path, str(endpoint.get("Interface", "eth0")))
        network.pool.release(address)
        self._networks.save(network)

    async def _publish(self, container: Container, network: Network, path: Path) -> None:
        """Reserve the published host ports and forward them (on the primary network)."""
        bindings = self._ports.reserve(container.id, container.host_config,
                                       container.config.get("ExposedPorts") or {})
        container.networking["Ports"] = ports.api_ports(
            bindings, container.config.get("ExposedPorts") or {})
        if not bindings:
            return
        container.networking["Bindings"] = [b.to_cni() for b in bindings]
        await self._forward_ports(container, network, path)

    async def _forward_ports(self, container: Container, network: Network, path: Path) -> None:
        """Forward the container's published ports to its address on ``network``."""
        endpoint = network.endpoints[container.id]
        ifname = str(endpoint.get("Interface", "eth0"))
        assert network.pool is not None
        # the portmap plugin takes the container's address from the attachment's result
        previous = {"cniVersion": cni.VERSION,
                    "interfaces": [{"name": ifname, "sandbox": str(path)}],
                    "ips": [{"address": endpoint["IPv4Address"], "interface": 0,
                             "gateway": str(network.pool.gateway)}]}
        await cni.add(self._portmap_conf(network.name, container, previous), container.id,
                      path, ifname)
        # what the forwarding is filed under: needed to take it down, whatever happens later
        container.networking["PortsOn"] = {"Network": network.name, "Interface": ifname}

    async def _unforward_ports(self, container: Container, path: Path) -> None:
        where = container.networking.pop("PortsOn", None)
        if where is None and container.networking.get("Bindings"):
            # forwarded by an older skiffd, always on the primary network
            primary = next((n for n in self._networks.attached(container.id)
                            if n.endpoints[container.id].get("Primary")), None)
            where = {"Network": primary.name, "Interface": "eth0"} if primary else None
        if where is None or not path.exists():
            return
        with contextlib.suppress(SkiffError):
            await cni.delete(self._portmap_conf(str(where["Network"]), container, None),
                             container.id, path, str(where["Interface"]))

    @staticmethod
    def _portmap_conf(network_name: str, container: Container,
                      previous: dict[str, Any] | None) -> dict[str, Any]:
        conf: dict[str, Any] = {"name": network_name, "type": "portmap", "snat": True,
                                "capabilities": {"portMappings": True},
                                "runtimeConfig": {"portMappings":
                                                  container.networking.get("Bindings") or []}}
        if previous is not None:
            conf["prevResult"] = previous
        return conf

    async def _attach(self, container: Container, network: Network, config: dict[str, Any],
                      path: Path, index: int) -> dict[str, Any]:
        assert network.pool is not None
        static = (config.get("IPAMConfig") or {}).get("IPv4Address") or None
        address = network.pool.allocate(static)
        ifname = f"eth{index}"
        network.endpoints[container.id] = {"Name": container.name, "Interface": ifname,
                                           "IPv4Address": f"{address}/"
                                           f"{network.pool.subnet.prefixlen}",
                                           "Primary": index == 0,
                                           "Aliases": list(config.get("Aliases") or [])}
        self._networks.save(network)
        # the endpoint's MacAddress (API 1.44+), or the container's (older clients)
        mac = config.get("MacAddress") or \
            (container.config.get("MacAddress") if index == 0 else None)
        conf = _cni_conf(network, address, index == 0, mac)
        try:
            # checked at every attach, for every bridge: another firewall manager may have
            # flushed them all (one read of the rules, one write when something is missing)
            await self._firewall.ensure({firewall_view(network), *self._live_bridges()})
            result = await cni.add(conf, container.id, path, ifname)
        except BaseException:  # nothing half attached: no endpoint, no address, no veth
            with contextlib.suppress(SkiffError):
                await cni.delete(conf, container.id, path, ifname)
            network.endpoints.pop(container.id, None)
            network.pool.release(address)
            self._networks.save(network)
            raise
        mac = next((i.get("mac", "") for i in result.get("interfaces") or []
                    if i.get("sandbox")), "")
        endpoint_id = secrets.token_hex(32)
        network.endpoints[container.id].update({"EndpointID": endpoint_id, "MacAddress": mac,
                                                "IPv6Address": ""})
        self._networks.save(network)
        return {
            "IPAMConfig": config.get("IPAMConfig"), "Links": None,
            "Aliases": config.get("Aliases"), "MacAddress": mac, "DriverOpts": None,
            "GwPriority": 0, "NetworkID": network.id, "EndpointID": endpoint_id,
            "Gateway": str(network.pool.gateway), "IPAddress": str(address),
            "IPPrefixLen": network.pool.subnet.prefixlen, "IPv6Gateway": "",
            "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
            "DNSNames": [container.name, container.id[:12], *(config.get("Aliases") or [])],
        }

    async def release(self, container: Container) -> None:
        """Detach from every network and drop the namespace (safe to call twice)."""
        path = self.path(container)
        if self._dns is not None:
            self._dns.detach(container.id)
        attached = self._networks.attached(container.id)
        await self._unforward_ports(container, path)
        self._ports.release(container.id)
        container.networking.pop("Bindings", None)
        container.networking.pop("Ports", None)
        # the namespace goes first: the kernel then takes the veths down with it, in a batch,
        # and each plugin's DEL finds no namespace and only releases what is outside it
        netns.remove(path)
        for network in attached:
            await self._detach(container, network, path)
        container.networking.pop("Settings", None)
        container.networking.pop("SandboxKey", None)

    async def resume(self, container: Container) -> None:
        """After a skiffd restart: serve DNS again in a running container's namespace."""
        path = self.path(container)
        if not path.exists():
            return
        if self._dns is not None and self.embedded_dns(container):
            with contextlib.suppress(OSError, SkiffError):
                await self._dns.attach(container.id, path, _dns_servers(container))
        held = {f"{b['containerPort']}/{b['protocol']}": [
            {"HostIp": b["hostIP"], "HostPort": str(b["hostPort"])}]
            for b in container.networking.get("Bindings") or []}
        with contextlib.suppress(SkiffError):  # hold the ports again, as before the restart
            self._ports.reserve(container.id, {"PortBindings": held}, {})

    def host_gateway(self, container: Container) -> str:
        """The address ``host-gateway`` stands for: the default bridge's gateway, as Docker's.

        Without a default bridge, the gateway of the container's first network; on the host's
        network (or with no network at all), loopback.
        """
        if self._default_bridge:
            pool = self._networks.get("bridge").pool
            if pool is not None:
                return str(pool.gateway)
        for network, _config in self._wanted(container)[:1]:
            if network.pool is not None:
                return str(network.pool.gateway)
        return "127.0.0.1"

    def own_addresses(self, container: Container) -> list[str]:
        settings = container.networking.get("Settings") or {}
        return [s["IPAddress"] for s in settings.values() if s.get("IPAddress")]
