"""The PORTS column: "0.0.0.0:8080->80/tcp, :::8080->80/tcp, 443/tcp", ranges merged."""

from __future__ import annotations

from typing import Any


def _host(ip: str) -> str:
    return f"[{ip}]" if ":" in ip else ip


def displayable_ports(ports: list[dict[str, Any]]) -> str:
    """Group published ports by host IP and protocol, merging consecutive numbers."""
    groups: dict[str, list[tuple[int, int]]] = {}
    order: list[str] = []
    for port in sorted(ports, key=lambda p: (p.get("Type", ""), int(p.get("PrivatePort", 0)),
                                             p.get("IP", ""))):
        proto = port.get("Type") or "tcp"
        private = int(port.get("PrivatePort") or 0)
        public = int(port.get("PublicPort") or 0)
        ip = port.get("IP") or ""
        key = f"{_host(ip)}:{{}}->{{}}/{proto}" if public else f"{{}}{{}}/{proto}"
        if public and ip == "":
            key = f"{{}}->{{}}/{proto}"
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append((public, private))
    out: list[str] = []
    for key in order:
        for first, last in _ranges(groups[key]):
            out.append(_render(key, first, last))
    return ", ".join(out)


def _ranges(pairs: list[tuple[int, int]]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    ranges: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for pair in pairs:
        if ranges:
            first, last = ranges[-1]
            if pair[1] == last[1] + 1 and (pair[0] == 0 or pair[0] == last[0] + 1):
                ranges[-1] = (first, pair)
                continue
        ranges.append((pair, pair))
    return ranges


def _render(key: str, first: tuple[int, int], last: tuple[int, int]) -> str:
    def span(a: int, b: int) -> str:
        return str(a) if a == b else f"{a}-{b}"
    if "->" in key:
        return key.format(span(first[0], last[0]), span(first[1], last[1]))
    return key.format("", span(first[1], last[1]))
