"""One build in progress: its stages run in the plan's order (a level's stages at the same
time), each step keyed by its inputs, reused when cached, else executed; each step reported as
it goes, and its inputs recorded for the next build's explanations."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
from typing import Protocol

from skiff.api.buildoptions import BuildOptions
from skiff.drivers.snapshot.base import Snapshotter
from skiff.engine.builder import cachefrom, copysources
from skiff.engine.builder import dockerfile as df
from skiff.engine.builder import mounts as run_mounts
from skiff.engine.builder.context import BuildContext
from skiff.engine.builder.executor import Executor, StepContainers, run_command, run_created_by
from skiff.engine.builder.explain import Record, StepInputs, why_missed
from skiff.engine.builder.files import Selection
from skiff.engine.builder.mounts import CacheMounts
from skiff.engine.builder.progress import Reporter, Step
from skiff.engine.builder.stages import Plan, Stage
from skiff.engine.builder.steps import StageState, apply, begin_stage, commit_nop, declare_arg
from skiff.engine.images.service import ImageService
from skiff.engine.images.store import Image
from skiff.errdefs import NotFound

CONFIG_ONLY = frozenset({"ENV", "LABEL", "MAINTAINER", "CMD", "ENTRYPOINT", "USER", "EXPOSE",
                         "VOLUME", "STOPSIGNAL", "SHELL", "HEALTHCHECK", "ONBUILD"})


class Engine(Protocol):
    """What a build uses of the engine."""

    containers: StepContainers
    images: ImageService
    snapshots: Snapshotter
    tmp: Path
    cache_mounts: CacheMounts


class BuildRun:
    """One build: its plan, its executor, the step counter, the reporter and the record."""

    def __init__(self, engine: Engine, options: BuildOptions, context: BuildContext,
                 built: Plan, escape: str, reporter: Reporter,
                 previous: Record | None) -> None:
        self.engine, self.options, self.context, self.plan = engine, options, context, built
        self.escape, self.reporter, self.previous = escape, reporter, previous
        self.record = Record()
        self.executor = Executor(engine.containers, engine.images, engine.snapshots,
                                 engine.tmp, options, context, engine.cache_mounts,
                                 self.origin)
        self.cache_sources = [image for ref in options.cache_from
                              if (image := _resolved(engine.images, ref)) is not None]
        self.total = sum(1 + len(stage.instructions) for stage in built.stages)
        self.step = 0
        loop = asyncio.get_running_loop()
        self.results: dict[int, asyncio.Future[Image]] = {
            stage.index: loop.create_future() for stage in built.stages}

    async def origin(self, name: str) -> Image:
        """What ``--from=name`` reads: a stage of this build (by name or number), else an
        image."""
        index = next((s.index for s in self.plan.stages
                      if s.name == name.lower() or str(s.index) == name), None)
        if index is not None:
            return await self.results[index]
        try:
            return self.engine.images.resolve(name)
        except NotFound:
            raise NotFound(f"invalid from flag value {name}: pull access denied for {name}, "
                           f"repository does not exist or may require 'docker login': "
                           f"registry access is not available") from None

    # the stages
    async def stage(self, stage: Stage) -> None:
        try:
            image = await self._stage(stage)
        except BaseException as exc:
            self.results[stage.index].set_exception(exc)
            raise
        self.results[stage.index].set_result(image)

    def _label(self, stage: Stage, position: int, text: str) -> str:
        """BuildKit's name of a step: ``[name 2/5] RUN ...``."""
        name = stage.name or f"stage-{stage.index}"
        return f"[{name} {position}/{len(stage.instructions) + 1}] {text.splitlines()[0]}"

    async def _announce(self, text: str, label: str) -> Step:
        self.step += 1
        await self.reporter.classic(f"Step {self.step}/{self.total} : {text.splitlines()[0]}\n")
        step = self.reporter.vertex(label)
        await step.start()
        return step

    async def _base(self, stage: Stage) -> Image:
        if stage.base_stage is not None:
            return await self.results[stage.base_stage]
        if stage.base.lower() == "scratch":
            return await self.engine.images.scratch()
        try:
            return self.engine.images.resolve(stage.base)
        except NotFound:
            raise NotFound(f"pull access denied for {stage.base}, repository does not exist "
                           f"or may require 'docker login': registry access is not "
                           f"available") from None

    async def _stage(self, stage: Stage) -> Image:
        text = f"FROM {stage.base}" + (f" AS {stage.name}" if stage.name else "")
        step = await self._announce(text, self._label(stage, 1, text))
        image = await self._base(stage)
        await step.note(f" ---> {image.id[7:19]}\n")
        await step.done(False, image.id)
        state = StageState(begin_stage(image.container_config), self.escape,
                           build_args=self.options.build_args, meta_args=self.plan.meta_args)
        missed = False
        slot = stage.name or str(stage.index)
        for number, trigger in enumerate(state.config.pop("OnBuild", None) or []):
            for instruction in df.parse(trigger).instructions:  # the base's ONBUILD, first
                step = self.reporter.vertex(self._label(stage, 1, f"ONBUILD {trigger}"))
                await step.start()
                image, missed = await self._step(f"{slot}/onbuild-{number}", step, image,
                                                 state, instruction, missed)
        for position, instruction in enumerate(stage.instructions, start=2):
            step = await self._announce(instruction.original,
                                        self._label(stage, position, instruction.original))
            image, missed = await self._step(f"{slot}/{position}", step, image, state,
                                             instruction, missed)
        return image

    # one step
    async def _step(self, slot: str, step: Step, image: Image, state: StageState,
                    instruction: df.Instruction, parent_missed: bool) -> tuple[Image, bool]:
        try:
            if instruction.keyword in ("COPY", "ADD"):
                return await self._copy(slot, step, image, state, instruction, parent_missed)
            return await self._other(slot, step, image, state, instruction, parent_missed)
        except Exception as exc:
            await step.failed(str(exc))
            raise

    async def _lookup(self, slot: str, step: Step, inputs: StepInputs, parent: Image,
                      parent_missed: bool, created_by: str,
                      state: StageState) -> tuple[Image | None, str]:
        """The cached image of a step (made here before, or the same step of a cache-from
        image), or None and why it missed."""
        self.record.steps[slot] = inputs
        found = None if self.options.no_cache else \
            self.engine.images.cached(inputs.key(), parent.id)
        if found is None and not self.options.no_cache and self.cache_sources:
            match = cachefrom.find(parent, created_by, self.cache_sources)
            if match is not None:
                found = await self.engine.images.commit_layer(
                    parent, None if match.diff_id is None else (None, match.diff_id),
                    dict(state.config), match.entry, cache_key=inputs.key(),
                    author=state.author or None)
        if found is not None:
            await step.note(" ---> Using cache\n")
            return found, ""
        if self.options.no_cache:
            return None, "--no-cache"
        before = self.previous.steps.get(slot) if self.previous else None
        return None, why_missed(before, inputs, parent_missed)

    async def _finish(self, step: Step, image: Image, inputs: StepInputs, why: str,
                      cached: bool) -> tuple[Image, bool]:
        await step.note(f" ---> {image.id[7:19]}\n")
        await step.done(cached, image.id, inputs.shown(), why)
        return image, not cached

    async def _other(self, slot: str, step: Step, image: Image, state: StageState,
                     instruction: df.Instruction, parent_missed: bool) -> tuple[Image, bool]:
        keyword = instruction.keyword
        images = self.engine.images
        args: dict[str, str] = {}
        files: dict[str, str] = {}
        origins: tuple[str, ...] = ()
        if keyword == "ARG":  # the config part happens whether the step is cached or not
            created_by = declare_arg(state, instruction)
            names = {w.partition("=")[0] for w in instruction.args}
            args = {k: v for k, v in state.args.items() if k in names}
        elif keyword in CONFIG_ONLY or keyword == "WORKDIR":
            created_by = apply(state, instruction)
        elif keyword == "RUN":  # its environment holds every argument in effect
            created_by = " ".join(run_command(state, instruction))
            args = dict(state.args)
            files, origins = await self._mount_inputs(instruction)
        else:
            raise df.DockerfileError(instruction.line, f"{keyword} is not supported")
        mounts = " ".join(f"--mount={m}" for m in instruction.flags.get("mount", []))
        network = instruction.flag("network") or ""
        text = " ".join(p for p in (created_by, mounts, network and f"--network={network}") if p)
        inputs = StepInputs(image.id, text, args, files, origins,
                            tuple(h.content for h in instruction.heredocs))
        history = run_created_by(state, run_command(state, instruction)) \
            if keyword == "RUN" else created_by
        cached, why = await self._lookup(slot, step, inputs, image, parent_missed, history,
                                         state)
        key = inputs.key()
        if cached is not None:
            return await self._finish(step, cached, inputs, "", True)
        if keyword == "RUN":
            made = await self.executor.run(image, state, instruction, step, key)
        elif keyword == "WORKDIR":
            made = await self.executor.workdir(image, state, state.config["WorkingDir"],
                                               created_by, key)
        else:
            made = await images.commit_layer(image, None, dict(state.config),
                                             {"created_by": created_by}, cache_key=key,
                                             author=state.author or None)
        return await self._finish(step, made, inputs, why, False)

    async def _mount_inputs(self, instruction: df.Instruction) -> tuple[dict[str, str],
                                                                        tuple[str, ...]]:
        """What a RUN's bind mounts read: the context files (by digest) or the images."""
        files: dict[str, str] = {}
        origins: list[str] = []
        for spec in instruction.flags.get("mount", []):
            mount = run_mounts.parse(spec, instruction.line)
            if mount.kind != "bind":
                continue
            if mount.origin:
                origins.append(f"{(await self.origin(mount.origin)).id}:{mount.source}")
                continue
            source = self.context.path(mount.source or ".")
            if not os.path.lexists(source):
                raise df.DockerfileError(instruction.line, f"mount source {mount.source!r} "
                                                           f"not found in the build context")
            rel = os.path.relpath(source, self.context.root)
            self.context.checksum(["" if rel == "." else rel], files=files)
        return files, tuple(origins)

    async def _copy(self, slot: str, step: Step, image: Image, state: StageState,
                    instruction: df.Instruction, parent_missed: bool) -> tuple[Image, bool]:
        origin = instruction.flag("from") if instruction.keyword == "COPY" else None
        *patterns, dest = [state.word(instruction, a) for a in instruction.args]
        flags = " ".join(f"--{name}={state.word(instruction, value)}"
                         for name, values in sorted(instruction.flags.items())
                         for value in values)
        selection = Selection(tuple(state.word(instruction, e)
                                    for e in instruction.flags.get("exclude", [])),
                              instruction.switch("parents"))
        async with contextlib.AsyncExitStack() as stack:
            tree = self.context
            origins: tuple[str, ...] = ()
            if origin:
                source_image = await self.origin(origin)
                tree = await stack.enter_async_context(self.executor.rootfs(source_image))
                origins = (source_image.id,)
            prepared = await copysources.prepare(instruction, patterns, tree, selection,
                                                 self.engine.tmp, stack)
            chown = instruction.flag("chown")
            created_by = commit_nop(f"{instruction.keyword} "  # no space after --chown's value
                                    f"{f'--chown={chown}' if chown else ''}"
                                    f"{prepared.kind}:{prepared.digest} in {dest} ", state.shell)
            text = " ".join(p for p in (instruction.keyword, flags, *patterns, dest) if p)
            inputs = StepInputs(image.id, text, {}, prepared.files, origins,
                                tuple(h.content for h in instruction.heredocs))
            cached, why = await self._lookup(slot, step, inputs, image, parent_missed,
                                             created_by, state)
            if cached is not None:
                return await self._finish(step, cached, inputs, "", True)
            made = await self.executor.copy(image, state, instruction, prepared.sources,
                                            selection, instruction.switch("link"), created_by,
                                            inputs.key())
            return await self._finish(step, made, inputs, why, False)


def _resolved(images: ImageService, ref: str) -> Image | None:
    """A ``--cache-from`` image; one that is not here is skipped, as dockerd skips it."""
    try:
        return images.resolve(ref)
    except NotFound:
        return None
