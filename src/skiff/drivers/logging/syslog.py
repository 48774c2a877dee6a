"""The ``syslog`` driver: each line a syslog message (rfc3164, rfc5424, rfc5424micro or the
default format) over unixgram, unix, udp, tcp or tcp+tls, as dockerd's driver writes them."""

from __future__ import annotations

import os
import socket
import time

from skiff.drivers.logging import tag, transports
from skiff.drivers.logging.base import Dropped, LogContext
from skiff.drivers.logging.remote import RemoteDriver
from skiff.errdefs import InvalidParameter

OPTIONS = frozenset({"syslog-address", "syslog-facility", "syslog-tls-ca-cert",
                     "syslog-tls-cert", "syslog-tls-key", "syslog-tls-skip-verify",
                     "syslog-format", "tag"})
SCHEMES = ("udp", "tcp", "tcp+tls", "unix", "unixgram")
FACILITIES = {name: code for code, name in enumerate(
    ("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
     "authpriv", "ftp", "", "", "", "", "local0", "local1", "local2", "local3", "local4",
     "local5", "local6", "local7")) if name}
FORMATS = ("", "rfc3164", "rfc5424", "rfc5424micro")
INFO, ERR = 6, 3


def validate(options: dict[str, str]) -> None:
    address = options.get("syslog-address")
    if address:
        transports.parse(address, SCHEMES, 514, "syslog-address")
    facility = options.get("syslog-facility", "daemon")
    if facility not in FACILITIES and not (facility.isdigit() and int(facility) < 24):
        raise InvalidParameter("invalid syslog facility")
    if options.get("syslog-format", "") not in FORMATS:
        raise InvalidParameter("Invalid syslog format")
    if options.get("syslog-tls-skip-verify", "false") not in ("true", "false", ""):
        raise InvalidParameter("invalid value for syslog-tls-skip-verify")


def _stamp(ns: int, fmt: str) -> str:
    seconds = ns // 1_000_000_000
    if fmt == "rfc3164":
        return time.strftime("%b %e %H:%M:%S", time.localtime(seconds))
    local = time.localtime(seconds)
    offset = local.tm_gmtoff
    zone = "Z" if offset == 0 else f"{'+' if offset > 0 else '-'}{abs(offset) // 3600:02d}:" \
                                   f"{abs(offset) % 3600 // 60:02d}"
    base = time.strftime("%Y-%m-%dT%H:%M:%S", local)
    if fmt == "rfc5424micro":
        base += f".{ns // 1000 % 1_000_000:06d}"
    return base + zone


class SyslogDriver(RemoteDriver):
    name = "syslog"

    def __init__(self, options: dict[str, str], context: LogContext, dropped: Dropped,
                 max_buffer: int | None) -> None:
        address = transports.parse(options.get("syslog-address") or "unixgram:///dev/log",
                                   SCHEMES, 514, "syslog-address")
        facility = options.get("syslog-facility", "daemon")
        self._facility = FACILITIES.get(facility, int(facility) if facility.isdigit() else 3)
        self._format = options.get("syslog-format", "")
        self._tag = tag.render(options.get("tag", ""), context)
        self._hostname = socket.gethostname()
        self._pid = os.getpid()
        self._stream = address.scheme in ("tcp", "tcp+tls", "unix")
        tls = None
        if address.scheme == "tcp+tls":
            tls = transports.tls_context(
                options.get("syslog-tls-ca-cert"), options.get("syslog-tls-cert"),
                options.get("syslog-tls-key"), options.get("syslog-tls-skip-verify") == "true")
        super().__init__(transports.connector(address, tls), context.container_id,
                         max_buffer, dropped)

    def frame(self, stream: str, data: bytes, ns: int) -> bytes:
        """One message, framed for the transport."""
        priority = self._facility * 8 + (ERR if stream == "stderr" else INFO)
        text = data.rstrip(b"\n").decode("utf-8", "replace")
        fmt = self._format
        if fmt in ("rfc5424", "rfc5424micro"):
            message = (f"<{priority}>1 {_stamp(ns, fmt)} {self._hostname} {self._tag} "
                       f"{self._pid} {self._tag} - {text}").encode()
            return f"{len(message)} ".encode() + message if self._stream else message
        if fmt == "rfc3164":
            message = (f"<{priority}>{_stamp(ns, fmt)} {self._hostname} "
                       f"{self._tag}[{self._pid}]: {text}").encode()
        else:
            message = (f"<{priority}>{_stamp(ns, 'rfc3339')} {self._hostname} "
                       f"{self._tag}[{self._pid}]: {text}").encode()
        return message + b"\n" if self._stream else message

    def encode(self, stream: str, data: bytes, ns: int) -> list[bytes]:
        return [self.frame(stream, data, ns)]
