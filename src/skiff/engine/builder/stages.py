"""Stages of a Dockerfile as a graph: what each stage needs, what the target needs, in what
order they can run (stages of one level run at the same time, as BuildKit runs them).

Pure: from the parsed Dockerfile, the build arguments and the target to a ``Plan``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from skiff.engine.builder.dockerfile import Dockerfile, DockerfileError, Instruction
from skiff.engine.builder.words import Expander, WordError
from skiff.errdefs import InvalidParameter

STAGE_NAME = re.compile(r"^[a-z][a-z0-9\-_.]*$")
# the build arguments every build has without declaring them (proxies; Docker's list)
PREDEFINED_ARGS = frozenset({"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                             "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY",
                             "all_proxy"})


@dataclass
class Stage:
    """One ``FROM`` and what follows it, up to the next ``FROM``."""

    index: int
    name: str | None  # the AS name, lower case
    base: str  # the FROM image or stage, variables expanded with the global ARGs
    platform: str | None
    line: int
    instructions: list[Instruction]
    needs: set[int] = field(default_factory=set)  # stages it reads (FROM, --from, mounts)
    images: set[str] = field(default_factory=set)  # images it reads besides its base
    base_stage: int | None = None  # the stage it starts from, when FROM names one

    @property
    def label(self) -> str:
        """How progress calls it: its name, else its number."""
        return self.name or str(self.index)


@dataclass(frozen=True)
class Plan:
    """The stages the target needs, in levels that can run concurrently."""

    stages: list[Stage]
    target: Stage
    levels: list[list[Stage]]
    meta_args: dict[str, str | None]  # the ARGs before the first FROM, after build arguments
    unused_args: list[str]  # build arguments no ARG of the needed stages declares


def _expand(text: str, env: Mapping[str, str], escape: str, line: int) -> str:
    try:
        return Expander(env, escape).word(text)
    except WordError as exc:
        raise DockerfileError(line, str(exc)) from None


def _arg_pairs(instruction: Instruction) -> list[tuple[str, str | None]]:
    pairs: list[tuple[str, str | None]] = []
    for word in instruction.args:
        name, sep, value = word.partition("=")
        if not name:
            raise DockerfileError(instruction.line, f"ARG names can not be blank: {word}")
        pairs.append((name, value if sep else None))
    return pairs


def plan(dockerfile: Dockerfile, build_args: Mapping[str, str | None],
         target: str | None = None) -> Plan:
    """Split into stages, resolve ``FROM`` and ``--from`` names, keep what ``target`` needs."""
    escape = dockerfile.directives.escape
    meta: dict[str, str | None] = {}
    stages: list[Stage] = []
    for instruction in dockerfile.instructions:
        if instruction.keyword == "FROM":
            stages.append(_stage(len(stages), instruction, meta, build_args, escape))
        elif not stages:
            if instruction.keyword != "ARG":
                raise DockerfileError(instruction.line, "no build stage in current context")
            for name, default in _arg_pairs(instruction):
                given = build_args.get(name)
                if given is None and default is not None:
                    given = _expand(default, _known(meta), escape, instruction.line)
                meta[name] = given
        else:
            stages[-1].instructions.append(instruction)
    if not stages:
        raise InvalidParameter("no build stage in current context")
    by_name: dict[str, int] = {}
    for stage in stages:
        if stage.name is not None:
            if stage.name in by_name:
                raise DockerfileError(stage.line, f"duplicate stage name {stage.name!r}")
            by_name[stage.name] = stage.index
    for stage in stages:
        _link(stage, stages, by_name, _known(meta), escape)
    chosen = _target(stages, by_name, target)
    needed = _needed(chosen, stages)
    declared = {name for stage in needed for i in stage.instructions if i.keyword == "ARG"
                for name, _ in _arg_pairs(i)} | set(meta)
    unused = sorted(set(build_args) - declared - PREDEFINED_ARGS)
    return Plan(needed, chosen, _levels(needed), meta, unused)


def _known(meta: Mapping[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in meta.items() if v is not None}


def _stage(index: int, instruction: Instruction, meta: Mapping[str, str | None],
           build_args: Mapping[str, str | None], escape: str) -> Stage:
    args = instruction.args
    base = _expand(args[0], _known(meta), escape, instruction.line)
    if not base:
        raise DockerfileError(instruction.line, f"base name ({args[0]}) should not be blank")
    name = None
    if len(args) == 3:
        name = args[2].lower()
        if not STAGE_NAME.match(name):
            raise DockerfileError(instruction.line, f"invalid name for build stage: {args[2]!r}, "
                                  f"name can't start with a number or contain symbols")
    platform = instruction.flag("platform")
    if platform is not None:
        platform = _expand(platform, _known(meta), escape, instruction.line) or None
    return Stage(index, name, base, platform, instruction.line, [])


def _references(stage: Stage, meta: Mapping[str, str], escape: str) -> list[tuple[str, int]]:
    """The ``--from`` of COPY and of RUN's mounts: (name, line)."""
    found: list[tuple[str, int]] = []
    for instruction in stage.instructions:
        if instruction.keyword == "COPY" and instruction.flag("from"):
            found.append((_expand(instruction.flag("from") or "", meta, escape,
                                  instruction.line), instruction.line))
        for mount in instruction.flags.get("mount", []):
            for option in mount.split(","):
                key, _, value = option.partition("=")
                if key.strip() == "from" and value:
                    found.append((_expand(value, meta, escape, instruction.line),
                                  instruction.line))
    return found


