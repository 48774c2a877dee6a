"""Linux capabilities: Docker's default set and CapAdd/CapDrop arithmetic."""

from __future__ import annotations

from pathlib import Path

from skiff.errdefs import InvalidParameter

DEFAULT = ("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
           "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
           "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE")

ALL = ("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
       "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
       "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
       "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
       "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
       "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
       "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
       "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
       "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE")


def host_caps() -> tuple[str, ...]:
    """The capabilities skiffd itself holds: the kernel's, minus any its bounding set lacks."""
    try:
        last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    except (FileNotFoundError, ValueError):
        last = len(ALL) - 1
    bounding = (1 << (last + 1)) - 1
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("CapBnd:"):
                bounding = int(line.split()[1], 16)
    except (FileNotFoundError, ValueError):
        pass
    return tuple(cap for bit, cap in enumerate(ALL[: last + 1]) if bounding >> bit & 1)


def normalize(name: str) -> str:
    upper = name.strip().upper()
    if upper == "ALL":
        return upper
    if not upper.startswith("CAP_"):
        upper = "CAP_" + upper
    if upper not in ALL:
        raise InvalidParameter(f"invalid capability: {name}")
    return upper


def effective(add: list[str] | None, drop: list[str] | None, privileged: bool) -> list[str]:
    """Docker's order: start from the defaults, drop, then add ("ALL" on either side)."""
    known = host_caps()
    if privileged:
        return list(known)
    adds = [normalize(c) for c in add or []]
    drops = [normalize(c) for c in drop or []]
    caps = list(DEFAULT)
    caps = [] if "ALL" in drops else [c for c in caps if c not in drops]
    if "ALL" in adds:
        caps = [c for c in known if c not in drops or c in adds]
    else:
        caps += [c for c in adds if c not in caps]
    return [c for c in caps if c in known]
