"""mount(2) and umount2(2) through libc, without forking a mount binary."""

from __future__ import annotations

import ctypes
import ctypes.util
import os

from skiff.errdefs import System

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
MNT_DETACH = 2


def mount(source: str, target: str, fstype: str, options: str, flags: int = 0) -> None:
    """Mount or raise System with the kernel's reason."""
    rc = _libc.mount(source.encode(), target.encode(), fstype.encode(), flags, options.encode())
    if rc != 0:
        err = ctypes.get_errno()
        raise System(f"mount {fstype} on {target}: {os.strerror(err)}")


def unmount(target: str, lazy: bool = True) -> None:
    """Unmount; a target that is not mounted is fine."""
    rc = _libc.umount2(target.encode(), MNT_DETACH if lazy else 0)
    if rc != 0:
        err = ctypes.get_errno()
        if err not in (22, 2):  # EINVAL: not a mount point; ENOENT: gone
            raise System(f"unmount {target}: {os.strerror(err)}")


def is_mountpoint(path: str) -> bool:
    """True if something is mounted at ``path`` (bind mounts of the same device included)."""
    with open("/proc/self/mountinfo") as fh:
        return any(line.split()[4] == path for line in fh)
