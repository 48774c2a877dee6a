"""The embedded DNS server: 127.0.0.11 inside every container on a user-defined network.

Names are answered from live state on each query (container names, network aliases, short
IDs of containers sharing a network with the asker), so they follow connect, disconnect and
rename at once; other names go to the container's ``--dns`` servers if it has any, else to
the host's resolvers. Forwarded queries leave from skiffd's own namespace, so a resolver the
host reaches on loopback (a local caching daemon) works for containers too.
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
from skiff.engine.networks.service import NetworkService

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
            self._server.answer(self._container_id, data))
        task.add_done_callback(lambda t: self._reply(t, addr))

    def _reply(self, task: asyncio.Task[bytes | None], addr: tuple[str, int]) -> None:
        if task.cancelled() or task.exception() is not None or self.transport is None:
            return
        reply = task.result()
        if reply:
            self.transport.sendto(reply, addr)


class DnsServer:
    """One UDP endpoint per attached container, all served by skiffd's event loop."""

    def __init__(self, networks: NetworkService, name_of: Callable[[str], str | None],
                 links_of: Callable[[str], dict[str, str]] | None = None) -> None:
        self._networks = networks
        self._name_of = name_of
        self._links_of = links_of or (lambda _cid: {})
        self._endpoints: dict[str, asyncio.DatagramTransport] = {}
        self._upstreams: dict[str, list[str]] = {}
        self._host_upstreams = host_resolvers()

    async def attach(self, container_id: str, netns: Path,
                     upstreams: list[str] | None = None) -> None:
        """Serve 127.0.0.11 in ``netns``; unknown names go to ``upstreams`` (else the host's)."""
        sock = await asyncio.to_thread(nssock.udp_in, netns, ADDRESS, PORT)
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: _Endpoint(self, container_id), sock=sock)
        self._endpoints[container_id] = transport
        self._upstreams[container_id] = [u for u in upstreams or [] if ":" not in u] or \
            self._host_upstreams

    def serves(self, container_id: str) -> bool:
        return container_id in self._endpoints

    def detach(self, container_id: str) -> None:
        transport = self._endpoints.pop(container_id, None)
        self._upstreams.pop(container_id, None)
        if transport is not None:
            transport.close()

    def lookup(self, container_id: str, name: str) -> list[str]:
        """IPv4 addresses ``name`` has for a container, on the networks it is attached to."""
        name = name.rstrip(".").lower()
        # a --link alias names the linked container, for the linking container alone
        linked = {a.lower(): n.lower() for a, n in self._links_of(container_id).items()}
        name = linked.get(name, name)
        found: list[str] = []
        for network in self._networks.attached(container_id):
            for other_id, endpoint in network.endpoints.items():
                names = {str(a).lower() for a in endpoint.get("Aliases") or []}
                names.add(other_id[:12])
                current = self._name_of(other_id)
                if current:
                    names.add(current.lower())
                if name in names:
                    found.append(str(endpoint["IPv4Address"]).split("/")[0])
        return found

    async def answer(self, container_id: str, data: bytes) -> bytes | None:
        try:
            query = dnslib.DNSRecord.parse(data)
        except Exception:  # not DNS: ignore it, as a server would
            return None
        question = query.q
        name = str(question.qname)
        addresses = self.lookup(container_id, name)
        if addresses:
            reply = query.reply()
            if question.qtype == dnslib.QTYPE.A:
                for address in addresses:
                    reply.add_answer(dnslib.RR(question.qname, dnslib.QTYPE.A,
                                               rdata=dnslib.A(address), ttl=TTL))
            return bytes(reply.pack())
        return await self._forward(container_id, query, data)

    async def _forward(self, container_id: str, query: dnslib.DNSRecord,
                       data: bytes) -> bytes | None:
        for upstream in self._upstreams.get(container_id, self._host_upstreams):
            with contextlib.suppress(OSError, TimeoutError):
                return await asyncio.wait_for(_ask(upstream, data), 2.0)
        reply = query.reply()
        reply.header.rcode = dnslib.RCODE.SERVFAIL
        return bytes(reply.pack())


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
