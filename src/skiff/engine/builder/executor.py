"""Filesystem steps (RUN, COPY, ADD, WORKDIR) in step containers of the engine's own, each
committed as a layer on the image before it; the containers are removed (with ``rm=0``, those
of the steps that succeeded are kept, as dockerd keeps them)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tarfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from skiff.api.buildoptions import BuildOptions
from skiff.api.timefmt import now_ns
from skiff.drivers.snapshot.base import Snapshotter
from skiff.engine.builder import files
from skiff.engine.builder import mounts as run_mounts
from skiff.engine.builder.context import BuildContext
from skiff.engine.builder.dockerfile import DockerfileError, Instruction
from skiff.engine.builder.mounts import CacheMounts, RunMount
from skiff.engine.builder.steps import StageState, command
from skiff.engine.containers.attach import ContainerStream
from skiff.engine.containers.model import Container
from skiff.engine.images.service import ImageService
from skiff.engine.images.store import Image
from skiff.errdefs import InvalidParameter, SkiffError


class StepOutput(Protocol):
    """Where a step's lines go: the builder's own notes, and what its command prints."""

    async def note(self, text: str) -> None: ...

    async def output(self, text: str) -> None: ...


def run_command(state: StageState, instruction: Instruction) -> list[str]:
    """RUN's command: the exec form, the shell form under SHELL, or its heredoc script."""
    if instruction.heredocs and not instruction.json:
        cmd = [*state.shell, "\n".join(h.content for h in instruction.heredocs)]
    else:
        cmd = command(state, instruction)
    if not cmd:
        raise DockerfileError(instruction.line, "RUN requires at least one argument")
    return cmd


T = TypeVar("T")


def _given(table: Mapping[str, T], mount: RunMount, missing: str) -> T | None:
    """What the client gave for a secret or ssh mount; None (the mount is skipped) when it
    gave nothing and the mount is optional."""
    value = table.get(mount.id)
    if value is None and mount.required:
        raise InvalidParameter(missing)
    return value


def _empty_tar(path: Path) -> bool:
    """Whether a step changed nothing: its diff holds no entry (dockerd then records an empty
    layer, keeping no layer for it)."""
    with tarfile.open(path) as tar:
        return tar.next() is None


CLOCK_SLACK_NS = 50_000_000  # file times come from a clock that lags time.time_ns() a little


def _settle_times(tree: Path, began_ns: int) -> None:
    """Give what a linked copy made itself (the directories above its destination, heredoc
    files) the newest time of what it copied, so the same files make the same layer
    whenever they are copied (BuildKit's linked layers are reused across parents)."""
    made: list[str] = []
    newest = 0
    for dirpath, dirnames, filenames in os.walk(tree):
        for name in (*dirnames, *filenames):
            path = os.path.join(dirpath, name)
            mtime = os.lstat(path).st_mtime_ns
            if mtime >= began_ns - CLOCK_SLACK_NS:
                made.append(path)
            else:
                newest = max(newest, mtime)
    for path in reversed(made):  # the deepest first: a directory's time is set last
        os.utime(path, ns=(newest, newest), follow_symlinks=False)


def run_created_by(state: StageState, cmd: list[str]) -> str:
    """RUN's history line, with the build arguments it saw first (``|1 V=x /bin/sh -c ...``)."""
    args = state.run_env()
    return (f"|{len(args)} {' '.join(args)} " if args else "") + " ".join(cmd)


class StepContainers(Protocol):
    """What the builder needs of the container service."""

    async def create(self, name: str | None, body: dict[str, Any]) -> tuple[str, list[str]]: ...

    def get(self, ref: str) -> Container: ...

    async def start(self, ref: str) -> None: ...

    async def attach(self, ref: str) -> ContainerStream | None: ...

    def wait_condition(self, ref: str, condition: str) -> asyncio.Future[int]: ...

    async def remove(self, ref: str, force: bool = False, volumes: bool = False) -> None: ...

    async def mount_rootfs(self, container: Container) -> Path: ...

    async def release_rootfs(self, container: Container) -> None: ...


