"""Log driver interfaces. A driver only logs; reading back is the optional ``LogReader``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class LogMessage:
    """One line (or partial line) of output. ``data`` keeps its trailing newline if it had one."""

    stream: str
    data: bytes
    time_ns: int


@dataclass(frozen=True)
class ReadConfig:
    """What ``docker logs`` asks for."""

    since_ns: int = 0
    until_ns: int = 0
    tail: int = -1
    follow: bool = False
    timestamps: bool = False


class LogBatch(Protocol):
    """What a container printed since the last batch: conmon's journal records, or the
    output files' new lines (``records.RecordBatch``, ``chunks.StreamBatch``)."""

    @property
    def size(self) -> int:
        """Bytes of output the batch carries, framing included."""

    def json_lines(self) -> list[bytes | memoryview] | None:
        """The whole batch as json-file lines (pieces to write in order), when it converts
        without a per-line pass."""

    def messages(self, cache: dict[bytes, int] | None = None) -> list[LogMessage]:
        """Every line of the batch (the general, slower path)."""


class LogDriver(Protocol):
    """Receives a container's output in batches. ``log`` says whether the batch is written
    (False: it is still in flight until the next ``log`` or ``close``, and every batch
    before it is written)."""

    name: str

    def log(self, batch: LogBatch) -> bool: ...

    def close(self) -> None: ...


class RunningCheck(Protocol):
    """Lets a following reader know when to stop and when new data was written."""

    def is_running(self) -> bool: ...

    async def wait_for_data(self, timeout: float) -> None: ...


@dataclass(frozen=True)
class LogContext:
    """The container a driver logs for: what tag templates, ``labels`` and ``env`` read."""

    container_id: str
    name: str  # without the leading slash
    image_id: str
    image_name: str
    created_ns: int
    directory: Path  # the container's own directory (json-file, cache files)
    labels: dict[str, str] = field(default_factory=dict)
    env: list[str] = field(default_factory=list)
    hostname: str = ""


class Dropped(Protocol):
    """Told how many lines a non-blocking driver dropped for a container."""

    def __call__(self, container_id: str, count: int) -> None: ...
