"""Resolve ``Config.User`` against the container's /etc/passwd and /etc/group."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from skiff.errdefs import InvalidParameter


@dataclass(frozen=True)
class ExecUser:
    uid: int
    gid: int
    additional_gids: tuple[int, ...]
    home: str


def _read(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(errors="replace")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return []
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def _safe(rootfs: Path, rel: str) -> Path:
    """Join inside the rootfs without following a symlink that climbs out (best effort)."""
    path = rootfs / rel
    if path.is_symlink():
        return rootfs / "nonexistent"
    return path


def resolve(rootfs: Path, user: str, group_add: list[str] | None = None) -> ExecUser:
    """Docker's rules: names must exist in the files; numbers need not."""
    passwd = _read(_safe(rootfs, "etc/passwd"))
    groups = _read(_safe(rootfs, "etc/group"))
    name, _, group = (user or "").partition(":")
    uid, gid, home, username = 0, 0, "/", "root"
    if name:
        if name.isdigit():
            uid = int(name)
            entry = next((e for e in passwd if len(e) > 3 and e[2] == name), None)
        else:
            entry = next((e for e in passwd if e and e[0] == name), None)
            if entry is None:
                raise InvalidParameter(
                    f"unable to find user {name}: no matching entries in passwd file")
        if entry is not None and len(entry) > 5:
            uid, gid, home, username = int(entry[2]), int(entry[3]), entry[5] or "/", entry[0]
        elif entry is None:
            username = ""
    else:
        entry = next((e for e in passwd if len(e) > 5 and e[0] == "root"), None)
        if entry is not None:
            home = entry[5] or "/"
    if group:
        if group.isdigit():
            gid = int(group)
        else:
            match = next((g for g in groups if g and g[0] == group), None)
            if match is None:
                raise InvalidParameter(
                    f"unable to find group {group}: no matching entries in group file")
            gid = int(match[2])
    extra: list[int] = []
    if username and not group:
        for g in groups:
            if len(g) > 3 and username in g[3].split(",") and int(g[2]) != gid:
                extra.append(int(g[2]))
    for item in group_add or []:
        if item.isdigit():
            extra.append(int(item))
        else:
            match = next((g for g in groups if g and g[0] == item), None)
            if match is None:
                raise InvalidParameter(
                    f"Unable to find group {item}: no matching entries in group file")
            extra.append(int(match[2]))
    return ExecUser(uid, gid, tuple(dict.fromkeys(extra)), home)
