"""Relaying a hijacked client connection to a container's (or exec's) stdio."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from skiff.api import detachkeys
from skiff.server import hijack


def detach_sequence(keys: str | None) -> bytes:
    """The bytes that end an attach session (see ``api.detachkeys``)."""
    return detachkeys.parse(keys)


async def pump(client: hijack.Hijacked, monitor: Any, want: dict[str, bool],
               encode: Callable[[str, bytes], bytes], detach: bytes) -> None:
    """Copy container output to the client and client input to the container."""

    async def output() -> None:
        while (message := await monitor.read()) is not None:
            stream, data = message
            if want.get(stream) and not await client.write(encode(stream, data)):
                return

    async def input_() -> None:
        window = b""
        while True:
            data = await client.read()
            if data is None:
                return
            if data == b"":
                monitor.close_stdin()
                await asyncio.Event().wait()  # keep the output side going
            if not want["stdin"]:
                continue
            if detach:
                window = (window + data)[-len(detach):]
                if detach in window or detach in data:
                    return
            await monitor.write(data)

    out_task = asyncio.ensure_future(output())
    in_task = asyncio.ensure_future(input_())
    try:
        await asyncio.wait({out_task, in_task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (out_task, in_task):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task
        monitor.close()
