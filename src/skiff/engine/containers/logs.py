"""Log copying: each running container's output into its logging driver.

A container's output reaches disk whether or not skiffd runs: in ``stdout.raw`` and
``stderr.raw`` when it has no TTY and no open stdin (conmon passes the files through), else
in conmon's ``journal.log``. The copier here moves it into the configured driver (json-file
by default), wakes followers and, for output files, feeds attached clients.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import inotify_simple

from skiff.drivers import memory
from skiff.drivers.logging.base import (
    Dropped,
    LogBatch,
    LogContext,
    LogDriver,
    LogMessage,
    ReadConfig,
    RunningCheck,
)
from skiff.engine.containers.attach import OutputStream

STALL_LIMIT = 30.0  # how long an attached client that reads nothing may hold the copier
BATCH_INTERVAL = 0.02


class LogDrivers(Protocol):
    """The logging drivers the daemon has, as the engine uses them."""

    def names(self) -> list[str]:
        """Every driver's name, for ``/info``."""

    def validate(self, log_type: str, options: dict[str, str]) -> None:
        """Refuse (InvalidParameter) an unknown driver or a bad option."""

    def log_path(self, log_type: str, directory: Path, container_id: str) -> str:
        """The log file ``docker inspect`` shows as LogPath ("" when there is none)."""

    def open(self, log_type: str, options: dict[str, str], context: LogContext,
             dropped: Dropped, running: bool = False) -> LogDriver:
        """The driver that receives one container's output; for a container ``running``
        already (skiffd restarted), one that never fails for a receiver that is away."""

    def readable(self, log_type: str, options: dict[str, str]) -> bool:
        """Whether ``docker logs`` can read the driver's output back."""

    def read(self, log_type: str, options: dict[str, str], directory: Path,
             container_id: str, config: ReadConfig,
             running: RunningCheck) -> AsyncIterator[list[LogMessage]]:
        """The container's logs read back (NotImplementedYet when the driver cannot)."""


class OutputReader(Protocol):
    """Follows one container's captured output from the offsets committed last."""

    @property
    def holding_since(self) -> float:
        """When an open line (no newline yet) started waiting; 0: none."""

    @property
    def more(self) -> bool:
        """The last read stopped short of the end."""

    @property
    def fresh(self) -> list[tuple[str, bytes]]:
        """What the last read saw for the first time, for attached clients."""

    @property
    def feeds_attach(self) -> bool:
        """Attached clients get ``fresh`` (else the runtime's attach socket)."""

    def read(self, final: bool = False) -> LogBatch | None: ...

    def position(self) -> tuple[int, int]: ...

    def commit(self, position: tuple[int, int] | None = None) -> None: ...

    def take_rotation(self) -> bool: ...

    def close(self) -> None: ...


class OutputCapture(Protocol):
    """Where the runtime's monitor leaves a container's output."""

    watched: frozenset[str]  # file names in the container directory that signal new output
    hold: float  # how long a reader keeps an open line back, waiting for its newline

    def journal_path(self, directory: Path) -> Path: ...

    def output_paths(self, directory: Path) -> tuple[Path, Path]:
        """The stdout and stderr files of a container without a TTY or open stdin."""

    def reader(self, directory: Path) -> OutputReader: ...

    def discard(self, directory: Path) -> None:
        """Remove the captured output once it is all logged and the container has ended."""


def resolve_config(requested: dict[str, Any], default_type: str,
                   default_options: dict[str, str], drivers: LogDrivers) -> dict[str, Any]:
    """A new container's LogConfig: the daemon's driver when it names none (with the options
    it gives, or the daemon's), checked by the driver."""
    config = dict(requested)
    if not config.get("Type"):
        config = {"Type": default_type,
                  "Config": dict(config.get("Config") or default_options)}
    config["Config"] = dict(config.get("Config") or {})
    drivers.validate(config["Type"], config["Config"])
    return config


@dataclass
class _Copier:
    container_dir: Path
    reader: OutputReader
    driver: LogDriver
    reopen: Callable[[], None]
    dirty: asyncio.Event = field(default_factory=asyncio.Event)
    written: asyncio.Condition = field(default_factory=asyncio.Condition)
    task: asyncio.Task[None] | None = None
    watch: int = -1
    listeners: list[OutputStream] = field(default_factory=list)
    closing: bool = False
    logged: tuple[int, int] | None = None  # where a batch still being written ends

    def pump(self, final: bool = False) -> int:
        batch = self.reader.read(final)
        if self.reader.fresh:
            for listener in self.listeners:
                listener.feed(self.reader.fresh)
        if batch is not None:
            position = self.reader.position()
            if self.driver.log(batch):
                self.reader.commit(position)
                self.logged = None
            else:  # still being written: every batch before it is, so commit up to those
                if self.logged is not None:
                    self.reader.commit(self.logged)
                self.logged = position
        if self.reader.take_rotation():
            self.reopen()
        return batch.size if batch is not None else 0


