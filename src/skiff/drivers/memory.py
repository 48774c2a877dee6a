"""Giving freed heap memory back to the OS after large transfers (glibc ``malloc_trim``)."""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable


def _load() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


_TRIM = _load()


def trim() -> None:
    """Return free pages at the top and inside the heap to the kernel."""
    if _TRIM is not None:
        _TRIM(0)
