"""What the engine's services report for monitoring, as a Protocol: the engine counts and
times its work through it and never knows who listens (the Prometheus exporter, or nobody)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol


class Telemetry(Protocol):
    """Receives the engine's measurements; every method returns at once."""

    def container_action(self, action: str, seconds: float) -> None:
        """A container ``create``, ``start``, ``delete``, ``commit`` or ``changes`` took so long."""

    def network_action(self, action: str, seconds: float) -> None:
        """A network ``create``, ``delete``, ``connect`` or ``disconnect`` took so long."""

    def image_action(self, action: str, seconds: float) -> None:
        """An image ``delete``, ``tag`` or ``import`` took so long."""

    def health_check(self, container_id: str, failed: bool) -> None:
        """A healthcheck probe of the container ran."""

    def restarted(self, container_id: str) -> None:
        """The restart policy started the container again."""

    def log_lines_dropped(self, container_id: str, count: int) -> None:
        """A log driver dropped lines of the container (a full non-blocking buffer)."""

    def event(self, event_type: str, action: str) -> None:
        """An event was published."""

    def build(self, failure: str | None) -> None:
        """A build ran; ``failure`` is the reason it failed (None: it did not)."""

    def forget(self, container_id: str) -> None:
        """The container is gone: its series end."""


class NoTelemetry:
    """The default: measurements go nowhere."""

    def container_action(self, action: str, seconds: float) -> None:
        pass

    def network_action(self, action: str, seconds: float) -> None:
        pass

    def image_action(self, action: str, seconds: float) -> None:
        pass

    def health_check(self, container_id: str, failed: bool) -> None:
        pass

    def restarted(self, container_id: str) -> None:
        pass

    def log_lines_dropped(self, container_id: str, count: int) -> None:
        pass

    def event(self, event_type: str, action: str) -> None:
        pass

    def build(self, failure: str | None) -> None:
        pass

    def forget(self, container_id: str) -> None:
        pass


NOWHERE: Telemetry = NoTelemetry()


@contextmanager
def timed(record: Callable[[str, float], None], action: str) -> Iterator[None]:
    """Time the block and hand the seconds to ``record(action, seconds)``, failed or not."""
    start = time.perf_counter()
    try:
        yield
    finally:
        record(action, time.perf_counter() - start)
