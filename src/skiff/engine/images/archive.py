"""Image archives: rootfs import, ``docker save`` and OCI-layout tarballs, both ways."""

from __future__ import annotations

import bz2
import hashlib
import io
import json
import lzma
import os
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from skiff.drivers.snapshot.layertar import clean_name
from skiff.engine.images.reference import familiar, full_name
from skiff.errdefs import InvalidParameter

CHUNK = 1 << 20


def _decompressor(head: bytes) -> Callable[[bytes], bytes] | None:
    if head.startswith(b"\x1f\x8b"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress
    if head.startswith(b"BZh"):
        return bz2.BZ2Decompressor().decompress
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMADecompressor().decompress
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        raise InvalidParameter("zstd-compressed layers are not supported")
    return None


def is_tar(path: Path) -> bool:
    """Whether ``path`` is a tar archive, plain or compressed (gzip, bzip2, xz)."""
    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False


def spool(stream: BinaryIO, dest: Path) -> str:
    """Copy a tar stream, decompressing it if needed, to ``dest``; return the sha256 digest."""
    hasher = hashlib.sha256()
    head = stream.read(CHUNK)
    decompress = _decompressor(head)
    with open(dest, "wb") as out:
        chunk = head
        while chunk:
            data = decompress(chunk) if decompress else chunk
            hasher.update(data)
            out.write(data)
            chunk = stream.read(CHUNK)
    return "sha256:" + hasher.hexdigest()


def check_tar(path: Path) -> None:
    """Refuse a file that is not a tar archive."""
    try:
        with tarfile.open(path, "r:") as tar:
            tar.next()
    except tarfile.TarError as exc:
        raise InvalidParameter(f"invalid tar archive: {exc}") from None


@dataclass
class ManifestEntry:
    """One image inside an archive: its config, layer members and tags."""

    config: bytes
    layers: list[str]
    repo_tags: list[str]


class ArchiveReader:
    """Reads a ``docker save`` or OCI image layout tar without trusting its paths."""

    def __init__(self, path: Path) -> None:
        try:
            self._tar = tarfile.open(path, "r:")  # noqa: SIM115 - closed by close()
            members = self._tar.getmembers()
        except tarfile.TarError as exc:
            raise InvalidParameter(f"invalid tar archive: {exc}") from None
        self._members: dict[str, tarfile.TarInfo] = {}
        for member in members:
            name = clean_name(member.name)
            if member.issym() or member.islnk():
                target = member.linkname
                if member.issym():
                    target = os.path.normpath(os.path.join(os.path.dirname(name), target))
                clean_name(target)
            self._members[name] = member

    def close(self) -> None:
        self._tar.close()

    def open(self, name: str) -> BinaryIO:
        member = self._members.get(clean_name(name))
        seen = 0
        while member is not None and (member.issym() or member.islnk()) and seen < 16:
            target = member.linkname
            if member.issym():
                target = os.path.normpath(os.path.join(os.path.dirname(member.name), target))
            member = self._members.get(clean_name(target))
            seen += 1
        if member is None or not member.isfile():
            raise InvalidParameter(f"invalid archive: {name} not found")
        handle = self._tar.extractfile(member)
        assert handle is not None
        return handle  # type: ignore[return-value]

    def read_json(self, name: str) -> Any:
        try:
            return json.loads(self.open(name).read())
        except ValueError as exc:
            raise InvalidParameter(f"invalid archive: {name}: {exc}") from None

    def entries(self) -> list[ManifestEntry]:
        if "manifest.json" in self._members:
            manifest = self.read_json("manifest.json")
            if not isinstance(manifest, list):
                raise InvalidParameter("invalid archive: manifest.json is not a list")
            return [ManifestEntry(self.open(item["Config"]).read(), list(item["Layers"]),
                                  list(item.get("RepoTags") or [])) for item in manifest]
        if "index.json" in self._members:
            return self._oci_entries()
        raise InvalidParameter("invalid archive: no manifest.json or index.json found")

    def _blob(self, digest: str) -> str:
        algo, _, hexpart = digest.partition(":")
        return f"blobs/{algo}/{hexpart}"

    def _oci_entries(self) -> list[ManifestEntry]:
        index = self.read_json("index.json")
        entries = []
        for desc in index.get("manifests") or []:
            manifest = self.read_json(self._blob(desc["digest"]))
            if "manifests" in manifest:  # a nested index: take the linux/amd64 or first one
                nested = [m for m in manifest["manifests"]
                          if (m.get("platform") or {}).get("os", "linux") == "linux"]
                if not nested:
                    continue
                manifest = self.read_json(self._blob(nested[0]["digest"]))
            annotations = desc.get("annotations") or {}
            name = annotations.get("io.containerd.image.name") or ""
            tags = [familiar(name)] if name else []
            entries.append(ManifestEntry(self.open(self._blob(manifest["config"]["digest"])).read(),
                                         [self._blob(layer["digest"])
                                          for layer in manifest["layers"]], tags))
        return entries


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: int = 0) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = mtime
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


@dataclass
class SaveItem:
    """One image to write into a ``docker save`` archive."""

    image_id: str
    config: bytes
    layer_tars: list[tuple[str, Path]]  # (diff_id, path)
    repo_tags: list[str]


def write_archive(out: BinaryIO, items: list[SaveItem]) -> None:
    """Write Docker's save format (an OCI layout plus ``manifest.json``) to ``out``."""
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        written: set[str] = set()
        manifest: list[dict[str, Any]] = []
        index: list[dict[str, Any]] = []
        repositories: dict[str, dict[str, str]] = {}
        for item in items:
            config_name = f"blobs/sha256/{item.image_id[7:]}"
            if config_name not in written:
                _add_bytes(tar, config_name, item.config)
                written.add(config_name)
            layer_names = []
            layer_descs = []
            for diff_id, path in item.layer_tars:
                name = f"blobs/sha256/{diff_id[7:]}"
                layer_names.append(name)
                layer_descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                    "digest": diff_id, "size": path.stat().st_size})
                if name not in written:
                    tar.add(str(path), arcname=name)
                    written.add(name)
            oci_manifest = json.dumps({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": item.image_id, "size": len(item.config)},
                "layers": layer_descs,
            }).encode()
            manifest_digest = "sha256:" + hashlib.sha256(oci_manifest).hexdigest()
            manifest_name = f"blobs/sha256/{manifest_digest[7:]}"
            if manifest_name not in written:
                _add_bytes(tar, manifest_name, oci_manifest)
                written.add(manifest_name)
            manifest.append({"Config": config_name, "RepoTags": item.repo_tags or None,
                             "Layers": layer_names})
            for tag in item.repo_tags or [""]:
                desc: dict[str, Any] = {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": manifest_digest, "size": len(oci_manifest)}
                if tag:
                    repo, _, short = tag.rpartition(":")
                    desc["annotations"] = {"io.containerd.image.name": _qualified(tag),
                                           "org.opencontainers.image.ref.name": short}
                    repositories.setdefault(repo, {})[short] = item.image_id[7:]
                index.append(desc)
        _add_bytes(tar, "index.json", json.dumps(
            {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": index}).encode())
        _add_bytes(tar, "manifest.json", json.dumps(manifest).encode())
        _add_bytes(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        if repositories:
            _add_bytes(tar, "repositories", json.dumps(repositories).encode())


def _qualified(tag: str) -> str:
    repo, _, short = tag.rpartition(":")
    return f"{full_name(repo)}:{short}"
