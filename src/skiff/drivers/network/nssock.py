"""Sockets bound inside another network namespace (the embedded DNS's 127.0.0.11)."""

from __future__ import annotations

import ctypes
import os
import socket
import subprocess
import threading
from pathlib import Path

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
_lock = threading.Lock()


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns failed")


def udp_in(netns: Path, address: str, port: int) -> socket.socket:
    """A UDP socket bound to ``address:port`` inside ``netns`` (its loopback brought up).

    The network namespace is per thread: this thread enters it, binds, and comes back; the
    socket stays in the namespace it was made in. Call it from a worker thread.
    """
    subprocess.run(["nsenter", f"--net={netns}", "ip", "link", "set", "lo", "up"],
                   check=True, capture_output=True)
    with _lock:
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(netns, os.O_RDONLY)
        try:
            _setns(target)
            try:
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sock.bind((address, port))
                sock.setblocking(False)
            finally:
                _setns(home)
        finally:
            os.close(home)
            os.close(target)
    return sock