def _resolve(ref: str, stages: list[Stage], by_name: Mapping[str, int]) -> int | None:
    if ref.lower() in by_name:
        return by_name[ref.lower()]
    if ref.isdigit():
        if int(ref) >= len(stages):
            return None
        return int(ref)
    return None


def _link(stage: Stage, stages: list[Stage], by_name: Mapping[str, int],
          meta: Mapping[str, str], escape: str) -> None:
    base = by_name.get(stage.base.lower())
    if base is not None and base < stage.index:  # FROM reads only stages above it
        stage.base_stage = base
        stage.needs.add(base)
    for ref, line in _references(stage, meta, escape):
        found = _resolve(ref, stages, by_name)
        if found == stage.index:
            raise DockerfileError(line, f"circular dependency detected on stage: {stage.label}")
        if found is None:
            if ref.isdigit():
                raise DockerfileError(line, f"invalid stage index {ref}: the Dockerfile has "
                                            f"{len(stages)} stages")
            stage.images.add(ref)
        else:
            stage.needs.add(found)


def _target(stages: list[Stage], by_name: Mapping[str, int], target: str | None) -> Stage:
    if not target:
        return stages[-1]
    if target.lower() not in by_name:
        raise InvalidParameter(f"target stage {target!r} could not be found")
    return stages[by_name[target.lower()]]


def _needed(target: Stage, stages: list[Stage]) -> list[Stage]:
    """The target and every stage it reads, directly or not; a cycle is an error."""
    state: dict[int, str] = {}
    order: list[Stage] = []

    def visit(stage: Stage) -> None:
        if state.get(stage.index) == "done":
            return
        if state.get(stage.index) == "open":
            raise InvalidParameter(f"circular dependency detected on stage: {stage.label}")
        state[stage.index] = "open"
        for index in sorted(stage.needs):
            visit(stages[index])
        state[stage.index] = "done"
        order.append(stage)

    visit(target)
    return sorted(order, key=lambda s: s.index)


def _levels(needed: list[Stage]) -> list[list[Stage]]:
    """Stages grouped so that each needs only stages of earlier groups."""
    depth: dict[int, int] = {}
    remaining = {s.index: s for s in needed}
    while remaining:  # _needed has ruled out cycles, so each round takes at least one stage
        for stage in [s for s in remaining.values() if s.needs <= depth.keys()]:
            depth[stage.index] = 1 + max((depth[n] for n in stage.needs), default=-1)
            del remaining[stage.index]
    levels: list[list[Stage]] = [[] for _ in range(max(depth.values()) + 1)]
    for stage in needed:
        levels[depth[stage.index]].append(stage)
    return levels
