"""The embedded DNS: reply sizing (UDP askers get what fits, or a truncated reply), names."""

from __future__ import annotations

import dnslib
import pytest

from skiff.engine.networks.dns import DnsServer, _fit
from skiff.engine.networks.service import Network


def _reply(query: dnslib.DNSRecord, count: int) -> dnslib.DNSRecord:
    reply = query.reply()
    for n in range(count):
        reply.add_answer(dnslib.RR(query.q.qname, dnslib.QTYPE.A,
                                   rdata=dnslib.A(f"10.0.{n // 250}.{n % 250 + 1}"), ttl=600))
    return reply


def test_small_replies_go_whole() -> None:
    query = dnslib.DNSRecord.question("web")
    parsed = dnslib.DNSRecord.parse(_fit(_reply(query, 3), query, tcp=False))
    assert not parsed.header.tc and len(parsed.rr) == 3


def test_long_replies_are_truncated_for_udp_without_edns() -> None:
    query = dnslib.DNSRecord.question("web")
    parsed = dnslib.DNSRecord.parse(_fit(_reply(query, 60), query, tcp=False))
    assert parsed.header.tc and not parsed.rr
    assert parsed.header.id == query.header.id


def test_edns_and_tcp_askers_take_long_replies() -> None:
    query = dnslib.DNSRecord.question("web")
    query.add_ar(dnslib.EDNS0(udp_len=4096))
    parsed = dnslib.DNSRecord.parse(_fit(_reply(query, 60), query, tcp=False))
    assert not parsed.header.tc and len(parsed.rr) == 60
    plain = dnslib.DNSRecord.question("web")
    parsed = dnslib.DNSRecord.parse(_fit(_reply(plain, 60), plain, tcp=True))
    assert len(parsed.rr) == 60


class _Networks:
    """The part of NetworkService the resolver reads: networks with their endpoints."""

    def __init__(self, *networks: Network) -> None:
        self._networks = networks

    def attached(self, container_id: str) -> list[Network]:
        return [n for n in self._networks if container_id in n.endpoints]


ASKER, WEB = "a" * 64, "b" * 64


def _server() -> DnsServer:
    front = Network("1" * 64, "front", "bridge", 0, endpoints={
        ASKER: {"IPv4Address": "10.1.0.2/24"},
        WEB: {"IPv4Address": "10.1.0.3/24", "Aliases": ["www"]}})
    back = Network("2" * 64, "back.end", "bridge", 0, endpoints={
        ASKER: {"IPv4Address": "10.2.0.2/24"},
        WEB: {"IPv4Address": "10.2.0.3/24"}})
    names = {ASKER: "asker", WEB: "web"}
    return DnsServer(_Networks(front, back), names.get,  # type: ignore[arg-type]
                     lambda _cid: {"db": "web"})


def test_names_resolve_on_every_shared_network() -> None:
    assert sorted(_server().lookup(ASKER, "web.")) == ["10.1.0.3", "10.2.0.3"]


@pytest.mark.parametrize(("name", "addresses"), [
    ("web.front", ["10.1.0.3"]), ("WEB.back.end.", ["10.2.0.3"]), ("www.front", ["10.1.0.3"]),
    (f"{WEB[:12]}.back.end", ["10.2.0.3"]), ("db.front", ["10.1.0.3"]),
    ("www.back.end", []), ("web.nowhere", []), ("web.end", []),
])
def test_container_dot_network_resolves_on_that_network(name: str,
                                                        addresses: list[str]) -> None:
    assert _server().lookup(ASKER, name) == addresses
