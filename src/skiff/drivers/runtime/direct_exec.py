"""Attached exec sessions without a TTY, run by the runtime itself: the fast path.

An attached session ends with its client anyway, so it needs no monitor of its own; running
``crun|runc exec`` directly saves conmon's start-up and handshakes. Detached sessions and
TTY sessions still go through conmon (``execs``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from skiff.drivers.runtime.base import RuntimeError_

CHUNK = 32768
Describe = Callable[[str], tuple[str, int]]  # runtime error -> (Docker's message, exit code)


class DirectSession:
    """A running ``runtime exec``: its output as (stream, data) messages and its exit code."""

    def __init__(self, proc: asyncio.subprocess.Process, bundle: Path,
                 describe: Describe) -> None:
        self._proc = proc
        self.bundle = bundle
        self._describe = describe
        self._queue: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        self.exit_code: asyncio.Future[int] = loop.create_future()
        assert proc.stdout is not None and proc.stderr is not None
        self._readers = [loop.create_task(self._pipe("stdout", proc.stdout)),
                         loop.create_task(self._pipe("stderr", proc.stderr))]
        self.waiter = loop.create_task(self._wait())

    async def _pipe(self, stream: str, pipe: asyncio.StreamReader) -> None:
        while data := await pipe.read(CHUNK):
            await self._queue.put((stream, data))

    async def _wait(self) -> None:
        code = await self._proc.wait()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._readers)
        error = _runtime_error(self.bundle / "oci-log")
        if error:  # the process never ran: say why in the stream, as dockerd does
            message, code = self._describe(error)
            await self._queue.put(("stdout", message.encode() + b"\r\n"))
        await self._queue.put(None)
        shutil.rmtree(self.bundle, ignore_errors=True)
        if not self.exit_code.done():
            self.exit_code.set_result(code)

    @property
    def pid(self) -> int:
        try:
            return int((self.bundle / "pid").read_text())
        except (FileNotFoundError, ValueError):
            return self._proc.pid

    def resize(self, height: int, width: int) -> None:
        """No terminal, nothing to resize."""

    async def read(self) -> tuple[str, bytes] | None:
        return await self._queue.get()

    async def write(self, data: bytes) -> None:
        if self._proc.stdin is not None and not self._proc.stdin.is_closing():
            self._proc.stdin.write(data)
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                await self._proc.stdin.drain()

    def close_stdin(self) -> None:
        if self._proc.stdin is not None and not self._proc.stdin.is_closing():
            self._proc.stdin.close()

    def close(self) -> None:
        self.close_stdin()


def _runtime_error(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return ""
    for line in lines:
        with contextlib.suppress(ValueError):
            entry: dict[str, Any] = json.loads(line)
            if entry.get("level") in ("error", "fatal"):
                return str(entry.get("msg", ""))
    return ""


async def run(runtime_path: str, runtime_root: Path, container_id: str, bundle: Path,
              process: dict[str, Any], stdin: bool, describe: Describe) -> DirectSession:
    """Start ``runtime exec`` with pipes for stdio."""
    shutil.rmtree(bundle, ignore_errors=True)
    bundle.mkdir(parents=True)
    (bundle / "process.json").write_text(json.dumps(process))
    try:
        proc = await asyncio.create_subprocess_exec(
            runtime_path, "--root", str(runtime_root), "--log-format=json",
            f"--log={bundle / 'oci-log'}", "exec", "--pid-file", str(bundle / "pid"),
            "--process", str(bundle / "process.json"), container_id,
            stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True)
    except OSError as exc:
        shutil.rmtree(bundle, ignore_errors=True)
        raise RuntimeError_(str(exc)) from None
    return DirectSession(proc, bundle, describe)
