"""Content-addressed blobs: ``sha256/<hex>``, verified on the way in."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from skiff.errdefs import InvalidParameter, NotFound

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class BlobStore:
    """Immutable blobs addressed by their sha256 digest."""

    def __init__(self, root: Path, tmp: Path) -> None:
        self._root = root
        self._tmp = tmp

    def path(self, digest: str) -> Path:
        algo, _, hexpart = digest.partition(":")
        if algo != "sha256" or not _HEX64.match(hexpart):
            raise InvalidParameter(f"invalid digest: {digest}")
        return self._root / hexpart

    def exists(self, digest: str) -> bool:
        return self.path(digest).exists()

    def read(self, digest: str) -> bytes:
        try:
            return self.path(digest).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"blob {digest} not found") from None

    def put(self, data: bytes) -> str:
        """Store bytes; return their digest."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if not target.exists():
            tmp = self._tmp / f"blob-{os.getpid()}-{digest[7:19]}"
            tmp.write_bytes(data)
            os.replace(tmp, target)
        return digest

    def adopt(self, path: Path, digest: str) -> None:
        """Move an already hashed file into the store."""
        target = self.path(digest)
        if target.exists():
            path.unlink()
        else:
            shutil.move(str(path), target)

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self.path(digest), "rb")
        except FileNotFoundError:
            raise NotFound(f"blob {digest} not found") from None

    def size(self, digest: str) -> int:
        return self.path(digest).stat().st_size

    def delete(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)

    def digests(self) -> Iterator[str]:
        for entry in self._root.iterdir():
            yield "sha256:" + entry.name
