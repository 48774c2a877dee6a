"""Exec sessions through conmon (``--exec``): a process started inside a running container.

The handshake: skiffd writes a start byte; with ``--exec-attach`` conmon reports on the
attach pipe once the session's attach socket exists, skiffd connects and writes a second
start byte, and only then does the runtime exec the process. The sync pipe gives the PID,
then the exit code when the process ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skiff.drivers.runtime.base import RuntimeError_


@dataclass
class ExecRequest:
    """One exec session to start."""

    container_id: str
    exec_id: str
    bundle: Path
    process: dict[str, Any]
    tty: bool
    stdin: bool
    attach: bool


@dataclass
class ExecSession:
    """A started exec: its PID, its attach socket and the future of its exit code."""

    pid: int
    bundle: Path
    exit_code: asyncio.Future[int] = field(repr=False)
    waiter: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def attach_socket(self) -> Path:
        return self.bundle / "attach"

    def resize(self, height: int, width: int) -> None:
        try:
            fd = os.open(self.bundle / "ctl", os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            return
        with contextlib.suppress(OSError):
            os.write(fd, f"1 {height} {width}\n".encode())
        os.close(fd)


async def _recv_json(sock: socket.socket) -> dict[str, Any] | None:
    data = await asyncio.get_running_loop().sock_recv(sock, 65536)
    if not data:
        return None
    try:
        decoded: dict[str, Any] = json.loads(data.decode(errors="replace").splitlines()[0])
    except (ValueError, IndexError):
        return None
    return decoded


async def start_exec(conmon: str, runtime_path: str, runtime_root: Path,
                     request: ExecRequest, connect: Any) -> tuple[ExecSession, Any]:
    """Start an exec session; ``connect(path)`` attaches before the process runs.

    Returns the session and whatever ``connect`` returned (None when not attaching).
    """
    bundle = request.bundle
    shutil.rmtree(bundle, ignore_errors=True)
    (bundle / "exit").mkdir(parents=True)
    (bundle / "process.json").write_text(json.dumps(request.process))
    pairs = {name: socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
             for name in ("sync", "start", "attach")}
    args = [conmon, "--api-version", "1", "-c", request.container_id, "-u", request.exec_id,
            "-r", runtime_path, "-b", str(bundle), "-p", str(bundle / "exec_pid"),
            "--exit-dir", str(bundle / "exit"), "-l", "none", "--log-level", "error",
            "--full-attach", "-e", "--exec-process-spec", str(bundle / "process.json"),
            "--runtime-arg", "--root", "--runtime-arg", str(runtime_root),
            "--runtime-arg", "--log-format=json", f"--runtime-arg=--log={bundle / 'oci-log'}"]
    if request.attach:
        args.append("--exec-attach")
    if request.tty:
        args.append("-t")
    elif request.stdin:
        args.append("-i")
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "TZ": "UTC",
           "_OCI_SYNCPIPE": str(pairs["sync"][1].fileno()),
           "_OCI_STARTPIPE": str(pairs["start"][1].fileno())}
    passed = [pairs["sync"][1].fileno(), pairs["start"][1].fileno()]
    if request.attach:
        env["_OCI_ATTACHPIPE"] = str(pairs["attach"][1].fileno())
        passed.append(pairs["attach"][1].fileno())
    ours = {name: pair[0] for name, pair in pairs.items()}
    for sock in ours.values():
        sock.setblocking(False)
    loop = asyncio.get_running_loop()
    attached: Any = None
    try:
        proc = await asyncio.create_subprocess_exec(
            *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE, pass_fds=passed, env=env, cwd=str(bundle),
            start_new_session=True)
        for _, theirs in pairs.values():
            theirs.close()
        await loop.sock_sendall(ours["start"], b"\0")
        assert proc.stderr is not None
        stderr = await proc.stderr.read()
        await proc.wait()
        if request.attach:
            ready = await _recv_json(ours["attach"])
            if ready is None or int(ready.get("data", -1)) < 0:
                raise RuntimeError_(stderr.decode(errors="replace").strip()
                                    or "exec attach failed")
            attached = await connect(bundle / "attach")
            await loop.sock_sendall(ours["start"], b"\0")
        reply = await _recv_json(ours["sync"])
        pid = int(reply.get("data", -1)) if reply else -1
        if pid <= 0:
            message = str(reply.get("message", "")) if reply else ""
            raise RuntimeError_(_runtime_error(bundle / "oci-log") or message
                                or stderr.decode(errors="replace").strip() or "exec failed")
    except BaseException:
        for sock in ours.values():
            sock.close()
        if attached is not None:
            attached.close()
        raise
    ours["start"].close()
    ours["attach"].close()
    exit_code: asyncio.Future[int] = loop.create_future()

    async def wait_exit() -> None:
        try:
            result = await _recv_json(ours["sync"])
            code = int(result.get("data", -1)) if result else -1
        finally:
            ours["sync"].close()
        if code < 0:
            code = _exit_file(bundle, request.container_id)
        shutil.rmtree(bundle, ignore_errors=True)  # the session is over: leave nothing behind
        if not exit_code.done():
            exit_code.set_result(code)

    task = loop.create_task(wait_exit())
    exit_code.add_done_callback(lambda _: task.cancel() if not task.done() else None)
    return ExecSession(pid, bundle, exit_code, task), attached


def _runtime_error(log: Path) -> str:
    """The runtime's own error, from its JSON log."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return ""
    for line in lines:
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if entry.get("level") in ("error", "fatal"):
                return str(entry.get("msg", ""))
    return ""


def _exit_file(bundle: Path, container_id: str) -> int:
    try:
        return int((bundle / "exit" / container_id).read_text().strip())
    except (FileNotFoundError, ValueError):
        return 126
