"""What the engine needs from a runtime: a thin adapter, no state machine (the engine owns it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from skiff.drivers.runtime.direct_exec import DirectSession
    from skiff.drivers.runtime.execs import ExecRequest, ExecSession


@dataclass
class CreateRequest:
    """Everything a runtime needs to create one container."""

    container_id: str
    name: str
    bundle: Path
    spec: dict[str, Any]
    journal: Path
    output: tuple[Path, Path] | None = None  # stdout, stderr files passed through (no TTY)
    tty: bool = False
    stdin: bool = False
    stdin_once: bool = False
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExitStatus:
    """How a container's main process ended."""

    code: int
    oom_killed: bool


class RuntimeError_(Exception):
    """The runtime refused an operation; ``message`` is its own explanation."""


class Runtime(Protocol):
    """An OCI runtime plus monitor. Every method is keyed by the container ID."""

    name: str
    path: str

    async def create(self, request: CreateRequest) -> int:
        """Create the container (monitor started, process not yet running); return its PID."""
        ...

    async def start(self, container_id: str) -> None: ...

    async def kill(self, container_id: str, signal: int, all_processes: bool = False) -> None: ...

    async def pause(self, container_id: str) -> None: ...

    async def resume(self, container_id: str) -> None: ...

    async def delete(self, container_id: str, force: bool = False) -> None: ...

    async def state(self, container_id: str) -> dict[str, Any] | None: ...

    async def pids(self, container_id: str) -> list[int]: ...

    def exit_status(self, container_id: str) -> ExitStatus | None:
        """The recorded exit of the container, once the monitor has written it."""
        ...

    def monitor_alive(self, container_id: str) -> bool: ...

    def attach_socket(self, container_id: str) -> Path: ...

    def resize(self, container_id: str, height: int, width: int) -> None: ...

    def reopen_journal(self, container_id: str) -> None: ...

    def cleanup(self, container_id: str) -> None:
        """Remove the monitor's files once the container is deleted."""
        ...

    def kill_monitor(self, container_id: str) -> None: ...

    async def exec(self, request: ExecRequest,
                   connect: Callable[[Path], Awaitable[Any]]) -> tuple[ExecSession, Any]: ...

    async def exec_attached(self, container_id: str, exec_id: str, process: dict[str, Any],
                            stdin: bool,
                            describe: Callable[[str], tuple[str, int]]) -> DirectSession: ...

    def exec_bundle(self, container_id: str, exec_id: str) -> Path: ...
