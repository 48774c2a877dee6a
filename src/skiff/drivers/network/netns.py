"""Persistent network namespaces as bind-mounted files under skiff's exec root."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from skiff.drivers import mounts
from skiff.errdefs import System


async def create(path: Path) -> None:
    """A new, empty network namespace kept alive by a bind mount at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    proc = await asyncio.create_subprocess_exec(
        "unshare", f"--net={path}", "true", stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    if proc.returncode != 0:
        path.unlink(missing_ok=True)
        raise System(f"creating network namespace: {err.decode().strip()}")


def remove(path: Path) -> None:
    """Drop the namespace (it goes once nothing else holds it) and its file."""
    with contextlib.suppress(Exception):
        mounts.unmount(str(path))
    path.unlink(missing_ok=True)
