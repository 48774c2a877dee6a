"""The host's links: what a name is, and removing a network's bridge once it is gone."""

from __future__ import annotations

import asyncio
from pathlib import Path

SYS_NET = Path("/sys/class/net")


def kind(name: str) -> str | None:
    """``"bridge"``, ``"other"`` for any other link, or None when no link has that name."""
    if not (SYS_NET / name).exists():
        return None
    return "bridge" if (SYS_NET / name / "bridge").is_dir() else "other"


async def delete(name: str) -> None:
    """Delete a bridge; one that does not exist is fine, and any other kind of link stays."""
    if kind(name) != "bridge":
        return
    proc = await asyncio.create_subprocess_exec(
        "ip", "link", "delete", name, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)
    await proc.wait()
