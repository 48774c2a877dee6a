"""Removing a network's bridge once the network is gone (iproute2)."""

from __future__ import annotations

import asyncio


async def delete(name: str) -> None:
    """Delete a link; one that does not exist is fine."""
    proc = await asyncio.create_subprocess_exec(
        "ip", "link", "delete", name, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)
    await proc.wait()
