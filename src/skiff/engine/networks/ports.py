"""Published ports: Docker's PortBindings and -P, host ports reserved while a container runs.

skiffd holds a bound socket for every published host port, as docker-proxy holds one: the
port cannot be taken by anyone else meanwhile, and a port already taken is refused at start.
The forwarding itself is CNI's portmap plugin (DNAT, with SNAT for connections to localhost).
"""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skiff.errdefs import Conflict, InvalidParameter


@dataclass(frozen=True)
class Binding:
    container_port: int
    protocol: str
    host_ip: str
    host_port: int

    def to_cni(self) -> dict[str, Any]:
        return {"hostPort": self.host_port, "containerPort": self.container_port,
                "protocol": self.protocol, "hostIP": self.host_ip}


def _port_key(key: str) -> tuple[int, str]:
    port, _, proto = key.partition("/")
    proto = proto or "tcp"
    if proto not in ("tcp", "udp", "sctp") or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidParameter(f"invalid port specification: \"{key}\"")
    return int(port), proto


def _host_ports(text: str) -> list[int]:
    if not text:
        return [0]
    first, sep, last = text.partition("-")
    try:
        start, end = int(first), int(last) if sep else int(first)
    except ValueError:
        raise InvalidParameter(f"invalid hostPort: {text}") from None
    if not 0 <= start <= end < 65536:
        raise InvalidParameter(f"invalid hostPort: {text}")
    return list(range(start, end + 1))


def wanted(host_config: dict[str, Any], exposed: dict[str, Any]) -> list[tuple[int, str, str,
                                                                           list[int]]]:
    """(container port, protocol, host IP, candidate host ports) for each publication."""
    result = []
    bindings = dict(host_config.get("PortBindings") or {})
    if host_config.get("PublishAllPorts"):
        for key in exposed or {}:
            bindings.setdefault(key, [{"HostIp": "", "HostPort": ""}])
    for key, entries in bindings.items():
        port, proto = _port_key(key)
        for entry in entries or [{}]:
            host_ip = (entry or {}).get("HostIp") or ""
            if host_ip:
                try:
                    socket.inet_aton(host_ip)
                except OSError:
                    raise InvalidParameter(f"invalid IP address: {host_ip}") from None
            result.append((port, proto, host_ip, _host_ports((entry or {}).get("HostPort")
                                                             or "")))
    return result


def ephemeral_range(path: Path = Path("/proc/sys/net/ipv4/ip_local_port_range")
                    ) -> tuple[int, int]:
    """The kernel's ephemeral port range, where Docker also takes unpublished host ports."""
    try:
        low, high = (int(x) for x in path.read_text().split())
    except (OSError, ValueError):
        return 32768, 60999
    return low, high


class Reservations:
    """Bound sockets holding host ports, per container.

    A port published without a host port gets the next free one of the ephemeral range
    after the last one handed out, as Docker's allocator does (32768, 32769, …).
    """

    def __init__(self) -> None:
        self._held: dict[str, list[socket.socket]] = {}
        self._last: dict[str, int] = {}  # per protocol

    def reserve(self, container_id: str, host_config: dict[str, Any],
                exposed: dict[str, Any]) -> list[Binding]:
        """Take every published port or none (Docker's error for a port in use)."""
        taken: list[socket.socket] = []
        bindings: list[Binding] = []
        try:
            for port, proto, host_ip, candidates in wanted(host_config, exposed):
                if candidates == [0]:
                    sock, host_port = _bind(host_ip, proto, self._ephemeral_order(proto),
                                            exhausted="all ports are allocated")
                    self._last[proto] = host_port
                else:
                    sock, host_port = _bind(host_ip, proto, candidates)
                taken.append(sock)
                bindings.append(Binding(port, proto, host_ip, host_port))
        except BaseException:
            for sock in taken:
                sock.close()
            raise
        self._held[container_id] = taken
        return bindings

    def _ephemeral_order(self, proto: str) -> Iterator[int]:
        """The ephemeral range from just after the last port handed out, wrapping round."""
        low, high = ephemeral_range()
        start = self._last.get(proto, low - 1) + 1
        if not low <= start <= high:
            start = low
        return itertools.chain(range(start, high + 1), range(low, start))

    def release(self, container_id: str) -> None:
        for sock in self._held.pop(container_id, []):
            sock.close()


def _bind(host_ip: str, proto: str, candidates: Iterable[int],
          exhausted: str = "") -> tuple[socket.socket, int]:
    """A socket bound to the first free port of ``candidates``, or Docker's error."""
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    tried = []
    for port in candidates:
        sock = socket.socket(socket.AF_INET, kind)
        try:
            sock.bind((host_ip or "0.0.0.0", port))
        except OSError:
            sock.close()
            if not exhausted:
                tried.append(port)
            continue
        return sock, sock.getsockname()[1]
    if exhausted or not tried:
        raise Conflict(f"driver failed programming external connectivity: {exhausted}")
    shown = f"{tried[0]}" if len(tried) == 1 else f"{tried[0]}-{tried[-1]}"
    raise Conflict(f"driver failed programming external connectivity: Bind for "
                   f"{host_ip or '0.0.0.0'}:{shown} failed: port is already allocated")


def api_ports(bindings: list[Binding], exposed: dict[str, Any]) -> dict[str, Any]:
    """``NetworkSettings.Ports``: published ports with their host side, the rest null."""
    ports: dict[str, Any] = {key if "/" in key else f"{key}/tcp": None for key in exposed or {}}
    for b in bindings:
        key = f"{b.container_port}/{b.protocol}"
        ports[key] = (ports.get(key) or []) + [{"HostIp": b.host_ip or "0.0.0.0",
                                                 "HostPort": str(b.host_port)}]
    return ports
