"""cgroups: which version the host runs, host preparation, and where containers live."""

from __future__ import annotations

import os
from pathlib import Path

from skiff.drivers import mounts

ROOT = Path("/sys/fs/cgroup")
PARENT = "skiff"


def version() -> int:
    """2 on a unified host, 1 on a legacy or hybrid one."""
    return 2 if (ROOT / "cgroup.controllers").exists() else 1


def prepare_hybrid() -> list[str]:
    """Move controllers still owned by the v2 half of a hybrid host to v1 hierarchies.

    crun refuses hybrid hosts where the unified hierarchy owns a controller; mounting a v1
    hierarchy for it (as cgroupfs-mount does at boot) hands it over. Returns what was mounted.
    """
    unified = ROOT / "unified" / "cgroup.controllers"
    if version() == 2 or not unified.exists():
        return []
    done = []
    for controller in unified.read_text().split():
        target = ROOT / controller
        if target.is_dir() and os.path.ismount(target):
            continue
        target.mkdir(exist_ok=True)
        try:
            mounts.mount("cgroup", str(target), "cgroup", controller)
        except Exception:
            continue
        done.append(controller)
    return done


def container_path(container_id: str, parent: str = "") -> str:
    """The ``linux.cgroupsPath`` given to the runtime (cgroupfs driver)."""
    return f"/{(parent or PARENT).strip('/')}/{container_id}"


def swap_limit_supported() -> bool:
    if version() == 2:
        return True
    return (ROOT / "memory" / "memory.memsw.limit_in_bytes").exists()


MONITORS = "skiff-monitors"


def move_to(pid: int, group: str = MONITORS) -> None:
    """Put a process (a container's monitor) into its own cgroup in every hierarchy.

    Monitors must not live in skiffd's cgroup: a service manager stopping skiffd would kill
    them, and with them the containers that live restore should keep.
    """
    roots = [ROOT] if version() == 2 else [
        entry for entry in ROOT.iterdir() if entry.is_dir() and os.path.ismount(entry)]
    for root in roots:
        target = root / group
        try:
            target.mkdir(exist_ok=True)
            (target / "cgroup.procs").write_text(str(pid))
        except OSError:
            continue  # a hierarchy we may not write to: the others still count
