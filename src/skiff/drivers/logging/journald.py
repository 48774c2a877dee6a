"""The ``journald`` driver: each line a journal entry sent in journald's native protocol
(a datagram of ``FIELD=value`` lines on its socket), with the fields dockerd sets:
MESSAGE, PRIORITY, CONTAINER_ID, CONTAINER_ID_FULL, CONTAINER_NAME, CONTAINER_TAG,
IMAGE_NAME, SYSLOG_IDENTIFIER, and the ``labels``/``env`` the options pick."""

from __future__ import annotations

import os
import re
import struct

from skiff.drivers.logging import tag, transports
from skiff.drivers.logging.base import Dropped, LogContext
from skiff.drivers.logging.remote import RemoteDriver
from skiff.errdefs import InvalidParameter

SOCKET = "/run/systemd/journal/socket"
OPTIONS = frozenset({"tag", "labels", "labels-regex", "env", "env-regex"})
INFO, ERR = 6, 3
_NOT_FIELD = re.compile(r"[^A-Z0-9_]")


def check(socket_path: str, _options: dict[str, str]) -> None:
    if not os.path.exists(socket_path):
        raise InvalidParameter("journald is not enabled on this host")


def field_name(key: str) -> str:
    """A journal field name: upper case letters, digits and underscores, no leading one."""
    return _NOT_FIELD.sub("_", key.upper()).lstrip("_") or "X"


def native_entry(fields: list[tuple[str, str]]) -> bytes:
    """One entry in the native protocol (values with newlines carry their length)."""
    out = bytearray()
    for key, value in fields:
        data = value.encode()
        if b"\n" in data:
            out += key.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
        else:
            out += key.encode() + b"=" + data + b"\n"
    return bytes(out)


class JournaldDriver(RemoteDriver):
    name = "journald"

    def __init__(self, options: dict[str, str], context: LogContext, dropped: Dropped,
                 max_buffer: int | None, socket_path: str = SOCKET) -> None:
        container_tag = tag.render(options.get("tag", ""), context)
        self._fields = [("CONTAINER_ID", context.container_id[:12]),
                        ("CONTAINER_ID_FULL", context.container_id),
                        ("CONTAINER_NAME", context.name), ("CONTAINER_TAG", container_tag),
                        ("IMAGE_NAME", context.image_name),
                        ("SYSLOG_IDENTIFIER", container_tag)]
        self._fields += [(field_name(k), v)
                         for k, v in tag.extra_attributes(options, context).items()]
        connect = transports.connector(transports.Address("unixgram", path=socket_path))
        super().__init__(connect, context.container_id, max_buffer, dropped)

    def entry(self, stream: str, data: bytes, ns: int) -> bytes:
        partial = not data.endswith(b"\n")
        fields = [("MESSAGE", data.rstrip(b"\n").decode("utf-8", "replace")),
                  ("PRIORITY", str(ERR if stream == "stderr" else INFO)),
                  ("SYSLOG_TIMESTAMP", str(ns // 1000)), *self._fields]
        if partial:
            fields.append(("CONTAINER_PARTIAL_MESSAGE", "true"))
        return native_entry(fields)

    def encode(self, stream: str, data: bytes, ns: int) -> list[bytes]:
        return [self.entry(stream, data, ns)]
