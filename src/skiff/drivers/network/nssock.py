"""Network namespaces by system call: create one, bind a socket inside one.

A network namespace belongs to a thread, so each operation runs in a worker thread that
enters the namespace, does its work and comes back, under one lock; no program is forked.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

from skiff.drivers import mounts

CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
SIOCGIFFLAGS, SIOCSIFFLAGS = 0x8913, 0x8914
IFF_UP = 0x1
_libc = ctypes.CDLL(None, use_errno=True)
_lock = threading.Lock()
_SELF = "/proc/thread-self/ns/net"


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns failed")


@contextlib.contextmanager
def _returning_home() -> Iterator[None]:
    """Whatever namespace the body enters, the thread is back in its own afterwards."""
    with _lock:
        home = os.open(_SELF, os.O_RDONLY)
        try:
            yield
        finally:
            try:
                _setns(home)
            finally:
                os.close(home)


@contextlib.contextmanager
def _inside(netns: Path) -> Iterator[None]:
    """The body runs in ``netns``; the thread is back in its own namespace afterwards."""
    with _returning_home():
        target = os.open(netns, os.O_RDONLY)
        try:
            _setns(target)
        finally:
            os.close(target)
        yield


def _loopback_up() -> None:
    """``ip link set lo up`` in the current thread's namespace, by ioctl."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def create(path: Path) -> None:
    """A new network namespace, its loopback up, kept alive by a bind mount at ``path``."""
    with _returning_home():
        if _libc.unshare(CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "unshare failed")
        mounts.mount(_SELF, str(path), "none", "", MS_BIND)
        _loopback_up()


def _bound_in(netns: Path, kind: int, address: str, port: int) -> socket.socket:
    with _inside(netns):
        sock = socket.socket(socket.AF_INET, kind)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((address, port))
            if kind == socket.SOCK_STREAM:
                sock.listen(64)
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
    return sock


def udp_in(netns: Path, address: str, port: int) -> socket.socket:
    """A UDP socket bound to ``address:port`` inside ``netns``; it stays in that namespace."""
    return _bound_in(netns, socket.SOCK_DGRAM, address, port)


def tcp_in(netns: Path, address: str, port: int) -> socket.socket:
    """A listening TCP socket on ``address:port`` inside ``netns``."""
    return _bound_in(netns, socket.SOCK_STREAM, address, port)


def link_names(netns: Path) -> set[str]:
    """The names of the links in ``netns``."""
    with _inside(netns):
        return {name for _index, name in socket.if_nameindex()}
