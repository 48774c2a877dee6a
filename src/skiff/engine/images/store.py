"""The image store: images by config digest, tags, and layers shared by chain ID."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skiff.drivers.snapshot.base import Snapshotter
from skiff.engine.images import reference
from skiff.errdefs import NotFound
from skiff.store.blobs import BlobStore
from skiff.store.db import Database


def chain_ids(diff_ids: list[str]) -> list[str]:
    """OCI chain IDs: the first is the diff ID, then sha256("<parent> <diff>")."""
    chains: list[str] = []
    for diff in diff_ids:
        if not chains:
            chains.append(diff)
        else:
            text = f"{chains[-1]} {diff}".encode()
            chains.append("sha256:" + hashlib.sha256(text).hexdigest())
    return chains


@dataclass
class Layer:
    chain_id: str
    diff_id: str
    parent: str
    size: int

    def to_row(self) -> dict[str, Any]:
        return {"ChainId": self.chain_id, "DiffId": self.diff_id, "Parent": self.parent,
                "Size": self.size}


@dataclass
class Image:
    """One image: its config (as stored, whose digest is the ID) and derived facts."""

    id: str
    config: dict[str, Any]
    size: int
    created_ns: int
    tags: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    parent: str = ""  # the image a build step or a commit made this one from
    cache_key: str = ""  # the build step that made it (see engine.builder.explain)

    @property
    def diff_ids(self) -> list[str]:
        return list(self.config.get("rootfs", {}).get("diff_ids") or [])

    @property
    def chain_ids(self) -> list[str]:
        return chain_ids(self.diff_ids)

    @property
    def container_config(self) -> dict[str, Any]:
        return dict(self.config.get("config") or {})

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.container_config.get("Labels") or {})

    def to_row(self) -> dict[str, Any]:
        return {"Id": self.id, "Size": self.size, "CreatedNs": self.created_ns,
                "RepoDigests": self.digests, "Parent": self.parent,
                "BuildCache": self.cache_key}


class ImageStore:
    """In-memory index over the database, blobs and unpacked layers; writes go through."""

    def __init__(self, db: Database, blobs: BlobStore, snapshots: Snapshotter) -> None:
        self.db = db
        self.blobs = blobs
        self.snapshots = snapshots
        self.layers: dict[str, Layer] = {
            row["ChainId"]: Layer(row["ChainId"], row["DiffId"], row["Parent"], row["Size"])
            for row in db.layers()
        }
        self.images: dict[str, Image] = {}
        for row in db.images():
            try:
                config = json.loads(blobs.read(row["Id"]))
            except NotFound:
                continue
            self.images[row["Id"]] = Image(row["Id"], config, row["Size"], row["CreatedNs"],
                                           digests=list(row.get("RepoDigests") or []),
                                           parent=row.get("Parent") or "",
                                           cache_key=row.get("BuildCache") or "")
        self.tags: dict[str, str] = {}
        for ref, image_id in db.tags().items():
            if image_id in self.images:
                self._link_tag(ref, image_id)

    def recover(self, layers_dir: Path) -> list[str]:
        """Drop unpacked layers a crash left without a record; return their names."""
        known = {chain.removeprefix("sha256:") for chain in self.layers}
        removed = []
        for entry in layers_dir.iterdir():
            if entry.name != "empty" and entry.name not in known:
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry.name)
        return removed

    def _link_tag(self, ref: str, image_id: str) -> None:
        self.tags[ref] = image_id
        image = self.images[image_id]
        if ref not in image.tags:
            image.tags.append(ref)
            image.tags.sort()

    # layers
    def has_layer(self, chain_id: str) -> bool:
        return chain_id in self.layers and self.snapshots.has_layer(chain_id)

    def add_layer(self, chain_id: str, diff_id: str, parent: str, tar_path: Path) -> Layer:
        """Unpack and record a layer whose tar (already hashed to ``diff_id``) is at tar_path."""
        if self.has_layer(chain_id):
            tar_path.unlink(missing_ok=True)
            return self.layers[chain_id]
        size = self.snapshots.apply_layer(chain_id, tar_path)
        self.blobs.adopt(tar_path, diff_id)
        layer = Layer(chain_id, diff_id, parent, size)
        self.db.put_layer(chain_id, layer.to_row())
        self.layers[chain_id] = layer
        return layer

    def layer_tar(self, diff_id: str) -> Path:
        return self.blobs.path(diff_id)

    # images
    def children(self, image_id: str) -> list[Image]:
        return [i for i in self.images.values() if i.parent == image_id]

    def add_image(self, config_bytes: bytes, created_ns: int, parent: str = "",
                  cache_key: str = "") -> Image:
        image_id = self.blobs.put(config_bytes)
        existing = self.images.get(image_id)
        if existing is not None:
            return existing
        config = json.loads(config_bytes)
        size = sum(self.layers[c].size for c in chain_ids(
            list(config.get("rootfs", {}).get("diff_ids") or [])) if c in self.layers)
        image = Image(image_id, config, size, created_ns, parent=parent, cache_key=cache_key)
        self.db.put_image(image_id, image.to_row())
        self.images[image_id] = image
        return image

    def tag(self, image_id: str, ref: str) -> None:
        old = self.tags.get(ref)
        if old == image_id:
            return
        if old is not None and old in self.images:
            self.images[old].tags.remove(ref)
        self.db.set_tag(ref, image_id)
        self._link_tag(ref, image_id)

    def untag(self, ref: str) -> None:
        image_id = self.tags.pop(ref)
        self.db.delete_tag(ref)
        if image_id in self.images and ref in self.images[image_id].tags:
            self.images[image_id].tags.remove(ref)

    def delete_image(self, image_id: str) -> list[str]:
        """Forget an image and the layers no other image uses; return deleted chain IDs."""
        image = self.images.pop(image_id)
        for ref in list(image.tags):
            self.untag(ref)
        self.db.delete_image(image_id)
        self.blobs.delete(image_id)
        in_use = {c for other in self.images.values() for c in other.chain_ids}
        deleted = []
        for chain in reversed(image.chain_ids):
            if chain in in_use or chain not in self.layers:
                continue
            layer = self.layers.pop(chain)
            self.snapshots.remove_layer(chain)
            self.db.delete_layer(chain)
            if not any(other.diff_id == layer.diff_id for other in self.layers.values()):
                self.blobs.delete(layer.diff_id)
            deleted.append(chain)
        return deleted

    def resolve(self, ref: str) -> Image:
        """Find an image by name[:tag], full ID, or unique ID prefix."""
        image = self.lookup(ref)
        if image is not None:
            return image
        if _looks_like_id(ref):
            raise NotFound(f"No such image: {ref}")
        raise NotFound(f"No such image: {reference.parse(ref)}")

    def lookup(self, ref: str) -> Image | None:
        text = ref.removeprefix("sha256:")
        if ref.startswith("sha256:") and len(text) == 64:
            return self.images.get(ref)
        if all(c in "0123456789abcdef" for c in text) and len(text) >= 1:
            if len(text) == 64:
                return self.images.get("sha256:" + text)
            by_tag = self._by_tag(ref)
            if by_tag is not None:
                return by_tag
            found = [i for i in self.images.values() if i.id[7:].startswith(text)]
            if len(found) == 1:
                return found[0]
            return None
        return self._by_tag(ref)

    def _by_tag(self, ref: str) -> Image | None:
        try:
            parsed = reference.parse(ref)
        except Exception:
            return None
        if parsed.digest:
            for image in self.images.values():
                if any(d == f"{parsed.repo}@{parsed.digest}" for d in image.digests):
                    return image
            return None
        image_id = self.tags.get(parsed.tagged)
        return self.images.get(image_id) if image_id else None


def _looks_like_id(ref: str) -> bool:
    text = ref.removeprefix("sha256:")
    return bool(text) and all(c in "0123456789abcdef" for c in text)
