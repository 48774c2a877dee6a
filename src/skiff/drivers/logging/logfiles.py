"""Reading a container's log files for ``docker logs``: the current file and its rotations
(plain or gzipped), oldest first; ``--tail`` from the end, ``--since``/``--until``, and
``--follow`` across rotations. What a record looks like is the file's RecordFormat: json
lines (:mod:`skiff.drivers.logging.jsonfile`) or local frames
(:mod:`skiff.drivers.logging.localfile`)."""

from __future__ import annotations

import contextlib
import gzip
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from skiff.drivers.logging.base import LogMessage, ReadConfig, RunningCheck


class RecordFormat(Protocol):
    """How a log file holds its records: json lines, or the local driver's frames."""

    def blocks(self, fh: BinaryIO, pending: bytearray) -> Iterator[bytes]:
        """Blocks of whole records read from ``fh``; a partial one stays in ``pending``."""
        ...

    def tail(self, path: Path, count: int) -> list[bytes]:
        """The last ``count`` records of a file, each as written."""
        ...

    def decode(self, block: bytes) -> Iterator[LogMessage]:
        """The messages of a block of whole records."""
        ...

    def whole(self, block: bytes) -> LogMessage | None:
        """A block of one stream's records as one message, when that is quick (no times)."""
        ...


def open_log(path: Path) -> BinaryIO:
    """A log file, or one of its rotations (read through gzip when compressed)."""
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def rotated_files(path: Path) -> list[Path]:
    """Existing files of one log, oldest first (plain or gzipped rotations)."""
    files = []
    index = 1
    while True:
        candidate = path.with_name(f"{path.name}.{index}")
        if not candidate.exists():
            candidate = candidate.with_name(candidate.name + ".gz")
            if not candidate.exists():
                break
        files.append(candidate)
        index += 1
    files.reverse()
    if path.exists():
        files.append(path)
    return files


class _Filter:
    """Applies since/until to decoded messages; ``done`` once past ``until``."""

    def __init__(self, config: ReadConfig, records: RecordFormat) -> None:
        self.config = config
        self.records = records
        self.done = False
        self.fast = not (config.timestamps or config.since_ns or config.until_ns)

    def decode(self, block: bytes) -> list[LogMessage]:
        if self.fast:
            message = self.records.whole(block)
            if message is not None:
                return [message]
        result = []
        for msg in self.records.decode(block):
            if self.config.since_ns and msg.time_ns < self.config.since_ns:
                continue
            if self.config.until_ns and msg.time_ns > self.config.until_ns:
                self.done = True
                break
            result.append(msg)
        return result


async def read_logs(path: Path, config: ReadConfig, running: RunningCheck,
                    records: RecordFormat) -> AsyncIterator[list[LogMessage]]:
    """Yield batches of messages matching ``config``; ``follow`` goes on across rotations.

    Without timestamps or time bounds, a block of one stream's records may come as one
    message.
    """
    filt = _Filter(config, records)
    files = rotated_files(path)
    fh: BinaryIO | None = None
    if config.tail >= 0:
        lines: list[bytes] = []
        for file in reversed(files):
            need = config.tail - len(lines)
            if need <= 0:
                break
            lines = records.tail(file, need) + lines
        if batch := filt.decode(b"".join(lines)):
            yield batch
        if filt.done or not config.follow:
            return
        if path.exists():
            fh = open(path, "rb")  # noqa: SIM115 - closed in the finally below
            fh.seek(0, os.SEEK_END)
    else:
        for file in files:
            current = open_log(file)
            if file == path and config.follow:
                fh = current
                break
            with current:
                for block in records.blocks(current, bytearray()):
                    if batch := filt.decode(block):
                        yield batch
                    if filt.done:
                        return
        if not config.follow:
            return
    pending = bytearray()
    try:
        while True:
            if fh is None:
                with contextlib.suppress(FileNotFoundError):
                    fh = open(path, "rb")  # noqa: SIM115
            got = False
            if fh is not None:
                for block in records.blocks(fh, pending):
                    got = True
                    if batch := filt.decode(block):
                        yield batch
                    if filt.done:
                        return
            if got:
                continue
            if fh is not None and _rotated(path, fh.fileno()):
                fh.close()
                fh = None
                pending.clear()
                continue
            if not running.is_running():
                return
            await running.wait_for_data(0.25)
    finally:
        if fh is not None:
            fh.close()


def _rotated(path: Path, fd: int) -> bool:
    try:
        return os.stat(path).st_ino != os.fstat(fd).st_ino
    except FileNotFoundError:
        return True