class StepFailed(SkiffError):
    """A RUN that exited non-zero, in the classic builder's words."""

    status = 500

    def __init__(self, cmd: list[str], code: int) -> None:
        super().__init__(f"The command '{' '.join(cmd)}' returned a non-zero code: {code}")
        self.code = code


@dataclass
class Executor:
    containers: StepContainers
    images: ImageService
    snapshots: Snapshotter
    tmp: Path
    options: BuildOptions
    context: BuildContext
    cache_mounts: CacheMounts
    origin: Callable[[str], Awaitable[Image]]  # a stage's result or an image, by name

    @contextlib.asynccontextmanager
    async def _container(self, image: Image, body: dict[str, Any],
                         step: bool = True) -> AsyncIterator[Container]:
        """A container on image for one step; removed afterwards unless the step succeeded
        and the build asked to keep them (``rm=0``, as dockerd keeps them)."""
        container_id, _ = await self.containers.create(None, {
            "Image": image.id, "Labels": {}, **body,
            "HostConfig": {**self.options.host_config(), **body.get("HostConfig", {})}})
        keep = False
        try:
            yield self.containers.get(container_id)
            keep = step and not self.options.remove
        finally:
            if not keep:
                with contextlib.suppress(SkiffError):
                    await self.containers.remove(container_id, force=True, volumes=True)

    @contextlib.asynccontextmanager
    async def rootfs(self, image: Image) -> AsyncIterator[BuildContext]:
        """An image's files to read from (COPY --from), in a container that is never started."""
        async with self._container(image, {"Cmd": ["/"], "Entrypoint": [""]},
                                   step=False) as container:
            root = await self.containers.mount_rootfs(container)
            try:
                yield BuildContext(root)
            finally:
                await self.containers.release_rootfs(container)

    async def _commit(self, container: Container, image: Image, state: StageState,
                      created_by: str, cache_key: str, stubs: list[str] | None = None) -> Image:
        tar_path = self.tmp / f"step-{container.id[:12]}-{now_ns()}"
        try:
            diff_id = await asyncio.to_thread(self.snapshots.export_diff, container.id, tar_path,
                                              stubs or [])
            layer = None if await asyncio.to_thread(_empty_tar, tar_path) else (tar_path, diff_id)
            return await self.images.commit_layer(image, layer, dict(state.config),
                                                  {"created_by": created_by},
                                                  cache_key=cache_key,
                                                  author=state.author or None)
        finally:
            tar_path.unlink(missing_ok=True)

    async def run(self, image: Image, state: StageState, instruction: Instruction,
                  emit: StepOutput, cache_key: str) -> Image:
        """RUN: the command in a step container, its output streamed, its changes committed."""
        cmd = run_command(state, instruction)
        network = instruction.flag("network")
        if network not in (None, "default", "none", "host"):
            raise DockerfileError(instruction.line, f"unsupported network mode {network!r}")
        mounts = [run_mounts.parse(spec, instruction.line)
                  for spec in instruction.flags.get("mount", [])]
        async with contextlib.AsyncExitStack() as stack:
            docker_mounts, env = await self._mounts(mounts, stack, instruction)
            return await self._run(image, state, cmd, network, docker_mounts, env,
                                   self._stubs(image, mounts), emit, cache_key)

    async def _mounts(self, mounts: list[RunMount], stack: contextlib.AsyncExitStack,
                      instruction: Instruction) -> tuple[list[dict[str, Any]], list[str]]:
        """HostConfig.Mounts for RUN --mount, and the environment they bring (secrets given
        as env=, SSH_AUTH_SOCK of a forwarded agent)."""
        result: list[dict[str, Any]] = []
        env: list[str] = []
        for mount in mounts:
            if mount.kind == "cache":
                path = await stack.enter_async_context(self.cache_mounts.use(mount))
                result.append({"Type": "bind", "Source": str(path), "Target": mount.target,
                               "ReadOnly": mount.readonly})
            elif mount.kind == "tmpfs":
                result.append({"Type": "tmpfs", "Target": mount.target, "TmpfsOptions":
                               {"SizeBytes": mount.size} if mount.size else {}})
            elif mount.kind == "bind":
                tree = self.context
                if mount.origin:
                    tree = await stack.enter_async_context(
                        self.rootfs(await self.origin(mount.origin)))
                source = tree.path(mount.source or ".")
                if not os.path.lexists(source):
                    raise DockerfileError(instruction.line, f"mount source {mount.source!r} "
                                                            f"not found")
                if not mount.readonly:  # writes go to a copy, discarded after the step
                    copy = self.tmp / f"bind-{now_ns()}"
                    stack.callback(shutil.rmtree, copy, True)
                    await asyncio.to_thread(files.copy_any, source, copy)
                    source = copy
                result.append({"Type": "bind", "Source": str(source), "Target": mount.target,
                               "ReadOnly": mount.readonly})
            elif mount.kind == "secret":
                value = _given(self.options.secrets, mount,
                               f"secret {mount.id}: not provided (skiff build --secret "
                               f"id={mount.id},src=FILE)")
                if value is None:
                    continue
                if mount.env:
                    env.append(f"{mount.env}={value.decode(errors='replace')}")
                if mount.target:
                    path = self.tmp / f"secret-{now_ns()}"
                    stack.callback(path.unlink, True)
                    path.write_bytes(value)
                    os.chown(path, mount.uid, mount.gid)
                    os.chmod(path, mount.mode if mount.mode is not None else 0o400)
                    result.append({"Type": "bind", "Source": str(path),
                                   "Target": mount.target, "ReadOnly": True})
            elif mount.kind == "ssh":
                agent = _given(self.options.ssh, mount, f"no SSH key {mount.id!r} forwarded "
                               f"from the client (skiff build --ssh {mount.id})")
                if agent is None:
                    continue
                result.append({"Type": "bind", "Source": agent, "Target": mount.target})
                if not any(e.startswith("SSH_AUTH_SOCK=") for e in env):
                    env.append(f"SSH_AUTH_SOCK={mount.target}")
        return result, env

    def _stubs(self, image: Image, mounts: list[RunMount]) -> list[str]:
        """The mount points the runtime will make that the image does not have: left out of
        the step's layer, as BuildKit leaves them out."""
        layers = [self.snapshots.layer_path(chain) for chain in image.chain_ids]
        stubs = []
        for mount in mounts:
            parts = [p for p in mount.target.split("/") if p]
            for depth in range(1, len(parts) + 1):
                rel = "/".join(parts[:depth])
                if not any(os.path.lexists(layer / rel) for layer in layers):
                    stubs.append(rel)
                    break
        return stubs

    async def _run(self, image: Image, state: StageState, cmd: list[str], network: str | None,
                   mounts: list[dict[str, Any]], secret_env: list[str], stubs: list[str],
                   emit: StepOutput, cache_key: str) -> Image:
        config = state.config
        body: dict[str, Any] = {
            "Cmd": cmd, "Entrypoint": [""], "Env": [*(config.get("Env") or []),
                                                    *state.run_env(), *secret_env],
            "WorkingDir": config.get("WorkingDir") or "", "User": config.get("User") or "",
            "AttachStdout": True, "AttachStderr": True,
            "HostConfig": {**({"NetworkMode": network} if network and network != "default"
                              else {}), **({"Mounts": mounts} if mounts else {})},
        }
        async with self._container(image, body) as container:
            await emit.note(f" ---> Running in {container.id[:12]}\n")
            exited = self.containers.wait_condition(container.id, "next-exit")
            attached = asyncio.ensure_future(self.containers.attach(container.id))
            await asyncio.sleep(0)
            await self.containers.start(container.id)
            stream = await attached
            if stream is not None:
                try:
                    while (message := await stream.read()) is not None:
                        await emit.output(message[1].decode(errors="replace"))
                finally:
                    stream.close()
            code = await exited
            if code != 0:
                raise StepFailed(cmd, code)
            committed = await self._commit(container, image, state, run_created_by(state, cmd),
                                           cache_key, stubs)
            await emit.note(f"Removing intermediate container {container.id[:12]}\n")
            return committed

    async def copy(self, image: Image, state: StageState, instruction: Instruction,
                   sources: list[files.Source], selection: files.Selection, link: bool,
                   created_by: str, cache_key: str) -> Image:
        """COPY and ADD: files into a step container's root, owned by root or ``--chown``, then
        committed; with ``--link`` into an empty tree of its own that becomes the layer."""
        dest = state.word(instruction, instruction.args[-1])
        if not dest.startswith("/"):
            dest = (state.config.get("WorkingDir") or "/").rstrip("/") + "/" + dest
        owner = instruction.flag("chown")
        mode = instruction.flag("chmod")
        try:
            chmod = int(mode, 8) if mode else None
        except ValueError:
            raise DockerfileError(instruction.line, f"invalid chmod parameter: {mode}") from None
        spec = state.word(instruction, owner) if owner else ""
        if link:
            return await self._copy_linked(image, state, sources, selection, dest, spec, chmod,
                                           created_by, cache_key)
        async with self._container(image, {"Cmd": ["/"], "Entrypoint": [""]}) as container:
            root = await self.containers.mount_rootfs(container)
            try:
                target = BuildContext(root)
                uid, gid = files.owner(target, spec) if spec else (0, 0)
                await asyncio.to_thread(files.copy_all, sources, target, dest, uid, gid, chmod,
                                        selection)
            finally:
                await self.containers.release_rootfs(container)
            return await self._commit(container, image, state, created_by, cache_key)

    async def _copy_linked(self, image: Image, state: StageState, sources: list[files.Source],
                           selection: files.Selection, dest: str, spec: str,
                           chmod: int | None, created_by: str, cache_key: str) -> Image:
        uid, gid = 0, 0
        if spec:
            async with self.rootfs(image) as root:
                uid, gid = files.owner(root, spec)
        tree = self.tmp / f"link-{now_ns()}"
        tar_path = tree.with_name(tree.name + ".tar")
        try:
            tree.mkdir()
            began = time.time_ns()
            await asyncio.to_thread(files.copy_all, sources, BuildContext(tree), dest, uid, gid,
                                    chmod, selection)
            await asyncio.to_thread(_settle_times, tree, began)
            diff_id = await asyncio.to_thread(self.snapshots.export_tree, tree, tar_path)
            layer = None if await asyncio.to_thread(_empty_tar, tar_path) else (tar_path, diff_id)
            return await self.images.commit_layer(image, layer, dict(state.config),
                                                  {"created_by": created_by},
                                                  cache_key=cache_key,
                                                  author=state.author or None)
        finally:
            shutil.rmtree(tree, ignore_errors=True)
            tar_path.unlink(missing_ok=True)

    async def workdir(self, image: Image, state: StageState, path: str,
                      created_by: str, cache_key: str) -> Image:
        """WORKDIR's directory, made when the image lacks it; a layer either way (empty when
        it was there), as dockerd commits one."""
        async with self._container(image, {"Cmd": ["/"], "Entrypoint": [""]}) as container:
            root = await self.containers.mount_rootfs(container)
            try:
                target = BuildContext(root)
                await asyncio.to_thread(files.mkdirs, target, path)
            finally:
                await self.containers.release_rootfs(container)
            return await self._commit(container, image, state, created_by, cache_key)
