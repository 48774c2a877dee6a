"""The ``fluentd`` driver: each line a record ``{container_id, container_name, source,
log}`` in Fluentd's forward protocol (msgpack ``[tag, time, record]``) over tcp or a unix
socket; event times with nanoseconds when ``fluentd-sub-second-precision`` is on.

As Docker's: without ``fluentd-async`` the receiver must be reachable when the container
starts; lost connections are retried ``fluentd-max-retries`` times, ``fluentd-retry-wait``
apart and doubling, before what is queued is dropped; at most ``fluentd-buffer-limit``
records wait (more are dropped); ``fluentd-request-ack`` sends each
record with a chunk id and sends it again until the receiver acknowledges it. Lines are
queued either way: a receiver that is slow or gone never holds the container back.
"""

from __future__ import annotations

import base64
import os
import struct
from urllib.parse import urlsplit

import msgpack

from skiff.api.timefmt import parse_duration_ns
from skiff.drivers.logging import tag, transports
from skiff.drivers.logging.base import Dropped, LogContext
from skiff.drivers.logging.remote import Delivery, RemoteDriver, Transport
from skiff.errdefs import InvalidParameter, System

OPTIONS = frozenset({"fluentd-address", "fluentd-async", "fluentd-async-connect",
                     "fluentd-buffer-limit", "fluentd-retry-wait", "fluentd-max-retries",
                     "fluentd-sub-second-precision", "fluentd-request-ack", "fluentd-write-timeout",
                     "tag", "labels", "labels-regex", "env", "env-regex"})
DEFAULT_PORT = 24224
DEFAULT_RETRY_WAIT = 1.0  # seconds, as Docker's
DEFAULT_MAX_RETRIES = 2**31 - 1
MAX_RETRY_WAIT = 60.0
DEFAULT_BUFFER_LIMIT = 1024 * 1024  # records held while the receiver is away
BOOLEAN = ("fluentd-async", "fluentd-async-connect", "fluentd-sub-second-precision",
           "fluentd-request-ack")


def address(options: dict[str, str]) -> transports.Address:
    """``fluentd-address`` as Docker reads it: host:port, tcp://host:port or unix://path."""
    text = options.get("fluentd-address") or f"localhost:{DEFAULT_PORT}"
    if "://" not in text:
        text = "tcp://" + text
    if urlsplit(text).scheme not in ("tcp", "unix"):
        raise InvalidParameter(f"unsupported scheme: '{urlsplit(text).scheme}'")
    return transports.parse(text, ("tcp", "unix"), DEFAULT_PORT, "fluentd-address")


def validate(options: dict[str, str]) -> None:
    address(options)
    for key in BOOLEAN:
        if options.get(key, "false") not in ("true", "false", "1", "0"):
            raise InvalidParameter(f'strconv.ParseBool: parsing "{options[key]}": invalid '
                                   f"syntax")
    for key in ("fluentd-max-retries", "fluentd-buffer-limit"):
        if key in options and not options[key].isdigit():
            raise InvalidParameter(f'strconv.ParseInt: parsing "{options[key]}": invalid '
                                   f"syntax")
    if "fluentd-retry-wait" in options:
        parse_duration_ns(options["fluentd-retry-wait"])


def _on(options: dict[str, str], key: str) -> bool:
    return options.get(key) in ("true", "1")


class _Acknowledged:
    """A connection on which each record waits for the receiver's ``{"ack": chunk}``; any
    other answer, or none, is a lost connection (the record is sent again)."""

    def __init__(self, connection: transports.Socket) -> None:
        self._connection = connection
        self._replies = msgpack.Unpacker(raw=False)

    def send(self, frame: bytes) -> None:
        chunk = msgpack.unpackb(frame, raw=False)[3]["chunk"]
        self._connection.send(frame)
        while True:
            for reply in self._replies:
                if isinstance(reply, dict) and reply.get("ack") == chunk:
                    return
                raise OSError(f"fluentd: unexpected reply {reply!r}")
            data = self._connection.recv(4096)
            if not data:
                raise OSError("fluentd: connection closed before the ack")
            self._replies.feed(data)

    def close(self) -> None:
        self._connection.close()


def _event_time(ns: int) -> msgpack.ExtType:
    """Fluentd's EventTime: seconds and nanoseconds, big-endian, extension type 0."""
    return msgpack.ExtType(0, struct.pack(">II", ns // 1_000_000_000, ns % 1_000_000_000))


class FluentdDriver(RemoteDriver):
    name = "fluentd"

    def __init__(self, options: dict[str, str], context: LogContext, dropped: Dropped,
                 max_buffer: int | None) -> None:
        self._tag = tag.render(options.get("tag", ""), context)
        self._precise = _on(options, "fluentd-sub-second-precision")
        self._ack = _on(options, "fluentd-request-ack")
        self._base = {"container_id": context.container_id,
                      "container_name": "/" + context.name,
                      **tag.extra_attributes(options, context)}
        where = address(options)
        plain = transports.connector(where)

        def connect() -> Transport:
            return _Acknowledged(plain()) if self._ack else plain()

        connected = None
        if not (_on(options, "fluentd-async") or _on(options, "fluentd-async-connect")):
            try:
                connected = connect()
            except OSError as exc:
                target = where.path or f"{where.host}:{where.port}"
                reason = (exc.strerror or str(exc)).lower()
                raise System(f"failed to initialize logging driver: dial {where.scheme} "
                             f"{target}: connect: {reason}") from None
        wait = parse_duration_ns(options["fluentd-retry-wait"]) / 1e9 \
            if "fluentd-retry-wait" in options else DEFAULT_RETRY_WAIT
        retries = int(options.get("fluentd-max-retries", DEFAULT_MAX_RETRIES))
        held = int(options.get("fluentd-buffer-limit", DEFAULT_BUFFER_LIMIT))
        super().__init__(connect, context.container_id, max_buffer, dropped,
                         Delivery(wait, MAX_RETRY_WAIT, retries, held), connected)

    def entry(self, stream: str, data: bytes, ns: int) -> bytes:
        """One forward-protocol message."""
        record = {**self._base, "source": stream,
                  "log": data.rstrip(b"\n").decode("utf-8", "replace")}
        when = _event_time(ns) if self._precise else ns // 1_000_000_000
        if self._ack:
            chunk = base64.b64encode(os.urandom(16)).decode()
            return bytes(msgpack.packb([self._tag, when, record, {"chunk": chunk}]))
        return bytes(msgpack.packb([self._tag, when, record]))

    def encode(self, stream: str, data: bytes, ns: int) -> list[bytes]:
        return [self.entry(stream, data, ns)]
