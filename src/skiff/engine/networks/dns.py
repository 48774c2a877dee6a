"""The embedded DNS server: 127.0.0.11 inside every container on a user-defined network.

Names are answered from live state on each query (container names, network aliases, short
IDs of containers sharing a network with the asker), so they follow connect, disconnect and
rename at once; addresses of containers answer reverse (PTR) lookups with their names. Other
names go to the container's ``--dns`` servers if it has any, else to the host's resolvers.
Served over UDP (a reply too long for the asker is truncated, so it asks again) and TCP.
Forwarded queries leave from skiffd's own namespace, so a resolver the host reaches on
loopback (a local caching daemon) works for containers too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
from collections.abc import Callable
from pathlib import Path

import dnslib

from skiff.drivers.network import nssock
from skiff.engine.networks.service import Network, NetworkService

log = logging.getLogger(__name__)
ADDRESS, PORT = "127.0.0.11", 53
TTL = 600
_NAMESERVER = re.compile(r"^\s*nameserver\s+(\S+)", re.MULTILINE)


def host_resolvers(path: Path = Path("/etc/resolv.conf")) -> list[str]:
    """The host's IPv4 name servers, loopback ones included (queries leave from the host)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    return [s for s in _NAMESERVER.findall(text) if ":" not in s]


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer, container_id: str) -> None:
        self._server = server
        self._container_id = container_id
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        task = asyncio.get_running_loop().create_task(
            self._server.answer(self._container_id, data, tcp=False))
        task.add_done_callback(lambda t: self._reply(t, addr))

    def _reply(self, task: asyncio.Task[bytes | None], addr: tuple[str, int]) -> None:
        if task.cancelled() or task.exception() is not None or self.transport is None:
            return
        reply = task.result()
        if reply:
            self.transport.sendto(reply, addr)


