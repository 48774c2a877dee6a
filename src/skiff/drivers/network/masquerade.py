"""Outbound NAT for a network: one MASQUERADE rule per subnet (not one per container)."""

from __future__ import annotations

import asyncio

COMMENT = "skiff"


async def _iptables(*args: str) -> int:
    proc = await asyncio.create_subprocess_exec(
        "iptables", "-w", "-t", "nat", *args, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)
    return await proc.wait()


def _rule(subnet: str, bridge: str) -> list[str]:
    return ["POSTROUTING", "-s", subnet, "!", "-o", bridge, "-j", "MASQUERADE",
            "-m", "comment", "--comment", COMMENT]


async def ensure(subnet: str, bridge: str) -> None:
    if await _iptables("-C", *_rule(subnet, bridge)) != 0:
        await _iptables("-A", *_rule(subnet, bridge))


async def remove(subnet: str, bridge: str) -> None:
    while await _iptables("-D", *_rule(subnet, bridge)) == 0:
        pass
