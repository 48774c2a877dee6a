"""Relaying a hijacked client connection to a container's (or exec's) stdio."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from skiff.errdefs import InvalidParameter
from skiff.server import hijack


def detach_sequence(keys: str | None) -> bytes:
    """``ctrl-p,ctrl-q`` (Docker's default) into bytes; empty string disables detaching."""
    if keys is None:
        keys = "ctrl-p,ctrl-q"
    result = bytearray()
    for key in filter(None, keys.split(",")):
        key = key.strip()
        if key.startswith("ctrl-") and len(key) == 6:
            char = key[5]
            if char.isalpha():
                result.append(ord(char.lower()) - ord("a") + 1)
            else:
                result.append({"@": 0, "[": 27, "\\": 28, "]": 29, "^": 30, "_": 31}[char])
        elif len(key) == 1:
            result.append(ord(key))
        else:
            raise InvalidParameter(f"Invalid detach keys ({keys}) provided")
    return bytes(result)


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