async def _serve_tcp(server: DnsServer, container_id: str, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
    """Length-prefixed queries over one connection, answered in turn."""
    try:
        while True:
            size = int.from_bytes(await reader.readexactly(2), "big")
            reply = await server.answer(container_id, await reader.readexactly(size), tcp=True)
            if reply is None:
                break
            writer.write(len(reply).to_bytes(2, "big") + reply)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


class DnsServer:
    """UDP and TCP endpoints per attached container, all served by skiffd's event loop."""

    def __init__(self, networks: NetworkService, name_of: Callable[[str], str | None],
                 links_of: Callable[[str], dict[str, str]] | None = None) -> None:
        self._networks = networks
        self._name_of = name_of
        self._links_of = links_of or (lambda _cid: {})
        self._endpoints: dict[str, asyncio.DatagramTransport] = {}
        self._tcp: dict[str, asyncio.Server] = {}
        self._upstreams: dict[str, list[str]] = {}
        self._host_upstreams = host_resolvers()

    async def attach(self, container_id: str, netns: Path,
                     upstreams: list[str] | None = None) -> None:
        """Serve 127.0.0.11 in ``netns``; unknown names go to ``upstreams`` (else the host's)."""
        sock = await asyncio.to_thread(nssock.udp_in, netns, ADDRESS, PORT)
        listener = await asyncio.to_thread(nssock.tcp_in, netns, ADDRESS, PORT)
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: _Endpoint(self, container_id), sock=sock)
        self._endpoints[container_id] = transport
        self._tcp[container_id] = await asyncio.start_server(
            lambda r, w: _serve_tcp(self, container_id, r, w), sock=listener)
        self._upstreams[container_id] = [u for u in upstreams or [] if ":" not in u] or \
            self._host_upstreams

    def serves(self, container_id: str) -> bool:
        return container_id in self._endpoints

    def detach(self, container_id: str) -> None:
        transport = self._endpoints.pop(container_id, None)
        self._upstreams.pop(container_id, None)
        server = self._tcp.pop(container_id, None)
        if server is not None:
            server.close()
        if transport is not None:
            transport.close()

    def lookup(self, container_id: str, name: str) -> list[str]:
        """IPv4 addresses ``name`` has for a container, on the networks it is attached to.

        As Docker's resolver: ``name`` on any of them first, else ``<name>.<network>`` on that
        network alone (network names may hold dots: ``a.b.c`` is tried as ``a.b`` on ``c``,
        then as ``a`` on ``b.c``).
        """
        name = name.rstrip(".").lower()
        # a --link alias names the linked container, for the linking container alone
        linked = {a.lower(): n.lower() for a, n in self._links_of(container_id).items()}
        attached = self._networks.attached(container_id)
        wanted: list[tuple[str, str | None]] = [(name, None)]
        cut = len(name)
        while (cut := name.rfind(".", 0, cut)) > 0:
            wanted.append((name[:cut], name[cut + 1:]))
        for short, network_name in wanted:
            networks = [n for n in attached
                        if network_name is None or n.name.lower() == network_name]
            found = self._find(linked.get(short, short), networks)
            if found:
                return found
        return []

    def _find(self, name: str, networks: list[Network]) -> list[str]:
        found: list[str] = []
        for network in networks:
            for other_id, endpoint in network.endpoints.items():
                names = {str(a).lower() for a in endpoint.get("Aliases") or []}
                names.add(other_id[:12])
                current = self._name_of(other_id)
                if current:
                    names.add(current.lower())
                if name in names:
                    found.append(str(endpoint["IPv4Address"]).split("/")[0])
        return found

    def reverse(self, container_id: str, name: str) -> str | None:
        """``name.network`` of the container that has the address a PTR question asks about."""
        labels = name.rstrip(".").lower().split(".")
        if labels[-2:] != ["in-addr", "arpa"] or len(labels) != 6:
            return None
        address = ".".join(reversed(labels[:4]))
        for network in self._networks.attached(container_id):
            for other_id, endpoint in network.endpoints.items():
                if str(endpoint.get("IPv4Address", "")).split("/")[0] == address:
                    owner = self._name_of(other_id) or other_id[:12]
                    return f"{owner}.{network.name}."
        return None

    async def answer(self, container_id: str, data: bytes, tcp: bool) -> bytes | None:
        try:
            query = dnslib.DNSRecord.parse(data)
        except Exception:  # not DNS: ignore it, as a server would
            return None
        question = query.q
        name = str(question.qname)
        reply = query.reply()
        if question.qtype == dnslib.QTYPE.PTR:
            target = self.reverse(container_id, name)
            if target is None:
                return await self._forward(container_id, query, data, tcp)
            reply.add_answer(dnslib.RR(question.qname, dnslib.QTYPE.PTR,
                                       rdata=dnslib.PTR(target), ttl=TTL))
            return _fit(reply, query, tcp)
        addresses = self.lookup(container_id, name)
        if not addresses:
            return await self._forward(container_id, query, data, tcp)
        if question.qtype == dnslib.QTYPE.A:
            for address in addresses:
                reply.add_answer(dnslib.RR(question.qname, dnslib.QTYPE.A,
                                           rdata=dnslib.A(address), ttl=TTL))
        return _fit(reply, query, tcp)

    async def _forward(self, container_id: str, query: dnslib.DNSRecord, data: bytes,
                       tcp: bool) -> bytes | None:
        ask = _ask_tcp if tcp else _ask
        for upstream in self._upstreams.get(container_id, self._host_upstreams):
            with contextlib.suppress(OSError, TimeoutError, asyncio.IncompleteReadError):
                return await asyncio.wait_for(ask(upstream, data), 2.0)
        reply = query.reply()
        reply.header.rcode = dnslib.RCODE.SERVFAIL
        return bytes(reply.pack())


def _fit(reply: dnslib.DNSRecord, query: dnslib.DNSRecord, tcp: bool) -> bytes:
    """The packed reply, truncated (TC set, no records) if a UDP asker cannot take it all."""
    packed = bytes(reply.pack())
    if tcp:
        return packed
    limit = max([512] + [int(rr.rclass) for rr in query.ar if rr.rtype == dnslib.QTYPE.OPT])
    if len(packed) <= limit:
        return packed
    short = query.reply()
    short.header.tc = 1
    return bytes(short.pack())


async def _ask_tcp(server: str, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(server, 53)
    try:
        writer.write(len(data).to_bytes(2, "big") + data)
        await writer.drain()
        size = int.from_bytes(await reader.readexactly(2), "big")
        return await reader.readexactly(size)
    finally:
        writer.close()


async def _ask(server: str, data: bytes) -> bytes:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, (server, 53))
        await loop.sock_sendall(sock, data)
        return await loop.sock_recv(sock, 65535)
    finally:
        sock.close()
