"""BuildService: ``POST /build`` and the build cache. The context received (or fetched), the
Dockerfile parsed and planned, the build run (``run.BuildRun``), the result tagged; running
builds can be cancelled, the cache pruned, exported and imported."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, BinaryIO

from skiff.api.buildoptions import BuildOptions
from skiff.api.buildprune import CACHE_MOUNT, REGULAR, BuildPrune
from skiff.api.timefmt import now_ns, rfc3339nano
from skiff.drivers.snapshot.base import Snapshotter
from skiff.engine.builder import dockerfile as df
from skiff.engine.builder import remote
from skiff.engine.builder.context import BuildContext
from skiff.engine.builder.executor import StepContainers
from skiff.engine.builder.explain import Records
from skiff.engine.builder.mounts import CacheMounts
from skiff.engine.builder.progress import Reporter
from skiff.engine.builder.run import BuildRun
from skiff.engine.builder.stages import plan
from skiff.engine.builder.steps import nop
from skiff.engine.images import archive
from skiff.engine.images.service import ImageService
from skiff.engine.telemetry import NOWHERE, Telemetry
from skiff.errdefs import InvalidParameter, NotFound, SkiffError


class _Subtree(BuildContext):
    """A context that is a subdirectory of a checkout: closing removes the whole checkout."""

    def __init__(self, root: Path, checkout: Path) -> None:
        super().__init__(root)
        self.checkout = checkout

    def close(self) -> None:
        shutil.rmtree(self.checkout, ignore_errors=True)


class BuildService:
    """Builds from a context tar, with the engine's containers, images and snapshots."""

    def __init__(self, containers: StepContainers, images: ImageService, snapshots: Snapshotter,
                 tmp: Path, cache_mounts: CacheMounts, records: Records,
                 telemetry: Telemetry = NOWHERE) -> None:
        self.telemetry = telemetry
        self.containers = containers
        self.images = images
        self.snapshots = snapshots
        self.tmp = tmp
        self.cache_mounts = cache_mounts
        self.records = records
        self._running: dict[str, asyncio.Future[None]] = {}

    async def build(self, stream: BinaryIO, options: BuildOptions) -> AsyncIterator[
            dict[str, Any]]:
        """The classic builder's messages: ``stream`` text, ``aux`` with the ID, ``error``."""
        options.check()
        targets = [self.images.target_of(tag, "") for tag in options.tags]
        stamp = f"{now_ns()}"
        tar_path, context_dir = self.tmp / f"context-{stamp}.tar", self.tmp / f"context-{stamp}"
        context: BuildContext | None = None
        try:
            if options.remote:
                context = await self._remote(options, tar_path, context_dir)
            else:
                await asyncio.to_thread(archive.spool, stream, tar_path)
                context = await asyncio.to_thread(BuildContext.unpack, tar_path, context_dir)
            tar_path.unlink(missing_ok=True)
            text = context.read(options.dockerfile, "Dockerfile")
            context.prune(context.ignore(options.dockerfile))
            parsed = df.parse(text)
            built = plan(parsed, options.build_args, options.target or None)
        except SkiffError as exc:
            self.telemetry.build(_failure(exc, "dockerfile_syntax_error"))
            if context is not None:
                context.close()
            shutil.rmtree(context_dir, ignore_errors=True)
            tar_path.unlink(missing_ok=True)
            yield _error(exc)
            return
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        reporter = Reporter(queue, options.quiet, options.structured)
        identity = _identity(options)
        run = BuildRun(self, options, context, built, parsed.directives.escape, reporter,
                       self.records.load(identity) if identity else None)
        task = asyncio.ensure_future(self._execute(run, targets, identity))
        if options.build_id:
            self._running[options.build_id] = task
        try:
            while (message := await queue.get()) is not None:
                yield message
            if task.cancelled():
                yield _error(InvalidParameter("the build was cancelled"))
        finally:
            if not task.done():
                task.cancel()
            with contextlib.suppress(BaseException):
                await task
            self._running.pop(options.build_id, None)
            context.close()

    def cancel(self, build_id: str) -> None:
        """``POST /build/cancel``: stop a running build (its step containers are removed)."""
        task = self._running.get(build_id)
        if task is None:
            raise NotFound(f"no such build: {build_id}")
        task.cancel()

    async def prune(self, policy: BuildPrune) -> tuple[list[str], int]:
        """``POST /build/prune``: the cache mounts no build is using and the images of build
        steps that no image uses, as the policy selects them (the most recently used kept up
        to its space); their IDs and size. A step image was last used when it was made."""
        records = [(int(e.last_used * 1e9), e.size, CACHE_MOUNT, e.id)
                   for e in self.cache_mounts.idle()]
        records += [(i.created_ns, i.size, REGULAR, i.id) for i in self.images.build_steps()]
        chosen = [r for r in records if policy.wants(r[2], r[3], r[0])]
        if policy.keep_bytes:
            kept, dropped = 0, []
            for record in sorted(chosen, reverse=True):  # the newest first
                if kept + record[1] <= policy.keep_bytes:
                    kept += record[1]
                else:
                    dropped.append(record)
            chosen = dropped
        deleted, space = await asyncio.to_thread(
            self.cache_mounts.prune, {r[3] for r in chosen if r[2] == CACHE_MOUNT})
        for image_id, size in self.images.prune_build_steps(
                {r[3] for r in chosen if r[2] == REGULAR}):
            deleted.append(image_id)
            space += size
        return deleted, space

    def cache_mounts_list(self) -> list[dict[str, Any]]:
        """The cache mounts kept between builds, for ``skiff builder cache ls``."""
        return [{"ID": e.id, "Size": e.size, "LastUsed": rfc3339nano(int(e.last_used * 1e9))}
                for e in self.cache_mounts.entries()]

    async def export_cache(self, ident: str, out: BinaryIO) -> None:
        await asyncio.to_thread(self.cache_mounts.export, ident, out)

    async def import_cache(self, ident: str, stream: BinaryIO) -> int:
        tar_path = self.tmp / f"cache-import-{now_ns()}"
        try:
            await asyncio.to_thread(archive.spool, stream, tar_path)
            return await asyncio.to_thread(self.cache_mounts.load, ident, tar_path)
        finally:
            tar_path.unlink(missing_ok=True)

    async def _remote(self, options: BuildOptions, tar_path: Path,
                      context_dir: Path) -> BuildContext:
        """``remote=``: a Git repository's tree, a tar at a URL, or a Dockerfile at a URL (the
        whole context then)."""
        url = options.remote
        if url.startswith("github.com/"):
            url = "https://" + url + ("" if url.endswith(".git") else ".git")
        if remote.is_git(url):
            tree, _ = await asyncio.to_thread(remote.clone, remote.GitSource.parse(url),
                                              context_dir)
            return BuildContext(tree) if tree == context_dir else _Subtree(tree, context_dir)
        fetched = tar_path.with_name(tar_path.name + ".fetch")
        fetched.mkdir()
        try:
            path = await asyncio.to_thread(remote.download, url, fetched, "context")
            if await asyncio.to_thread(archive.is_tar, path):
                with open(path, "rb") as handle:
                    await asyncio.to_thread(archive.spool, handle, tar_path)
                return await asyncio.to_thread(BuildContext.unpack, tar_path, context_dir)
            context_dir.mkdir()
            path.rename(context_dir / (options.dockerfile or "Dockerfile"))
            return BuildContext(context_dir)
        finally:
            shutil.rmtree(fetched, ignore_errors=True)

    async def _execute(self, run: BuildRun, targets: list[str | None], identity: str) -> None:
        reporter = run.reporter
        try:
            for level in run.plan.levels:
                await asyncio.gather(*(run.stage(stage) for stage in level))
            image = await run.results[run.plan.target.index]
            for key, value in sorted(run.options.labels.items()):  # one step each, as dockerd
                config = dict(image.container_config)
                config["Labels"] = {**(config.get("Labels") or {}), key: value}
                created_by = nop(f"LABEL {key}={value}", config.get("Shell"))
                image = await self.images.commit_layer(image, None, config,
                                                       {"created_by": created_by})
            for unused in run.plan.unused_args:
                await reporter.classic(f"[Warning] One or more build-args [{unused}] were not "
                                       f"consumed\n")
            await reporter.put({"aux": {"ID": image.id}})
            if run.options.quiet:
                await reporter.put({"stream": image.id + "\n"})
            await reporter.classic(f"Successfully built {image.id[7:19]}\n")
            for target in targets:
                if target:
                    self.images.tag_image(image, target)
                    await reporter.classic(f"Successfully tagged {target}\n")
            self.telemetry.build(None)
        except SkiffError as exc:
            self.telemetry.build(_failure(exc, "error_processing_commands_error"))
            await reporter.put(_error(exc))
        except asyncio.CancelledError:
            self.telemetry.build("build_canceled")
            raise
        except Exception as exc:  # a bug must still end the stream with a message
            self.telemetry.build("error_processing_commands_error")
            await reporter.put(_error(InvalidParameter(f"build failed: {exc}")))
        finally:
            if identity and run.record.steps:
                with contextlib.suppress(OSError):
                    await asyncio.to_thread(self.records.save, identity, run.record)
            await reporter.put(None)


def _identity(options: BuildOptions) -> str:
    """Which Dockerfile a build is, for comparing with its last build: what skiff's client
    names (its context directory and Dockerfile), else the tags."""
    base = options.identity or (" ".join(sorted(options.tags)) if options.tags else "")
    return f"{base}\0{options.dockerfile}\0{options.target}" if base else ""


def _failure(exc: SkiffError, default: str) -> str:
    """dockerd's reason label of builder_builds_failed_total for a failed build."""
    text = str(exc).lower()
    if "empty" in text and "dockerfile" in text:
        return "dockerfile_empty_error"
    if "unknown instruction" in text:
        return "unknown_instruction_error"
    if "target stage" in text or ("target" in text and "not found" in text):
        return "build_target_not_reachable_error"
    return default


def _error(exc: SkiffError) -> dict[str, Any]:
    detail: dict[str, Any] = {"message": str(exc)}
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        detail["code"] = code
    return {"errorDetail": detail, "error": str(exc)}
