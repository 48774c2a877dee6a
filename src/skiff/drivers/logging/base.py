"""Log driver interfaces. A driver only logs; reading back is the optional ``LogReader``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from skiff.drivers.logging.records import RecordBatch


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


class LogDriver(Protocol):
    """Receives a container's output in batches of journal records."""

    name: str

    def log(self, batch: RecordBatch) -> None: ...

    def close(self) -> None: ...


class RunningCheck(Protocol):
    """Lets a following reader know when to stop and when new data was written."""

    def is_running(self) -> bool: ...

    async def wait_for_data(self, timeout: float) -> None: ...
