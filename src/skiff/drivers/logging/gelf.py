"""The ``gelf`` driver: each line a GELF 1.1 message (Graylog's format) over udp (gzip or
zlib compressed, chunked above a datagram's size) or tcp (null-byte framed)."""

from __future__ import annotations

import gzip
import json
import os
import socket
import zlib

from skiff.api.timefmt import rfc3339nano
from skiff.drivers.logging import tag, transports
from skiff.drivers.logging.base import Dropped, LogContext
from skiff.drivers.logging.remote import RemoteDriver
from skiff.errdefs import InvalidParameter

OPTIONS = frozenset({"gelf-address", "gelf-compression-type", "gelf-compression-level",
                     "gelf-tcp-max-reconnect", "gelf-tcp-reconnect-delay", "tag", "labels",
                     "labels-regex", "env", "env-regex"})
SCHEMES = ("udp", "tcp")
CHUNK = 1420  # bytes of message per udp chunk (as Graylog's clients use on a LAN)
MAGIC = b"\x1e\x0f"
INFO, ERR = 6, 3


def validate(options: dict[str, str]) -> None:
    address = options.get("gelf-address")
    if not address:
        raise InvalidParameter("gelf-address is a required parameter")
    parsed = transports.parse(address, SCHEMES, 12201, "gelf-address")
    if parsed.scheme == "tcp" and ("gelf-compression-type" in options or
                                   "gelf-compression-level" in options):
        raise InvalidParameter("compression is not supported with the tcp protocol")
    if options.get("gelf-compression-type", "gzip") not in ("gzip", "zlib", "none"):
        raise InvalidParameter("Unknown gelf compression type: "
                               f"{options['gelf-compression-type']}")
    level = options.get("gelf-compression-level", "1")
    if not level.lstrip("-").isdigit() or not -1 <= int(level) <= 9:
        raise InvalidParameter("gelf-compression-level must be a number between -1 and 9")


class GelfDriver(RemoteDriver):
    name = "gelf"

    def __init__(self, options: dict[str, str], context: LogContext, dropped: Dropped,
                 max_buffer: int | None) -> None:
        address = transports.parse(options["gelf-address"], SCHEMES, 12201, "gelf-address")
        self._udp = address.scheme == "udp"
        self._compression = options.get("gelf-compression-type", "gzip")
        self._level = int(options.get("gelf-compression-level", "1"))
        self._host = socket.gethostname()
        self._extra = {
            "_container_id": context.container_id, "_container_name": context.name,
            "_image_id": context.image_id, "_image_name": context.image_name,
            "_tag": tag.render(options.get("tag", ""), context),
            "_created": rfc3339nano(context.created_ns),
            **{f"_{k}": v for k, v in tag.extra_attributes(options, context).items()}}
        super().__init__(transports.connector(address), context.container_id, max_buffer,
                         dropped)

    def message(self, stream: str, data: bytes, ns: int) -> bytes:
        """The GELF document of one line."""
        return json.dumps({"version": "1.1", "host": self._host,
                           "short_message": data.rstrip(b"\n").decode("utf-8", "replace"),
                           "timestamp": round(ns / 1e9, 6),
                           "level": ERR if stream == "stderr" else INFO,
                           **self._extra}, separators=(",", ":")).encode()

    def frames(self, document: bytes) -> list[bytes]:
        """The datagrams (udp) or the framed record (tcp) carrying ``document``."""
        if not self._udp:
            return [document + b"\0"]
        if self._compression == "gzip":
            document = gzip.compress(document, self._level if self._level >= 0 else 6)
        elif self._compression == "zlib":
            document = zlib.compress(document, self._level)
        if len(document) <= CHUNK:
            return [document]
        pieces = [document[i:i + CHUNK] for i in range(0, len(document), CHUNK)]
        if len(pieces) > 128:
            return []  # GELF allows 128 chunks; a longer message cannot be sent over udp
        ident = os.urandom(8)
        return [MAGIC + ident + bytes([n, len(pieces)]) + piece
                for n, piece in enumerate(pieces)]

    def encode(self, stream: str, data: bytes, ns: int) -> list[bytes]:
        return self.frames(self.message(stream, data, ns))
