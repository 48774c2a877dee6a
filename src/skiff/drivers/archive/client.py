"""Running the confined helper from the daemon."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

from skiff.errdefs import InvalidParameter, NotFound, System

_KINDS = {"notfound": NotFound, "invalid": InvalidParameter}


def _args(action: str, path: str, pid: int | None, root: str | None) -> list[str]:
    args = [sys.executable, "-m", "skiff.drivers.archive.confined", action, "--path", path]
    return args + (["--pid", str(pid)] if pid else ["--root", str(root)])


def _error(stderr: bytes) -> Exception:
    for line in reversed(stderr.decode(errors="replace").splitlines()):
        try:
            report = json.loads(line)
        except ValueError:
            continue
        return _KINDS.get(report.get("kind"), System)(str(report.get("message")))
    return System(stderr.decode(errors="replace").strip() or "file operation failed")


async def stat_path(path: str, pid: int | None, root: str | None) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        *_args("stat", path, pid, root), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise _error(err)
    result: dict[str, Any] = json.loads(out)
    return result


async def read_tar(path: str, pid: int | None, root: str | None) -> AsyncIterator[bytes]:
    """Stream a tar of ``path``; the first chunk only comes once the helper has started."""
    proc = await asyncio.create_subprocess_exec(
        *_args("get", path, pid, root), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        while chunk := await proc.stdout.read(1 << 16):
            yield chunk
        err = await proc.stderr.read()
        if await proc.wait() != 0:
            raise _error(err)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def write_tar(path: str, pid: int | None, root: str | None, body: AsyncIterator[bytes],
                    copy_owner: bool, no_overwrite_dir: bool) -> None:
    args = _args("put", path, pid, root)
    if copy_owner:
        args.append("--copy-owner")
    if no_overwrite_dir:
        args.append("--no-overwrite-dir")
    proc = await asyncio.create_subprocess_exec(
        *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    assert proc.stdin is not None and proc.stderr is not None
    try:
        async for chunk in body:
            proc.stdin.write(chunk)
            await proc.stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        if not proc.stdin.is_closing():
            proc.stdin.close()
    err = await proc.stderr.read()
    if await proc.wait() != 0:
        raise _error(err)
