"""Delivery to a log receiver over the network: a thread per container that sends queued
frames, reconnects with backoff when the receiver goes away, and never blocks the copier.
A driver may bound the retries (fluentd's ``fluentd-max-retries``): what is queued when they
run out is dropped.

``mode=non-blocking`` bounds the queue at ``max-buffer-size`` (Docker's default 1 MB) and
drops what does not fit; the default (blocking) mode queues up to BLOCKING_LIMIT, since the
journal, not the receiver, is what holds a container's output back. Drops are counted.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from skiff.drivers.logging.base import Dropped, LogBatch

BLOCKING_LIMIT = 16 * 1024 * 1024
BACKOFF_MAX = 5.0
CLOSE_GRACE = 2.0  # seconds a closing driver keeps trying to deliver what it holds


class Transport(Protocol):
    def send(self, frame: bytes) -> None:
        """Send one frame; OSError when the receiver is gone."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class Delivery:
    """How a Sender holds on to what it sends: seconds before the first retry, doubling up
    to ``most``; ``attempts`` retries in a row at most (None: no end); ``held`` frames at
    most in its queue (None: only ``max_buffer``'s bytes bound it)."""

    first: float = 0.1
    most: float = BACKOFF_MAX
    attempts: int | None = None
    held: int | None = None


class Sender:
    """Queues frames and sends them from its own thread."""

    def __init__(self, connect: Callable[[], Transport], container_id: str,
                 max_buffer: int | None, dropped: Dropped, delivery: Delivery = Delivery(),
                 connected: Transport | None = None) -> None:
        self._connect = connect
        self._delivery = delivery
        self._container_id = container_id
        self._limit = max_buffer if max_buffer is not None else BLOCKING_LIMIT
        self._dropped = dropped
        self._queue: collections.deque[bytes] = collections.deque()
        self._bytes = 0
        self._cond = threading.Condition()
        self._closing = 0.0
        self._transport: Transport | None = connected
        self._thread = threading.Thread(target=self._run, name=f"log-{container_id[:12]}",
                                        daemon=True)
        self._thread.start()

    def put(self, frames: list[bytes], unsendable: int = 0) -> None:
        """Queue ``frames``; ``unsendable`` lines that had none count as dropped too."""
        lost = unsendable
        with self._cond:
            for frame in frames:
                if self._bytes + len(frame) > self._limit or (
                        self._delivery.held is not None and
                        len(self._queue) >= self._delivery.held):
                    lost += 1
                    continue
                self._queue.append(frame)
                self._bytes += len(frame)
            self._cond.notify()
        if lost:
            self._dropped(self._container_id, lost)

    def close(self) -> None:
        """Deliver what is queued within CLOSE_GRACE, then stop (the rest is dropped)."""
        with self._cond:
            self._closing = time.monotonic() + CLOSE_GRACE
            self._cond.notify()
        self._thread.join(CLOSE_GRACE + 1)

    def _run(self) -> None:
        delay, failures = self._delivery.first, 0
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if not self._queue or (self._closing and time.monotonic() > self._closing):
                    break
                frame = self._queue[0]
            try:
                if self._transport is None:
                    self._transport = self._connect()
                self._transport.send(frame)
            except OSError:
                self._drop_transport()
                failures += 1
                if self._delivery.attempts is not None and failures > self._delivery.attempts:
                    self._give_up()
                    delay, failures = self._delivery.first, 0
                    continue
                with self._cond:
                    self._cond.wait(min(delay, max(self._closing - time.monotonic(), 0.01))
                                    if self._closing else delay)
                delay = min(delay * 2, self._delivery.most)
                continue
            delay, failures = self._delivery.first, 0
            with self._cond:
                self._queue.popleft()
                self._bytes -= len(frame)
        left = len(self._queue)
        self._drop_transport()
        if left:
            self._dropped(self._container_id, left)

    def _give_up(self) -> None:
        """The retries ran out: what is queued is dropped (and counted)."""
        with self._cond:
            lost = len(self._queue)
            self._queue.clear()
            self._bytes = 0
        self._dropped(self._container_id, lost)

    def _drop_transport(self) -> None:
        if self._transport is not None:
            with contextlib.suppress(OSError):
                self._transport.close()
            self._transport = None


class RemoteDriver:
    """A driver that turns each line into frames (``encode``) for a Sender of its own."""

    name = ""

    def __init__(self, connect: Callable[[], Transport], container_id: str,
                 max_buffer: int | None, dropped: Dropped, delivery: Delivery = Delivery(),
                 connected: Transport | None = None) -> None:
        self._sender = Sender(connect, container_id, max_buffer, dropped, delivery, connected)

    def encode(self, stream: str, data: bytes, ns: int) -> list[bytes]:
        """The frames of one line (none: it cannot be sent, and counts as dropped)."""
        raise NotImplementedError

    def log(self, batch: LogBatch) -> bool:
        frames: list[bytes] = []
        unsendable = 0
        for message in batch.messages():
            encoded = self.encode(message.stream, message.data, message.time_ns)
            unsendable += not encoded
            frames += encoded
        self._sender.put(frames, unsendable)
        return True  # queued: the sender's buffer, not the receiver, holds it from now on

    def close(self) -> None:
        self._sender.close()
