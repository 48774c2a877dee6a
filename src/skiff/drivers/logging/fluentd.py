"""The ``fluentd`` driver: each line a record ``{container_id, container_name, source,
log}`` in Fluentd's forward protocol (msgpack ``[tag, time, record]``) over tcp or a unix
socket; event times with nanoseconds when ``fluentd-sub-second-precision`` is on."""

from __future__ import annotations

import struct
from urllib.parse import urlsplit

import msgpack

from skiff.drivers.logging import tag, transports
from skiff.drivers.logging.base import Dropped, LogContext
from skiff.drivers.logging.remote import RemoteDriver
from skiff.errdefs import InvalidParameter

OPTIONS = frozenset({"fluentd-address", "fluentd-async", "fluentd-async-connect",
                     "fluentd-buffer-limit", "fluentd-retry-wait", "fluentd-max-retries",
                     "fluentd-sub-second-precision", "fluentd-request-ack", "fluentd-write-timeout",
                     "tag", "labels", "labels-regex", "env", "env-regex"})
DEFAULT_PORT = 24224
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


def _event_time(ns: int) -> msgpack.ExtType:
    """Fluentd's EventTime: seconds and nanoseconds, big-endian, extension type 0."""
    return msgpack.ExtType(0, struct.pack(">II", ns // 1_000_000_000, ns % 1_000_000_000))


class FluentdDriver(RemoteDriver):
    name = "fluentd"

    def __init__(self, options: dict[str, str], context: LogContext, dropped: Dropped,
                 max_buffer: int | None) -> None:
        self._tag = tag.render(options.get("tag", ""), context)
        self._precise = options.get("fluentd-sub-second-precision") in ("true", "1")
        self._base = {"container_id": context.container_id,
                      "container_name": "/" + context.name,
                      **tag.extra_attributes(options, context)}
        super().__init__(transports.connector(address(options)), context.container_id,
                         max_buffer, dropped)

    def entry(self, stream: str, data: bytes, ns: int) -> bytes:
        """One forward-protocol message."""
        record = {**self._base, "source": stream,
                  "log": data.rstrip(b"\n").decode("utf-8", "replace")}
        when = _event_time(ns) if self._precise else ns // 1_000_000_000
        return bytes(msgpack.packb([self._tag, when, record]))

    def encode(self, stream: str, data: bytes, ns: int) -> list[bytes]:
        return [self.entry(stream, data, ns)]
