"""BuildService: ``POST /build``. The context unpacked, the Dockerfile parsed and planned, the
stages the target needs run (the stages of one level at the same time), the result tagged; the
classic builder's message stream on the way."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, BinaryIO

from skiff.api.buildoptions import BuildOptions
from skiff.api.timefmt import now_ns
from skiff.drivers.snapshot.base import Snapshotter
from skiff.engine.builder import copysources
from skiff.engine.builder import dockerfile as df
from skiff.engine.builder import mounts as run_mounts
from skiff.engine.builder.cache import step_key
from skiff.engine.builder.context import BuildContext
from skiff.engine.builder.executor import Executor, StepContainers
from skiff.engine.builder.files import Selection
from skiff.engine.builder.mounts import CacheMounts
from skiff.engine.builder.stages import Plan, Stage, plan
from skiff.engine.builder.steps import StageState, apply, declare_arg, nop
from skiff.engine.images import archive
from skiff.engine.images.service import ImageService
from skiff.engine.images.store import Image
from skiff.errdefs import InvalidParameter, NotFound, SkiffError

CONFIG_ONLY = frozenset({"ENV", "LABEL", "MAINTAINER", "CMD", "ENTRYPOINT", "USER", "EXPOSE",
                         "VOLUME", "STOPSIGNAL", "SHELL", "HEALTHCHECK", "ONBUILD"})


class _Run:
    """One build: its plan, its executor, the step counter and the message queue."""

    def __init__(self, service: BuildService, options: BuildOptions, context: BuildContext,
                 built: Plan, escape: str, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self.service, self.options, self.context, self.plan = service, options, context, built
        self.escape, self.queue = escape, queue
        self.executor = Executor(service.containers, service.images, service.snapshots,
                                 service.tmp, options, context, service.cache_mounts,
                                 self.origin)
        self.total = sum(1 + len(stage.instructions) for stage in built.stages)
        self.step = 0
        self.results: dict[int, asyncio.Future[Image]] = {
            stage.index: asyncio.get_running_loop().create_future() for stage in built.stages}

    async def origin(self, name: str) -> Image:
        """What ``--from=name`` reads: a stage of this build (by name or number), else an
        image."""
        index = next((s.index for s in self.plan.stages
                      if s.name == name.lower() or str(s.index) == name), None)
        if index is not None:
            return await self.results[index]
        return self.service.images.resolve(name)

    async def _mount_inputs(self, instruction: df.Instruction) -> str:
        """What a RUN's bind mounts read (context checksums, or the image they come from),
        for its key."""
        inputs = []
        for spec in instruction.flags.get("mount", []):
            mount = run_mounts.parse(spec, instruction.line)
            if mount.kind == "bind" and not mount.origin:
                source = self.context.path(mount.source or ".")
                if not os.path.lexists(source):
                    raise df.DockerfileError(instruction.line, f"mount source "
                                                               f"{mount.source!r} not found in "
                                                               f"the build context")
                rel = os.path.relpath(source, self.context.root)
                inputs.append(self.context.checksum(["" if rel == "." else rel]))
            elif mount.kind == "bind":
                inputs.append(f"{(await self.origin(mount.origin)).id}:{mount.source}")
        return " ".join(inputs)

    async def emit(self, text: str) -> None:
        if not self.options.quiet and text:
            await self.queue.put({"stream": text})

    async def announce(self, original: str) -> None:
        self.step += 1
        await self.emit(f"Step {self.step}/{self.total} : {original.splitlines()[0]}\n")

    async def stage(self, stage: Stage) -> None:
        try:
            image = await self._stage(stage)
        except BaseException as exc:
            self.results[stage.index].set_exception(exc)
            raise
        self.results[stage.index].set_result(image)

    async def _base(self, stage: Stage) -> Image:
        if stage.base_stage is not None:
            return await self.results[stage.base_stage]
        if stage.base.lower() == "scratch":
            return await self.service.images.scratch()
        try:
            return self.service.images.resolve(stage.base)
        except NotFound:
            raise NotFound(f"pull access denied for {stage.base}, repository does not exist "
                           f"or may require 'docker login': registry access is not "
                           f"available") from None

    async def _stage(self, stage: Stage) -> Image:
        await self.announce(f"FROM {stage.base}" + (f" AS {stage.name}" if stage.name else ""))
        image = await self._base(stage)
        await self.emit(f" ---> {image.id[7:19]}\n")
        state = StageState(dict(image.container_config), self.escape,
                           build_args=self.options.build_args, meta_args=self.plan.meta_args)
        state.config.pop("Image", None)
        for trigger in state.config.pop("OnBuild", None) or []:  # the base's ONBUILD, first
            for instruction in df.parse(trigger).instructions:
                image = await self._step(stage, image, state, instruction, announce=False)
        for instruction in stage.instructions:
            image = await self._step(stage, image, state, instruction)
        return image

    async def _step(self, stage: Stage, image: Image, state: StageState,
                    instruction: df.Instruction, announce: bool = True) -> Image:
        if announce:
            await self.announce(instruction.original)
        keyword = instruction.keyword
        images = self.service.images
        args_before = dict(state.args)
        if keyword in ("COPY", "ADD"):
            image = await self._copy(image, state, instruction)
            await self.emit(f" ---> {image.id[7:19]}\n")
            return image
        created_by = ""
        if keyword == "ARG":  # the config part happens whether the step is cached or not
            declare_arg(state, instruction)
            created_by = nop(instruction.original)
        elif keyword in CONFIG_ONLY or keyword == "WORKDIR":
            created_by = apply(state, instruction)
        elif keyword != "RUN":
            raise df.DockerfileError(instruction.line, f"{keyword} is not supported")
        key = step_key(image.id, instruction, state.args if keyword == "ARG" else args_before,
                       await self._mount_inputs(instruction) if keyword == "RUN" else "")
        cached = await self._cached(key, image)
        if cached is not None:
            image = cached
        elif keyword == "RUN":
            image = await self.executor.run(image, state, instruction, self.emit, key)
        elif keyword == "WORKDIR":
            made = await self.executor.workdir(image, state, state.config["WorkingDir"],
                                               created_by, key)
            image = made or await images.commit_layer(image, None, dict(state.config),
                                                      {"created_by": created_by},
                                                      cache_key=key)
        else:
            image = await images.commit_layer(image, None, dict(state.config),
                                              {"created_by": created_by}, cache_key=key,
                                              author=state.author or None)
        await self.emit(f" ---> {image.id[7:19]}\n")
        return image

    async def _cached(self, key: str, parent: Image) -> Image | None:
        if self.options.no_cache:
            return None
        found = self.service.images.cached(key, parent.id)
        if found is not None:
            await self.emit(" ---> Using cache\n")
        return found

    async def _copy(self, image: Image, state: StageState,
                    instruction: df.Instruction) -> Image:
        origin = instruction.flag("from") if instruction.keyword == "COPY" else None
        *patterns, dest = [state.word(instruction, a) for a in instruction.args]
        selection = Selection(tuple(state.word(instruction, e)
                                    for e in instruction.flags.get("exclude", [])),
                              instruction.switch("parents"))
        link = instruction.switch("link")
        async with contextlib.AsyncExitStack() as stack:
            tree, origin_id = self.context, ""
            if origin:
                source_image = await self.origin(origin)
                tree = await stack.enter_async_context(self.executor.rootfs(source_image))
                origin_id = source_image.id
            prepared = await copysources.prepare(instruction, patterns, tree, selection,
                                                 self.service.tmp, stack)
            created_by = nop(f"{instruction.keyword} {prepared.kind}:{prepared.digest} in "
                             f"{dest} ")
            key = step_key(image.id, instruction, state.args, f"{origin_id} {created_by}")
            cached = await self._cached(key, image)
            return cached or await self.executor.copy(image, state, instruction,
                                                      prepared.sources, selection, link,
                                                      created_by, key)


class BuildService:
    """Builds from a context tar, with the engine's containers, images and snapshots."""

    def __init__(self, containers: StepContainers, images: ImageService, snapshots: Snapshotter,
                 tmp: Path, cache_mounts: CacheMounts) -> None:
        self.containers = containers
        self.images = images
        self.snapshots = snapshots
        self.tmp = tmp
        self.cache_mounts = cache_mounts

    async def build(self, stream: BinaryIO, options: BuildOptions) -> AsyncIterator[
            dict[str, Any]]:
        """The classic builder's messages: ``stream`` text, ``aux`` with the ID, ``error``."""
        options.check()
        targets = [self.images.target_of(tag, "") for tag in options.tags]
        stamp = f"{now_ns()}"
        tar_path, context_dir = self.tmp / f"context-{stamp}.tar", self.tmp / f"context-{stamp}"
        context: BuildContext | None = None
        try:
            await asyncio.to_thread(archive.spool, stream, tar_path)
            context = await asyncio.to_thread(BuildContext.unpack, tar_path, context_dir)
            tar_path.unlink(missing_ok=True)
            text = context.read(options.dockerfile, "Dockerfile")
            context.prune(context.ignore(options.dockerfile))
            parsed = df.parse(text)
            built = plan(parsed, options.build_args, options.target or None)
        except SkiffError as exc:
            if context is not None:
                context.close()
            tar_path.unlink(missing_ok=True)
            yield _error(exc)
            return
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        run = _Run(self, options, context, built, parsed.directives.escape, queue)
        task = asyncio.ensure_future(self._execute(run, targets))
        try:
            while (message := await queue.get()) is not None:
                yield message
        finally:
            if not task.done():
                task.cancel()
            with contextlib.suppress(BaseException):
                await task
            context.close()

    async def _execute(self, run: _Run, targets: list[str | None]) -> None:
        try:
            for level in run.plan.levels:
                await asyncio.gather(*(run.stage(stage) for stage in level))
            image = await run.results[run.plan.target.index]
            if run.options.labels:
                config = dict(image.container_config)
                config["Labels"] = {**(config.get("Labels") or {}), **run.options.labels}
                shown = " ".join(f"{k}={json.dumps(v)}" for k, v in run.options.labels.items())
                image = await self.images.commit_layer(image, None, config,
                                                       {"created_by": nop(f"LABEL {shown}")})
            for unused in run.plan.unused_args:
                await run.emit(f"[Warning] One or more build-args [{unused}] were not "
                               f"consumed\n")
            await run.queue.put({"aux": {"ID": image.id}})
            if run.options.quiet:
                await run.queue.put({"stream": image.id + "\n"})
            await run.emit(f"Successfully built {image.id[7:19]}\n")
            for target in targets:
                if target:
                    self.images.tag_image(image, target)
                    await run.emit(f"Successfully tagged {target}\n")
        except SkiffError as exc:
            await run.queue.put(_error(exc))
        except Exception as exc:  # a bug must still end the stream with a message
            await run.queue.put(_error(InvalidParameter(f"build failed: {exc}")))
        finally:
            await run.queue.put(None)


def _error(exc: SkiffError) -> dict[str, Any]:
    detail: dict[str, Any] = {"message": str(exc)}
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        detail["code"] = code
    return {"errorDetail": detail, "error": str(exc)}
