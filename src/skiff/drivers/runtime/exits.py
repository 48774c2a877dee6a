"""Event-driven exits: conmon renames ``exits/<id>`` into place when a container ends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import inotify_simple


class ExitWatcher:
    """Calls ``on_exit(container_id)`` as soon as conmon records an exit."""

    def __init__(self, exits_dir: Path, on_exit: Callable[[str], None]) -> None:
        self._dir = exits_dir
        self._on_exit = on_exit
        self._inotify = inotify_simple.INotify(nonblocking=True)
        flags = inotify_simple.flags
        self._inotify.add_watch(str(exits_dir), flags.MOVED_TO | flags.CLOSE_WRITE)

    def start(self) -> None:
        asyncio.get_running_loop().add_reader(self._inotify.fileno(), self._drain)

    def stop(self) -> None:
        asyncio.get_running_loop().remove_reader(self._inotify.fileno())
        self._inotify.close()

    def _drain(self) -> None:
        for event in self._inotify.read(timeout=0):
            name = event.name
            if name and not name.startswith("."):
                self._on_exit(name)
