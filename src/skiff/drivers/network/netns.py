"""Persistent network namespaces as bind-mounted files under skiff's exec root."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from skiff.drivers import mounts
from skiff.drivers.network import nssock
from skiff.errdefs import SkiffError, System


async def create(path: Path) -> None:
    """A new network namespace (loopback up) kept alive by a bind mount at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    try:
        await asyncio.to_thread(nssock.create, path)
    except (OSError, SkiffError) as exc:
        remove(path)
        raise System(f"creating network namespace: {exc}") from None


def remove(path: Path) -> None:
    """Drop the namespace (it goes once nothing else holds it) and its file."""
    with contextlib.suppress(Exception):
        mounts.unmount(str(path))
    path.unlink(missing_ok=True)
