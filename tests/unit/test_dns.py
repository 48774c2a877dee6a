"""The embedded DNS's reply sizing: UDP askers get what fits, or a truncated reply."""

from __future__ import annotations

import dnslib

from skiff.engine.networks.dns import _fit


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
