"""The local terminal: raw mode for -it, its size, and SIGWINCH."""

from __future__ import annotations

import contextlib
import os
import signal
import termios
import tty
from collections.abc import Callable, Iterator
from types import FrameType


def is_terminal(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def size(fd: int) -> tuple[int, int] | None:
    """(rows, columns) of the terminal on ``fd``, or None."""
    try:
        columns, rows = os.get_terminal_size(fd)
    except OSError:
        return None
    return (rows, columns) if rows and columns else None


@contextlib.contextmanager
def raw_mode(fd: int) -> Iterator[None]:
    """Put the terminal in raw mode; always restore it (also on errors and signals)."""
    if not is_terminal(fd):
        yield
        return
    saved = termios.tcgetattr(fd)

    def leave(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)  # unwinds through the restore below

    previous = {sig: signal.signal(sig, leave) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        tty.setraw(fd, termios.TCSANOW)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def on_resize(callback: Callable[[], None]) -> Iterator[None]:
    """Call ``callback`` on SIGWINCH while inside the block."""
    def handler(signum: int, frame: FrameType | None) -> None:
        callback()

    previous = signal.signal(signal.SIGWINCH, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGWINCH, previous)


def parse_detach_keys(spec: str) -> bytes:
    """``ctrl-p,ctrl-q`` -> b"\\x10\\x11" (docker's --detach-keys syntax)."""
    out = bytearray()
    for key in spec.split(","):
        if key.lower().startswith("ctrl-") and len(key) == 6:
            ch = key[5].lower()
            specials = {"@": 0, "[": 27, "\\": 28, "]": 29, "^": 30, "_": 31}
            if "a" <= ch <= "z":
                out.append(ord(ch) - ord("a") + 1)
            elif ch in specials:
                out.append(specials[ch])
            else:
                raise ValueError(f"Unknown character: '{key}'")
        elif len(key) == 1:
            out += key.encode()
        else:
            raise ValueError(f"Unknown character: '{key}'")
    return bytes(out)
