"""What the engine needs from a snapshot driver."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Change:
    """One entry of ``docker diff``: kind 0 modified, 1 added, 2 deleted."""

    path: str
    kind: int


class Snapshotter(Protocol):
    """Unpacked layers shared between images, and one writable layer per container."""

    name: str

    def layer_path(self, chain_id: str) -> Path: ...

    def has_layer(self, chain_id: str) -> bool: ...

    def apply_layer(self, chain_id: str, tar_path: Path) -> int:
        """Unpack a validated layer tar as ``chain_id``; return its unpacked size."""
        ...

    def remove_layer(self, chain_id: str) -> None: ...

    def prepare(self, container_id: str) -> None:
        """Create the writable layer of a container."""
        ...

    def mount(self, container_id: str, chain_ids: list[str]) -> Path:
        """Mount the container's root filesystem (idempotent); return the mount point."""
        ...

    def unmount(self, container_id: str) -> None: ...

    def remove(self, container_id: str) -> None: ...

    def changes(self, container_id: str, chain_ids: list[str]) -> list[Change]: ...

    def rw_size(self, container_id: str) -> int: ...

    def export_diff(self, container_id: str, dest: Path, exclude: Iterable[str] = ()) -> str:
        """Write the container's changes as an OCI layer tar, without the ``exclude`` paths;
        return its diff ID."""
        ...

    def export_tree(self, tree: Path, dest: Path) -> str:
        """Write a plain directory tree as an OCI layer tar; return its diff ID."""
        ...
