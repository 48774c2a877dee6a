"""The data-root and exec-root layout; no other module builds paths inside them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    """Where everything lives. ``data_root`` survives reboots; ``exec_root`` is runtime state."""

    data_root: Path
    exec_root: Path

    @property
    def database(self) -> Path:
        return self.data_root / "skiff.db"

    @property
    def blobs(self) -> Path:
        return self.data_root / "blobs" / "sha256"

    @property
    def layers(self) -> Path:
        return self.data_root / "layers"

    @property
    def tmp(self) -> Path:
        return self.data_root / "tmp"

    @property
    def build_cache(self) -> Path:
        """RUN --mount=type=cache directories, kept between builds."""
        return self.data_root / "builder" / "cache"

    @property
    def build_records(self) -> Path:
        """Each Dockerfile's last build: its steps' cache inputs, for ``skiff build --explain``."""
        return self.data_root / "builder" / "records"

    def layer_dir(self, chain_hex: str) -> Path:
        return self.layers / chain_hex

    def container_dir(self, container_id: str) -> Path:
        return self.data_root / "containers" / container_id

    @property
    def runtime_root(self) -> Path:
        return self.exec_root / "runtime"

    def monitor_dir(self, container_id: str) -> Path:
        return self.exec_root / "monitor" / container_id

    @property
    def exits_dir(self) -> Path:
        return self.exec_root / "exits"

    def ensure(self) -> None:
        """Create the directories skiff owns, private to root."""
        for path in (self.data_root, self.blobs, self.layers, self.tmp,
                     self.data_root / "containers", self.exec_root, self.runtime_root,
                     self.exec_root / "monitor", self.exits_dir):
            path.mkdir(parents=True, exist_ok=True)
        os.chmod(self.data_root, 0o711)


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write a file so readers see the old or the new content, never a torn one.

    Not flushed to disk (an fsync each took milliseconds of the event loop at every start):
    what is written this way is made again whenever it is used (a container's /etc files and
    its OCI config, at each start).
    """
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
