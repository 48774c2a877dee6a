"""Sockets to log receivers: ``udp://``, ``tcp://``, ``tcp+tls://``, ``unix://`` and
``unixgram://`` addresses, each connected when the first frame goes out."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from skiff.errdefs import InvalidParameter

CONNECT_TIMEOUT = 5.0
SEND_TIMEOUT = 10.0


@dataclass(frozen=True)
class Address:
    scheme: str  # udp, tcp, tcp+tls, unix, unixgram
    host: str = ""
    port: int = 0
    path: str = ""


def parse(text: str, schemes: tuple[str, ...], default_port: int, option: str) -> Address:
    """An address of one of ``schemes``; Docker's messages for what is not."""
    parts = urlsplit(text)
    if parts.scheme not in schemes:
        raise InvalidParameter(f"{option}: unsupported scheme: '{parts.scheme or text}'")
    if parts.scheme in ("unix", "unixgram"):
        if not parts.path:
            raise InvalidParameter(f"{option}: a socket path is required: '{text}'")
        return Address(parts.scheme, path=parts.path)
    try:
        port = parts.port or default_port
    except ValueError:
        raise InvalidParameter(f"{option}: invalid port in '{text}'") from None
    if not parts.hostname:
        raise InvalidParameter(f"{option}: a host is required: '{text}'")
    return Address(parts.scheme, parts.hostname, port)


class Socket:
    """A connected receiver (a Transport that can also read its replies)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def send(self, frame: bytes) -> None:
        self._sock.sendall(frame)

    def recv(self, size: int) -> bytes:
        return self._sock.recv(size)

    def close(self) -> None:
        self._sock.close()


def connector(address: Address, tls: ssl.SSLContext | None = None) -> Callable[[], Socket]:
    """What opens a fresh connection to ``address``."""
    def connect() -> Socket:
        if address.scheme in ("unix", "unixgram"):
            kind = socket.SOCK_DGRAM if address.scheme == "unixgram" else socket.SOCK_STREAM
            sock = socket.socket(socket.AF_UNIX, kind)
            sock.settimeout(CONNECT_TIMEOUT)
            try:
                sock.connect(address.path)
            except OSError:
                sock.close()
                raise
        elif address.scheme == "udp":
            sock = socket.socket(socket.AF_INET6 if ":" in address.host else socket.AF_INET,
                                 socket.SOCK_DGRAM)
            try:
                sock.connect((address.host, address.port))
            except OSError:
                sock.close()
                raise
        else:
            sock = socket.create_connection((address.host, address.port), CONNECT_TIMEOUT)
            if address.scheme == "tcp+tls":
                sock = (tls or ssl.create_default_context()).wrap_socket(
                    sock, server_hostname=address.host)
        sock.settimeout(SEND_TIMEOUT)
        return Socket(sock)

    return connect


def tls_context(ca: str | None, cert: str | None, key: str | None,
                skip_verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
    if cert:
        context.load_cert_chain(cert, key)
    if skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
