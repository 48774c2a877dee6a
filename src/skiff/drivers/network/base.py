"""What the engine needs of the host's network plumbing, as interfaces."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class BridgeNetwork:
    """What the firewall rules of one bridge network depend on."""

    bridge: str
    subnet: str
    internal: bool = False
    icc: bool = True
    masquerade: bool = True


class Firewall(Protocol):
    """Filter and NAT rules for skiff's bridges, kept beside other firewall managers."""

    async def ensure(self, networks: Iterable[BridgeNetwork]) -> None:
        """Add what is missing of these networks' rules (idempotent)."""

    async def reconcile(self, networks: Iterable[BridgeNetwork]) -> None:
        """At start or reload: every network's rules, and nothing left by older versions."""

    async def release(self, bridge: str) -> None:
        """Remove the bridge's rules, and nothing else."""

    async def diagnose(self, networks: Iterable[BridgeNetwork]) -> list[str]:
        """Warnings for /info: what can be seen going wrong with the host's firewall."""

    def facts(self) -> dict[str, bool]:
        """/info's IPv4Forwarding, BridgeNfIptables and BridgeNfIp6tables."""
