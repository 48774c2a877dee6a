"""crun or runc behind conmon: skiffd never parents container processes.

conmon creates the container (``runtime create``), holds its stdio and TTY, writes everything
the container prints to a k8s-file journal, serves an attach socket and records the exit code
in ``exits/<id>``. skiffd runs ``runtime start`` itself, so a client can attach in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal as signals
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from skiff.drivers import cgroups
from skiff.drivers.runtime import direct_exec
from skiff.drivers.runtime.base import CreateRequest, ExitStatus, RuntimeError_
from skiff.drivers.runtime.direct_exec import DirectSession
from skiff.drivers.runtime.execs import ExecRequest, ExecSession, start_exec
from skiff.store.layout import Layout, atomic_write

CONMON = "conmon"


class ConmonRuntime:
    """One OCI runtime binary, with its own state root under the exec root."""

    def __init__(self, name: str, path: str, layout: Layout, conmon: str | None = None) -> None:
        self.name = name
        self.path = path
        self._layout = layout
        self._root = layout.runtime_root / name
        self._root.mkdir(parents=True, exist_ok=True)
        self._conmon = conmon or shutil.which(CONMON) or "/usr/bin/conmon"

    # paths
    def bundle(self, container_id: str) -> Path:
        return self._layout.monitor_dir(container_id)

    def attach_socket(self, container_id: str) -> Path:
        return self.bundle(container_id) / "attach"

    def _exit_file(self, container_id: str) -> Path:
        return self._layout.exits_dir / container_id

    # lifecycle
    async def create(self, request: CreateRequest) -> int:
        bundle = request.bundle
        bundle.mkdir(parents=True, exist_ok=True)
        for stale in ("exit", "oom", "oci-log", "pidfile", "conmon.pid", "attach", "ctl",
                      "winsz"):
            with contextlib.suppress(FileNotFoundError):
                (bundle / stale).unlink()
        with contextlib.suppress(FileNotFoundError):
            self._exit_file(request.container_id).unlink()
        atomic_write(bundle / "config.json", json.dumps(request.spec).encode())
        await self._delete_leftover(request.container_id)
        args = [
            self._conmon, "--api-version", "1",
            "-c", request.container_id, "-u", request.container_id,
            "-r", self.path, "-b", str(bundle), "-p", str(bundle / "pidfile"),
            "-n", request.name, "--exit-dir", str(self._layout.exits_dir),
            "--persist-dir", str(bundle), "--full-attach",
            "-l", "passthrough" if request.output else f"k8s-file:{request.journal}",
            "--log-level", "error",
            "--conmon-pidfile", str(bundle / "conmon.pid"),
            "--runtime-arg", "--root", "--runtime-arg", str(self._root),
            "--runtime-arg", "--log-format=json", "--runtime-arg", "--log",
            f"--runtime-arg={bundle / 'oci-log'}",
        ]
        if request.tty:
            args.append("-t")
        elif request.stdin:
            args.append("-i")
        if request.stdin and not request.stdin_once:
            args.append("--leave-stdin-open")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "TZ": "UTC",
               "_OCI_SYNCPIPE": str(theirs.fileno())}
        # passthrough: the container writes to its output files itself, through conmon's stdio
        outputs = [os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
                   for path in request.output or ()]
        try:
            proc = await asyncio.create_subprocess_exec(
                *args, stdin=asyncio.subprocess.DEVNULL,
                stdout=outputs[0] if outputs else asyncio.subprocess.DEVNULL,
                stderr=outputs[1] if outputs else asyncio.subprocess.PIPE,
                pass_fds=(theirs.fileno(),), env=env, cwd=str(bundle), start_new_session=True,
            )
            theirs.close()
            for fd in outputs:
                os.close(fd)
            outputs = []
            stderr = await proc.stderr.read() if proc.stderr is not None else b""
            await proc.wait()
            monitor = self.monitor_pid(request.container_id)
            if monitor is not None:
                cgroups.move_to(monitor)
            ours.setblocking(False)
            loop = asyncio.get_running_loop()
            raw = await loop.sock_recv(ours, 65536)
        finally:
            ours.close()
            with contextlib.suppress(OSError):
                theirs.close()
            for fd in outputs:
                os.close(fd)
        pid = -1
        message = ""
        if raw:
            try:
                reply = json.loads(raw.decode(errors="replace").splitlines()[0])
                pid = int(reply.get("data", -1))
                message = str(reply.get("message", ""))
            except (ValueError, IndexError):
                message = raw.decode(errors="replace")
        if pid <= 0:
            message = self._runtime_error(bundle) or message or stderr.decode(errors="replace")
            raise RuntimeError_(message.strip() or "container create failed")
        return pid

    def _runtime_error(self, bundle: Path) -> str:
        """The last error the runtime logged (JSON lines with ``msg``)."""
        try:
            lines = (bundle / "oci-log").read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return ""
        for line in reversed(lines):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("level") in ("error", "fatal"):
                return str(entry.get("msg", ""))
        return ""

    async def _run(self, *args: str, check: bool = True) -> tuple[int, bytes]:
        proc = await asyncio.create_subprocess_exec(
            self.path, "--root", str(self._root), *args,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        code = proc.returncode or 0
        if check and code != 0:
            text = err.decode(errors="replace").strip()
            for line in reversed(text.splitlines()):
                try:
                    text = str(json.loads(line).get("msg", line))
                    break
                except ValueError:
                    continue
            raise RuntimeError_(text or f"{self.name} {args[0]} failed")
        return code, out

    async def _delete_leftover(self, container_id: str) -> None:
        if (self._root / container_id).exists():
            await self._run("delete", "--force", container_id, check=False)

    async def start(self, container_id: str) -> None:
        await self._run("start", container_id)

    async def kill(self, container_id: str, signal: int, all_processes: bool = False) -> None:
        args = ["kill"]
        if all_processes:
            args.append("--all")
        await self._run(*args, container_id, str(signal))

    async def pause(self, container_id: str) -> None:
        await self._run("pause", container_id)

    async def resume(self, container_id: str) -> None:
        await self._run("resume", container_id)

    async def delete(self, container_id: str, force: bool = False) -> None:
        if not (self._root / container_id).exists():
            return  # the runtime holds no state for it: already deleted
        args = ["delete"]
        if force:
            args.append("--force")
        await self._run(*args, container_id, check=False)

    async def state(self, container_id: str) -> dict[str, Any] | None:
        code, out = await self._run("state", container_id, check=False)
        if code != 0:
            return None
        try:
            result: dict[str, Any] = json.loads(out)
        except ValueError:
            return None
        return result

    async def pids(self, container_id: str) -> list[int]:
        code, out = await self._run("ps", "--format", "json", container_id, check=False)
        if code != 0:
            return []
        try:
            return [int(p) for p in json.loads(out) or []]
        except (ValueError, TypeError):
            return []

    def exit_status(self, container_id: str) -> ExitStatus | None:
        try:
            text = self._exit_file(container_id).read_text().strip()
        except FileNotFoundError:
            return None
        try:
            code = int(text)
        except ValueError:
            code = -1
        oom = (self.bundle(container_id) / "oom").exists()
        return ExitStatus(code=code, oom_killed=oom)

    def monitor_pid(self, container_id: str) -> int | None:
        try:
            return int((self.bundle(container_id) / "conmon.pid").read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def monitor_alive(self, container_id: str) -> bool:
        pid = self.monitor_pid(container_id)
        if pid is None:
            return False
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except FileNotFoundError:
            return False
        return comm == "conmon"

    def _ctl(self, container_id: str, line: str) -> None:
        try:
            fd = os.open(self.bundle(container_id) / "ctl", os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            return
        try:
            os.write(fd, line.encode())
        except OSError:
            pass
        finally:
            os.close(fd)

    def resize(self, container_id: str, height: int, width: int) -> None:
        self._ctl(container_id, f"1 {height} {width}\n")

    def reopen_journal(self, container_id: str) -> None:
        self._ctl(container_id, "2 0 0\n")

    def kill_monitor(self, container_id: str) -> None:
        pid = self.monitor_pid(container_id)
        if pid is not None and self.monitor_alive(container_id):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signals.SIGKILL)

    async def exec(self, request: ExecRequest,
                   connect: Callable[[Path], Awaitable[Any]]) -> tuple[ExecSession, Any]:
        """Start an exec session (see ``execs``); ``connect`` attaches before it runs."""
        return await start_exec(self._conmon, self.path, self._root, request, connect)

    async def exec_attached(self, container_id: str, exec_id: str, process: dict[str, Any],
                            stdin: bool, describe: direct_exec.Describe) -> DirectSession:
        """An attached session without a TTY, run by the runtime directly (no monitor)."""
        return await direct_exec.run(self.path, self._root, container_id,
                                     self.exec_bundle(container_id, exec_id), process, stdin,
                                     describe)

    def exec_bundle(self, container_id: str, exec_id: str) -> Path:
        return self.bundle(container_id) / "exec" / exec_id[:32]

    def cleanup(self, container_id: str) -> None:
        shutil.rmtree(self.bundle(container_id), ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            self._exit_file(container_id).unlink()
