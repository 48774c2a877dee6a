"""ImageService: Docker's image operations on the local store."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, BinaryIO

from skiff.api import filters as flt
from skiff.api.timefmt import now_ns, parse_timestamp_ns, rfc3339nano
from skiff.engine.events import EventService
from skiff.engine.images import archive, changes, reference
from skiff.engine.images.store import Image, ImageStore, chain_ids
from skiff.engine.telemetry import NOWHERE, Telemetry, timed
from skiff.errdefs import Conflict, InvalidParameter, NotFound

# (container_id, running) of every container created from an image
UsersOf = Callable[[str], list[tuple[str, bool]]]


def arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


class ImageService:
    """Images: import, load, save, list, inspect, history, tag, remove and prune."""

    def __init__(self, store: ImageStore, events: EventService, tmp: Path,
                 telemetry: Telemetry = NOWHERE) -> None:
        self.store = store
        self._telemetry = telemetry
        self._events = events
        self._tmp = tmp
        self._users: UsersOf = lambda _image_id: []
        self._lock = asyncio.Lock()

    def set_users(self, users: UsersOf) -> None:
        self._users = users

    def resolve(self, ref: str) -> Image:
        return self.store.resolve(ref)

    def _event(self, action: str, image: Image, name: str | None = None) -> None:
        self._events.publish("image", action, image.id,
                             {"name": name or (image.tags[0] if image.tags else image.id)})

    def _tmpfile(self, prefix: str) -> Path:
        return self._tmp / f"{prefix}-{os.getpid()}-{now_ns()}"

    # import and load
    async def import_rootfs(self, stream: BinaryIO, repo: str, tag: str, message: str,
                            change_list: list[str]) -> Image:
        """``POST /images/create?fromSrc=-``: one layer from a rootfs tar."""
        with timed(self._telemetry.image_action, "import"):
            return await self._import_rootfs(stream, repo, tag, message, change_list)

    async def _import_rootfs(self, stream: BinaryIO, repo: str, tag: str, message: str,
                             change_list: list[str]) -> Image:
        target = self._target(repo, tag)
        container_config: dict[str, Any] = {}
        for change in change_list:
            changes.apply(container_config, change)
        layer_path = self._tmpfile("import")
        try:
            diff_id = await asyncio.to_thread(archive.spool, stream, layer_path)
            await asyncio.to_thread(archive.check_tar, layer_path)
            async with self._lock:
                await asyncio.to_thread(self.store.add_layer, diff_id, diff_id, "", layer_path)
                created = now_ns()
                config = {
                    "architecture": arch(), "os": "linux", "created": rfc3339nano(created),
                    "config": container_config,
                    "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                    "history": [{"created": rfc3339nano(created),
                                 "comment": message or "Imported from -"}],
                }
                if message:
                    config["comment"] = message
                image = self.store.add_image(json.dumps(config).encode(), created)
                if target:
                    self.store.tag(image.id, target)
        finally:
            layer_path.unlink(missing_ok=True)
        self._event("import", image, target)
        return image

    async def commit_layer(self, parent: Image | None, layer: tuple[Path | None, str] | None,
                           container_config: dict[str, Any], history: dict[str, Any],
                           target: str | None = None, cache_key: str = "",
                           **fields: Any) -> Image:
        """A new image: ``parent``'s layers and history, plus ``layer`` (a tar and its diff ID;
        None for a step that changes only the config), ``container_config`` as its config and
        ``fields`` (author, comment, container ...) at its top level. A ``created`` time in
        ``history`` (a step reused from another image) is the image's too."""
        created = now_ns()
        base = parent.config if parent is not None else {}
        diff_ids = list(base.get("rootfs", {}).get("diff_ids") or [])
        entry = {"created": rfc3339nano(created), **history}
        stamp = entry["created"]
        if layer is None:
            entry["empty_layer"] = True
        async with self._lock:
            if layer is not None:
                tar_path, diff_id = layer
                chains = chain_ids([*diff_ids, diff_id])
                if tar_path is not None:
                    await asyncio.to_thread(self.store.add_layer, chains[-1], diff_id,
                                            chains[-2] if len(chains) > 1 else "", tar_path)
                elif not self.store.has_layer(chains[-1]):  # a layer another image holds
                    raise NotFound(f"layer {diff_id} is not in the store")
                diff_ids.append(diff_id)
            config = {
                "architecture": base.get("architecture") or arch(), "os": "linux",
                **{k: v for k, v in fields.items() if v not in (None, "")},
                "config": container_config, "created": stamp,
                "history": [*(base.get("history") or []), entry],
                "rootfs": {"type": "layers", "diff_ids": diff_ids},
            }
            image = self.store.add_image(json.dumps(config).encode(), created,
                                         parent.id if parent is not None else "", cache_key)
            if target:
                self.store.tag(image.id, target)
        return image

    def cached(self, cache_key: str, parent_id: str) -> Image | None:
        """The image a build step with this key made on this parent before, if it is kept."""
        return next((i for i in self.store.images.values()
                     if i.cache_key == cache_key and i.parent == parent_id), None)

    def target_of(self, repo: str, tag: str) -> str | None:
        """The reference ``repo`` and ``tag`` name (None without a repo); bad ones refused."""
        return self._target(repo, tag)

    def _target(self, repo: str, tag: str) -> str | None:
        if not repo:
            return None
        ref = reference.parse(repo, default_tag=False)
        if ref.digest:
            raise InvalidParameter("cannot import digest reference")
        if tag and ref.tag:
            raise InvalidParameter("invalid reference format")
        if tag:
            ref = reference.parse(f"{ref.repo}:{tag}")
        return ref.tagged

    async def load(self, stream: BinaryIO) -> AsyncIterator[str]:
        """``POST /images/load``: yields a progress line per loaded image."""
        bundle = self._tmpfile("load")
        try:
            await asyncio.to_thread(archive.spool, stream, bundle)
            reader = await asyncio.to_thread(archive.ArchiveReader, bundle)
            try:
                entries = await asyncio.to_thread(reader.entries)
                for entry in entries:
                    for ref in entry.repo_tags:
                        reference.parse(ref)
                for entry in entries:
                    image = await self._load_one(reader, entry)
                    if entry.repo_tags:
                        for ref in entry.repo_tags:
                            tagged = reference.parse(ref).tagged
                            old = self.store.tags.get(tagged)
                            self.store.tag(image.id, tagged)
                            if old and old != image.id:
                                yield (f"The image {tagged} already exists, renaming the old one "
                                       f"with ID {old} to empty string\n")
                            yield f"Loaded image: {tagged}\n"
                            self._event("load", image, tagged)
                    else:
                        yield f"Loaded image ID: {image.id}\n"
                        self._event("load", image)
            finally:
                reader.close()
        finally:
            bundle.unlink(missing_ok=True)

    async def _load_one(self, reader: archive.ArchiveReader,
                        entry: archive.ManifestEntry) -> Image:
        try:
            config = json.loads(entry.config)
        except ValueError as exc:
            raise InvalidParameter(f"invalid image config: {exc}") from None
        diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
        if len(diff_ids) != len(entry.layers):
            raise InvalidParameter("invalid archive: layer count does not match the config")
        chains = chain_ids(diff_ids)
        async with self._lock:
            parent = ""
            for member, diff_id, chain in zip(entry.layers, diff_ids, chains, strict=True):
                if not self.store.has_layer(chain):
                    layer_path = self._tmpfile("layer")
                    try:
                        digest = await asyncio.to_thread(
                            archive.spool, reader.open(member), layer_path)
                        if digest != diff_id:
                            raise InvalidParameter(
                                f"invalid archive: layer {member} has digest {digest}, "
                                f"the config says {diff_id}")
                        await asyncio.to_thread(self.store.add_layer, chain, diff_id, parent,
                                                layer_path)
                    finally:
                        layer_path.unlink(missing_ok=True)
                parent = chain
            created = parse_timestamp_ns(config["created"]) if config.get("created") else 0
            return self.store.add_image(entry.config, created)

    async def save(self, refs: list[str], out: BinaryIO) -> None:
        """Write the named images as one ``docker save`` archive."""
        items: list[archive.SaveItem] = []
        seen: dict[str, archive.SaveItem] = {}
        for ref in refs:
            image = self.store.resolve(ref)
            item = seen.get(image.id)
            if item is None:
                item = archive.SaveItem(
                    image.id, self.store.blobs.read(image.id),
                    [(d, self.store.layer_tar(d)) for d in image.diff_ids], [])
                seen[image.id] = item
                items.append(item)
            looks_like_id = ref.removeprefix("sha256:") in image.id
            if looks_like_id and ref not in image.tags:
                continue
            with contextlib.suppress(InvalidParameter):
                tagged = reference.parse(ref).tagged
                if tagged in image.tags and tagged not in item.repo_tags:
                    item.repo_tags.append(tagged)
        await asyncio.to_thread(archive.write_archive, out, items)
        for item in items:
            self._event("save", self.store.images[item.image_id])

    # queries
    def list_images(self, all_images: bool, filters: flt.Filters) -> list[dict[str, Any]]:
        parents = {i.parent for i in self.store.images.values() if i.parent}
        images = list(self.store.images.values())
        if not all_images:  # as dockerd: untagged images with children are intermediate
            images = [i for i in images if i.tags or i.id not in parents]
        if "dangling" in filters:
            want = flt.parse_bool("dangling", filters["dangling"][-1])
            images = [i for i in images if (not i.tags and i.id not in parents) == want]
        if "label" in filters:
            images = [i for i in images if flt.match_labels(filters["label"], i.labels)]
        for key in ("before", "since"):
            for ref in filters.get(key, []):
                pivot = self.store.resolve(ref).created_ns
                images = [i for i in images
                          if (i.created_ns < pivot if key == "before" else i.created_ns > pivot)]
        for value in filters.get("until", []):
            limit = parse_timestamp_ns(value)
            images = [i for i in images if i.created_ns < limit]
        if "reference" in filters:
            images = [i for i in images if any(_ref_match(p, t) for p in filters["reference"]
                                               for t in i.tags)]
        users = {image.id: len(self._users(image.id)) for image in images}
        result = [self._summary(i, users[i.id], filters) for i in images]
        result.sort(key=lambda s: s["Created"], reverse=True)
        return result

    def _summary(self, image: Image, containers: int, filters: flt.Filters) -> dict[str, Any]:
        tags = image.tags
        if "reference" in filters:
            tags = [t for t in tags if any(_ref_match(p, t) for p in filters["reference"])]
        return {
            "Id": image.id, "ParentId": image.config.get("parent", ""),
            "RepoTags": tags, "RepoDigests": image.digests,
            "Created": image.created_ns // 1_000_000_000, "Size": image.size,
            "SharedSize": -1, "VirtualSize": image.size, "Labels": image.labels or None,
            "Containers": containers,
        }

    def inspect(self, ref: str) -> dict[str, Any]:
        image = self.store.resolve(ref)
        cfg = image.config
        container_config = image.container_config
        return {
            "Id": image.id, "RepoTags": image.tags, "RepoDigests": image.digests,
            "Parent": image.parent or cfg.get("parent", ""), "Comment": cfg.get("comment", ""),
            "Created": cfg.get("created") or rfc3339nano(image.created_ns),
            "DockerVersion": cfg.get("docker_version", ""), "Author": cfg.get("author", ""),
            "Config": _image_config(container_config),
            "Architecture": cfg.get("architecture", arch()),
            **({"Variant": cfg["variant"]} if cfg.get("variant") else {}),
            "Os": cfg.get("os", "linux"), "Size": image.size,
            "GraphDriver": {"Name": self.store.snapshots.name, "Data": {
                "LowerDir": ":".join(str(self.store.snapshots.layer_path(c))
                                     for c in reversed(image.chain_ids))}},
            "RootFS": {"Type": "layers", "Layers": image.diff_ids},
            "Metadata": {"LastTagTime": "0001-01-01T00:00:00Z"},
        }

    def history(self, ref: str) -> list[dict[str, Any]]:
        image = self.store.resolve(ref)
        layers = [self.store.layers.get(c) for c in image.chain_ids]
        history = image.config.get("history") or [{} for _ in layers]
        rows = []
        layer_index = 0
        for entry in history:
            size = 0
            if not entry.get("empty_layer"):
                if layer_index < len(layers) and layers[layer_index] is not None:
                    size = layers[layer_index].size  # type: ignore[union-attr]
                layer_index += 1
            created = entry.get("created")
            rows.append({
                "Id": "<missing>", "Created": parse_timestamp_ns(created) // 10**9 if created
                else 0, "CreatedBy": entry.get("created_by", ""), "Tags": None, "Size": size,
                "Comment": entry.get("comment", ""),
            })
        rows.reverse()
        if rows:
            rows[0]["Id"] = image.id
            rows[0]["Tags"] = image.tags or None
        return rows

    # changes
    def tag(self, ref: str, repo: str, tag: str) -> None:
        with timed(self._telemetry.image_action, "tag"):
            image = self.store.resolve(ref)
            target = self._target(repo, tag)
            if target is None:
                raise InvalidParameter("repository name must have at least one component")
            self.store.tag(image.id, target)
            self._event("tag", image, target)

    def tag_image(self, image: Image, target: str) -> None:
        """Tag with a reference ``target_of`` already checked."""
        self.store.tag(image.id, target)
        self._event("tag", image, target)

    async def scratch(self) -> Image:
        """The empty image ``FROM scratch`` starts from (no layers, no history)."""
        config = {"architecture": arch(), "os": "linux", "config": {},
                  "rootfs": {"type": "layers", "diff_ids": []}}
        async with self._lock:
            return self.store.add_image(json.dumps(config).encode(), 0)

    def remove(self, ref: str, force: bool, prune: bool = True) -> list[dict[str, str]]:
        """``DELETE /images/{name}`` with dockerd's rules.

        A name untags; the image goes when its last name does and no container stops it.
        A stopped container's claim yields to ``force``; a running container's never does.
        """
        with timed(self._telemetry.image_action, "delete"):
            return self._remove(ref, force, prune)

    def _remove(self, ref: str, force: bool, prune: bool) -> list[dict[str, str]]:
        image = self.store.resolve(ref)
        short = image.id[7:19]
        by_id = image.id.startswith(ref) or image.id[7:].startswith(ref)
        users = self._users(image.id)
        running = [cid for cid, up in users if up]
        result: list[dict[str, str]] = []
        quiet = False
        if not by_id:
            tagged = reference.parse(ref).tagged
            if users and not force:
                raise Conflict(f"conflict: unable to remove repository reference \"{ref}\" "
                               f"(must force) - container {users[0][0][:12]} is using its "
                               f"referenced image {short}")
            self.store.untag(tagged)
            self._event("untag", image, tagged)
            result.append({"Untagged": tagged})
            if image.tags:
                return result
            quiet = True
        elif len(image.tags) > 1 and not force:
            raise Conflict(f"conflict: unable to delete {short} (must be forced) - image is "
                           f"referenced in multiple repositories")
        if running:
            if quiet:
                return result
            raise Conflict(f"conflict: unable to delete {short} (cannot be forced) - image is "
                           f"being used by running container {running[0][:12]}")
        if users and not force:
            if quiet:
                return result
            raise Conflict(f"conflict: unable to delete {short} (must be forced) - image is "
                           f"being used by stopped container {users[0][0][:12]}")
        for tag in list(image.tags):
            self.store.untag(tag)
            self._event("untag", image, tag)
            result.append({"Untagged": tag})
        deleted_layers = self.store.delete_image(image.id)
        result.append({"Deleted": image.id})
        result += [{"Deleted": chain} for chain in deleted_layers if chain != image.id]
        self._event("delete", image, image.id)
        if prune:
            result += self._remove_parents(image.parent)
        return result

    def _remove_parents(self, parent_id: str) -> list[dict[str, str]]:
        """Untagged parents no other image or container uses go with their last child."""
        result: list[dict[str, str]] = []
        while parent_id:
            parent = self.store.images.get(parent_id)
            if parent is None or parent.tags or self._users(parent.id) or \
                    self.store.children(parent.id):
                break
            deleted_layers = self.store.delete_image(parent.id)
            result.append({"Deleted": parent.id})
            result += [{"Deleted": chain} for chain in deleted_layers if chain != parent.id]
            self._event("delete", parent, parent.id)
            parent_id = parent.parent
        return result

    def prune(self, filters: flt.Filters) -> dict[str, Any]:
        dangling_only = True
        if "dangling" in filters:
            dangling_only = flt.parse_bool("dangling", filters["dangling"][-1])
        until = parse_timestamp_ns(filters["until"][-1]) if "until" in filters else None
        deleted: list[dict[str, str]] = []
        reclaimed = 0
        for image in list(self.store.images.values()):
            if dangling_only and image.tags:
                continue
            if self._users(image.id):
                continue
            if until is not None and image.created_ns >= until:
                continue
            if "label" in filters and not flt.match_labels(filters["label"], image.labels):
                continue
            if image.id not in self.store.images or self.store.children(image.id):
                continue  # gone with a child already, or an intermediate image still needed
            reclaimed += image.size
            for tag in list(image.tags):
                self.store.untag(tag)
                deleted.append({"Untagged": tag})
            self.store.delete_image(image.id)
            deleted.append({"Deleted": image.id})
            self._event("delete", image, image.id)
            sizes = {i.id: i.size for i in self.store.images.values()}
            removed = self._remove_parents(image.parent)
            reclaimed += sum(sizes.get(d["Deleted"], 0) for d in removed)
            deleted += removed
        return {"ImagesDeleted": deleted or None, "SpaceReclaimed": reclaimed}

    def build_steps(self) -> list[Image]:
        """Images of build steps that nothing uses (no name, no child, no container): the
        build cache ``docker builder prune`` reclaims, each with its untagged parents."""
        return [image for image in self.store.images.values()
                if image.cache_key and not image.tags and not self._users(image.id)
                and not self.store.children(image.id)]

    def prune_build_steps(self, ids: set[str]) -> list[tuple[str, int]]:
        """Remove these images of :meth:`build_steps` and the untagged parents nothing else
        uses; the IDs removed and their sizes."""
        gone: list[tuple[str, int]] = []
        for image in self.build_steps():
            if image.id not in ids or image.id not in self.store.images or \
                    self.store.children(image.id):
                continue
            sizes = {i.id: i.size for i in self.store.images.values()}
            self.store.delete_image(image.id)
            self._event("delete", image, image.id)
            gone.append((image.id, image.size))
            gone += [(d["Deleted"], sizes.get(d["Deleted"], 0))
                     for d in self._remove_parents(image.parent) if d["Deleted"] in sizes]
        return gone


def _ref_match(pattern: str, tag: str) -> bool:
    import fnmatch

    repo = tag.rpartition(":")[0]
    if ":" in pattern.rpartition("/")[2]:
        return fnmatch.fnmatchcase(tag, pattern)
    return fnmatch.fnmatchcase(repo, pattern)


def _image_config(config: dict[str, Any]) -> dict[str, Any]:
    keys = ("Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr",
            "ExposedPorts", "Tty", "OpenStdin", "StdinOnce", "Env", "Cmd", "Healthcheck",
            "ArgsEscaped", "Image", "Volumes", "WorkingDir", "Entrypoint", "OnBuild", "Labels",
            "StopSignal", "Shell")
    defaults: dict[str, Any] = {"Hostname": "", "Domainname": "", "User": "",
                                "AttachStdin": False, "AttachStdout": False,
                                "AttachStderr": False, "Tty": False, "OpenStdin": False,
                                "StdinOnce": False, "Env": None, "Cmd": None, "Image": "",
                                "Volumes": None, "WorkingDir": "", "Entrypoint": None,
                                "OnBuild": None, "Labels": None}
    return {k: config.get(k, defaults.get(k)) for k in keys if k in config or k in defaults}