class LogManager:
    """Owns one copier per running container and a single inotify instance for all."""

    def __init__(self, capture: OutputCapture) -> None:
        self._capture = capture
        self._copiers: dict[str, _Copier] = {}
        self._by_watch: dict[int, _Copier] = {}
        self._inotify = inotify_simple.INotify(nonblocking=True)
        self._started = False

    def _ensure_reader(self) -> None:
        if not self._started:
            asyncio.get_running_loop().add_reader(self._inotify.fileno(), self._on_events)
            self._started = True

    def _on_events(self) -> None:
        for event in self._inotify.read(timeout=0):
            copier = self._by_watch.get(event.wd)
            if copier is not None and event.name in self._capture.watched:
                copier.dirty.set()

    def journal_path(self, container_dir: Path) -> Path:
        return self._capture.journal_path(container_dir)

    def output_paths(self, container_dir: Path) -> tuple[Path, Path]:
        """The stdout and stderr files of a container without a TTY or open stdin."""
        return self._capture.output_paths(container_dir)

    def start(self, container_id: str, container_dir: Path, driver: LogDriver,
              reopen: Callable[[], None]) -> None:
        """Begin copying (idempotent); catches up on anything written meanwhile."""
        if container_id in self._copiers:
            return
        self._ensure_reader()
        reader = self._capture.reader(container_dir)
        copier = _Copier(container_dir, reader, driver, reopen)
        flags = inotify_simple.flags
        copier.watch = self._inotify.add_watch(
            str(container_dir), flags.MODIFY | flags.MOVED_TO | flags.CREATE)
        self._by_watch[copier.watch] = copier
        self._copiers[container_id] = copier
        copier.dirty.set()
        copier.task = asyncio.get_running_loop().create_task(self._run(copier))

    async def _run(self, copier: _Copier) -> None:
        while True:
            if copier.reader.holding_since:  # a cut line waits for its rest, not for ever
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(copier.dirty.wait(), self._capture.hold)
            else:
                await copier.dirty.wait()
            if copier.closing:  # a flag, not only cancel: wait_for may swallow a cancel
                return
            await self._make_room(copier)
            copier.dirty.clear()
            try:
                copied = copier.pump()
            except OSError:
                copied = 0
            if copied:
                async with copier.written:
                    copier.written.notify_all()
            if copier.reader.more:  # a backlog: the next part at once
                copier.dirty.set()
                await asyncio.sleep(0)
            elif copied:
                # let output accumulate: one pass per tick instead of one per write
                await asyncio.sleep(BATCH_INTERVAL)

    @staticmethod
    async def _make_room(copier: _Copier) -> None:
        """Wait for attached clients that fell behind; one that reads nothing for
        STALL_LIMIT seconds is let go (its stream ends; the logs keep everything)."""
        for listener in list(copier.listeners):
            if listener.drained.is_set():
                continue
            try:
                await asyncio.wait_for(listener.drained.wait(), STALL_LIMIT)
            except TimeoutError:
                listener.end()
                copier.listeners.remove(listener)

    async def stop(self, container_id: str, discard_journal: bool) -> None:
        """Copy what is left, close the driver and (after an exit) drop the journal."""
        copier = self._copiers.pop(container_id, None)
        if copier is None:
            return
        if copier.task is not None:
            copier.closing = True
            copier.dirty.set()
            done, _ = await asyncio.wait({copier.task}, timeout=5)
            if not done:
                copier.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await copier.task
        with contextlib.suppress(OSError):
            self._inotify.rm_watch(copier.watch)
        self._by_watch.pop(copier.watch, None)
        with contextlib.suppress(OSError):
            await self._make_room(copier)
            copier.pump(final=discard_journal)
            while copier.reader.more:
                await self._make_room(copier)
                copier.pump(final=discard_journal)
        copier.driver.close()  # every batch written now
        if copier.logged is not None:
            with contextlib.suppress(OSError):
                copier.reader.commit(copier.logged)
        copier.reader.close()
        for listener in copier.listeners:
            listener.end()
        async with copier.written:
            copier.written.notify_all()
        memory.trim()
        if discard_journal:
            self._capture.discard(copier.container_dir)

    def subscribe(self, container_id: str) -> OutputStream | None:
        """A stream of the container's output from now on, when it goes to output files
        (None: attach through conmon instead)."""
        copier = self._copiers.get(container_id)
        if copier is None or not copier.reader.feeds_attach:
            return None
        stream = OutputStream(lambda: copier.listeners.remove(stream)
                              if stream in copier.listeners else None)
        copier.listeners.append(stream)
        return stream

    def is_copying(self, container_id: str) -> bool:
        return container_id in self._copiers

    async def wait_written(self, container_id: str, timeout: float) -> None:
        """Sleep until the copier writes something new (or ``timeout``)."""
        copier = self._copiers.get(container_id)
        if copier is None:
            await asyncio.sleep(min(timeout, 0.05))
            return
        async with copier.written:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(copier.written.wait(), timeout)

    async def close(self) -> None:
        for container_id in list(self._copiers):
            await self.stop(container_id, discard_journal=False)
        if self._started:
            asyncio.get_running_loop().remove_reader(self._inotify.fileno())
        self._inotify.close()
