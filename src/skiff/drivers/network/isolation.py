"""Keeping bridge networks apart, as Docker does: two rules per bridge, not one per pair.

``FORWARD`` jumps to ``SKIFF-ISOLATION-1``, which sends traffic leaving a skiff bridge for
another interface to ``SKIFF-ISOLATION-2``, which drops it if that interface is another skiff
bridge. Traffic the kernel DNATed to a published port is let through first: a published port
is meant to be reached, from other networks too. A network with Docker's
``enable_icc=false`` also drops traffic between its own containers.
"""

from __future__ import annotations

import asyncio

STAGE_1, STAGE_2 = "SKIFF-ISOLATION-1", "SKIFF-ISOLATION-2"
COMMENT = ["-m", "comment", "--comment", "skiff"]
_ready = asyncio.Lock()


async def _iptables(*args: str) -> int:
    proc = await asyncio.create_subprocess_exec(
        "iptables", "-w", "-t", "filter", *args, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)
    return await proc.wait()


async def _ensure(chain: str, *rule: str, first: bool = False) -> None:
    if await _iptables("-C", chain, *rule) != 0:
        await _iptables("-I" if first else "-A", chain, *rule)


async def _chains() -> None:
    """The two chains, the jump from FORWARD and the way through for published ports."""
    async with _ready:
        for chain in (STAGE_1, STAGE_2):
            await _iptables("-N", chain)  # fails harmlessly when it exists
        await _ensure("FORWARD", "-j", STAGE_1, *COMMENT, first=True)
        await _ensure(STAGE_1, "-m", "conntrack", "--ctstate", "DNAT", "-j", "RETURN",
                      *COMMENT, first=True)


def _rules(bridge: str, icc: bool) -> list[tuple[str, list[str]]]:
    rules = [(STAGE_1, ["-i", bridge, "!", "-o", bridge, "-j", STAGE_2, *COMMENT]),
             (STAGE_2, ["-o", bridge, "-j", "DROP", *COMMENT])]
    if not icc:
        rules.append((STAGE_1, ["-i", bridge, "-o", bridge, "-j", "DROP", *COMMENT]))
    return rules


async def isolate(bridge: str, icc: bool = True) -> None:
    """Cut ``bridge`` off from the other skiff bridges (idempotent)."""
    await _chains()
    for chain, rule in _rules(bridge, icc):
        await _ensure(chain, *rule)


async def release(bridge: str) -> None:
    """Drop ``bridge``'s rules (a network being removed)."""
    for chain, rule in _rules(bridge, icc=False):
        while await _iptables("-D", chain, *rule) == 0:
            pass
