"""ContainerService: Docker's container lifecycle on top of a runtime, snapshots and logs.

Lock order: a container's own lock, never two containers' locks at once. State lives in memory
and is written through to the store on every change, so ``ps`` never touches the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import re
import secrets
import shutil
import signal as signals
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from skiff.api import filters as flt
from skiff.api.timefmt import now_ns, parse_timestamp_ns
from skiff.drivers import cgroups
from skiff.drivers.logging.base import LogContext, LogDriver
from skiff.drivers.runtime.base import CreateRequest, Runtime, RuntimeError_
from skiff.drivers.snapshot.base import Snapshotter
from skiff.engine.containers import config as config_rules
from skiff.engine.containers import (
    etcfiles,
    links,
    logs,
    namefiles,
    names,
    restart,
    spec,
    start_errors,
    update,
    users,
    volume_claims,
)
from skiff.engine.containers.attach import ContainerStream
from skiff.engine.containers.attachments import Attachments
from skiff.engine.containers.model import (
    DEAD,
    EXITED,
    PAUSED,
    REMOVING,
    RESTARTING,
    RUNNING,
    Container,
)
from skiff.engine.events import EventService
from skiff.engine.images.service import ImageService
from skiff.engine.telemetry import NOWHERE, Telemetry
from skiff.engine.volumes.service import VolumeService
from skiff.errdefs import (
    Conflict,
    InvalidParameter,
    NotFound,
    NotModified,
    SkiffError,
    System,
)
from skiff.store.db import Database
from skiff.store.layout import Layout

log = logging.getLogger(__name__)
_MAC = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")

DEFAULT_STOP_TIMEOUT = 10


class LifecycleObserver(Protocol):
    """Told when a container starts and when it stops (healthchecks, stats …)."""

    def started(self, container: Container) -> None: ...

    def stopped(self, container: Container) -> None: ...


class SandboxProvider(Protocol):
    """Gives a container its network namespace and endpoints (user-defined networks)."""

    async def prepare(self, container: Container) -> Path | None: ...

    async def release(self, container: Container) -> None: ...

    def own_addresses(self, container: Container) -> list[str]: ...

    async def resume(self, container: Container) -> None: ...

    def embedded_dns(self, container: Container) -> bool: ...

    def host_gateway(self, container: Container) -> str: ...


@dataclass
class DaemonDefaults:
    """Daemon-wide settings that shape new containers."""

    runtime: str = "crun"
    log_type: str = "json-file"
    log_options: dict[str, str] | None = None
    init_binary: str | None = None
    seccomp_profile: dict[str, Any] | None = None
    cgroup_parent: str = "skiff"


class ContainerService:
    """create, start, stop, kill, pause, wait, remove, attach, logs … with Docker's semantics."""

    def __init__(self, layout: Layout, db: Database, events: EventService,
                 images: ImageService, snapshots: Snapshotter, runtimes: dict[str, Runtime],
                 defaults: DaemonDefaults, log_drivers: logs.LogDrivers,
                 capture: logs.OutputCapture, telemetry: Telemetry = NOWHERE) -> None:
        self._layout = layout
        self.log_drivers = log_drivers
        self._telemetry = telemetry
        self._db = db
        self._events = events
        self._images = images
        self._snapshots = snapshots
        self._runtimes = runtimes
        self._defaults = defaults
        self._logs = logs.LogManager(capture)
        self._containers: dict[str, Container] = {}
        self._names: dict[str, str] = {}
        self._attachments = Attachments(self._logs)
        self._removed: dict[str, asyncio.Event] = {}
        self._exit_codes: dict[str, asyncio.Future[int]] = {}
        self._swap = cgroups.swap_limit_supported()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._restarts: dict[str, asyncio.Task[None]] = {}
        self._closing = False
        self.observers: list[LifecycleObserver] = []
        self.is_network: Callable[[str], bool] = lambda _name: False
        # the address pool of the network a name stands for (None: no such network)
        self.network_pool: Callable[[str], config_rules.SubnetFacts | None] = \
            lambda _name: None
        self.sandboxes: SandboxProvider | None = None
        self.volumes: VolumeService | None = None
        self._backoff: dict[str, restart.Backoff] = {}
        images.set_users(self.users_of_image)

    # --- lookup -----------------------------------------------------------------------------
    def load(self) -> None:
        """Read the store, and drop container directories a crash left unrecorded."""
        for row in self._db.containers():
            container = Container.from_row(row)
            self._containers[container.id] = container
            self._names[container.name] = container.id
        parent = self._layout.data_root / "containers"
        for entry in parent.iterdir():
            if entry.name not in self._containers:
                self._snapshots.remove(entry.name)
                shutil.rmtree(entry, ignore_errors=True)

    def all(self) -> list[Container]:
        return list(self._containers.values())

    def get(self, ref: str) -> Container:
        """Find by full ID, name (with or without '/'), or unique ID prefix."""
        container = self._containers.get(ref)
        if container is not None:
            return container
        by_name = self._names.get(ref.lstrip("/"))
        if by_name is not None:
            return self._containers[by_name]
        if ref and all(c in "0123456789abcdef" for c in ref):
            found = [c for c in self._containers.values() if c.id.startswith(ref)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise InvalidParameter(f"Multiple IDs found with provided prefix: {ref}")
        raise NotFound(f"No such container: {ref}")

    def by_id(self, container_id: str) -> Container | None:
        return self._containers.get(container_id)

    def name_of(self, container_id: str) -> str | None:
        container = self._containers.get(container_id)
        return container.name if container is not None else None

    def users_of_image(self, image_id: str) -> list[tuple[str, bool]]:
        return [(c.id, c.state.Running) for c in self._containers.values()
                if c.image_id == image_id]

    def save(self, container: Container) -> None:
        """Write a container's record through to the store."""
        self._save(container)

    def _save(self, container: Container) -> None:
        self._db.put_container(container.id, container.name, container.to_row())

    def event(self, container: Container, action: str, **extra: str) -> None:
        """Publish a container event with Docker's attributes."""
        self._event(container, action, **extra)

    def _event(self, container: Container, action: str, **extra: str) -> None:
        attrs = {"image": container.image_ref or container.image_id, "name": container.name,
                 **container.labels, **extra}
        self._events.publish("container", action, container.id, attrs)

    @property
    def log_manager(self) -> logs.LogManager:
        return self._logs

    def runtime_of(self, container: Container) -> Runtime:
        return self._runtime(container)

    def bundle_of(self, container: Container) -> Path:
        return self._layout.monitor_dir(container.id)

    def _runtime(self, container: Container) -> Runtime:
        runtime = self._runtimes.get(container.runtime)
        if runtime is None:
            raise System(f"unknown runtime: {container.runtime}")
        return runtime

    def container_dir(self, container: Container) -> Path:
        """Where the container's own files live (config, logs, hosts files)."""
        return self._layout.container_dir(container.id)

    def _dir(self, container: Container) -> Path:
        return self._layout.container_dir(container.id)

    def log_path(self, container: Container) -> str:
        log_type = (container.host_config.get("LogConfig") or {}).get("Type") or "json-file"
        return self.log_drivers.log_path(log_type, self._dir(container), container.id)

    def _open_log(self, container: Container, running: bool = False) -> LogDriver:
        """The logging driver that receives the container's output from now on (``running``:
        the container runs already, skiffd is taking it back)."""
        log_config = container.host_config.get("LogConfig") or {}
        context = LogContext(
            container.id, container.name, container.image_id,
            container.image_ref or container.image_id, container.created_ns,
            self._dir(container), container.labels, list(container.config.get("Env") or []),
            str(container.config.get("Hostname") or ""))
        return self.log_drivers.open(log_config.get("Type") or "json-file",
                                     log_config.get("Config") or {}, context,
                                     self._telemetry.log_lines_dropped, running)

    # --- create -----------------------------------------------------------------------------
    async def create(self, name: str | None, body: dict[str, Any]) -> tuple[str, list[str]]:
        begun = time.perf_counter()
        image_ref = body.get("Image") or ""
        if not image_ref:
            raise InvalidParameter("config cannot be empty in order to create a container")
        image = self._images.resolve(image_ref)
        host_config: dict[str, Any] = dict(body.get("HostConfig") or {})
        config = {k: v for k, v in body.items() if k not in ("HostConfig", "NetworkingConfig")}
        for key in ("Cmd", "Entrypoint", "Shell"):
            if isinstance(config.get(key), str):
                config[key] = [config[key]]
        if name:
            name = names.validate(name)
            if name in self._names:
                existing = self._names[name]
                raise Conflict(f"Conflict. The container name \"/{name}\" is already in use by "
                               f"container \"{existing}\". You have to remove (or rename) that "
                               f"container to be able to reuse that name.")
        else:
            name = names.generate(set(self._names))
        merged = config_rules.merge_image_config(config, image.container_config)
        if not (merged.get("Entrypoint") or merged.get("Cmd")):
            raise InvalidParameter("no command specified")
        config_rules.validate_network_mode(
            host_config, config, self.get, self.is_network,
            endpoints=(body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {},
            network_pool=self.network_pool)
        warnings = config_rules.validate_host_config(host_config, merged, self._swap)
        linked = links.register(host_config, self.get)
        for endpoint in [config, *dict((body.get("NetworkingConfig") or {})
                                       .get("EndpointsConfig") or {}).values()]:
            mac = (endpoint or {}).get("MacAddress") or ""
            if mac and not _MAC.fullmatch(mac):
                raise InvalidParameter(f"invalid MAC address: {mac}")
        runtime = host_config.get("Runtime") or self._defaults.runtime
        if runtime not in self._runtimes:
            raise InvalidParameter(f"unknown or invalid runtime name: {runtime}")
        host_config["LogConfig"] = logs.resolve_config(
            host_config.get("LogConfig") or {}, self._defaults.log_type,
            self._defaults.log_options or {}, self.log_drivers)
        container_id = secrets.token_hex(32)
        merged["Image"] = image_ref
        merged.setdefault("Hostname", "")
        if not merged["Hostname"]:
            merged["Hostname"] = (etcfiles.host_hostname()
                                  if host_config.get("NetworkMode") == "host"
                                  else container_id[:12])
        container = Container(
            id=container_id, name=name, created_ns=now_ns(), image_id=image.id,
            image_ref=image_ref, config=merged, host_config=host_config,
            networking=dict(body.get("NetworkingConfig") or {}), runtime=runtime,
            links=linked)
        container.volumes = volume_claims.claim(container, self.get, self.volumes)
        directory = self._dir(container)
        directory.mkdir(parents=True)
        try:
            self._snapshots.prepare(container.id)
            container.log_path = self.log_path(container)
            container.hostname_path = str(directory / "hostname")
            container.hosts_path = str(directory / "hosts")
            container.resolv_path = str(directory / "resolv.conf")
            self._save(container)
        except BaseException:
            self._snapshots.remove(container.id)
            shutil.rmtree(directory, ignore_errors=True)
            raise
        self._containers[container.id] = container
        self._names[name] = container.id
        self._event(container, "create")
        self._telemetry.container_action("create", time.perf_counter() - begun)
        return container.id, warnings

    def volume_users(self, name: str) -> list[str]:
        return [c.id for c in self._containers.values()
                if any(v["Name"] == name for v in c.volumes)]

    # --- start ------------------------------------------------------------------------------
    async def start(self, ref: str) -> None:
        container = self.get(ref)
        async with container.lock:
            if container.state.Paused:
                raise Conflict("cannot start a paused container, try unpause instead")
            if container.state.Running:
                raise NotModified("container already started")
            if container.state.Status in (REMOVING, DEAD):
                raise Conflict("container is marked for removal and cannot be started")
            begun = time.perf_counter()
            await self._start_locked(container)
            self._telemetry.container_action("start", time.perf_counter() - begun)

    async def _start_locked(self, container: Container) -> None:
        try:
            await self._start_unguarded(container)
        except BaseException:
            if container.host_config.get("AutoRemove"):
                self._spawn(self.remove(container.id, force=True, volumes=True))
            raise

    async def _start_unguarded(self, container: Container) -> None:
        runtime = self._runtime(container)
        image = self._images.store.images.get(container.image_id)
        chain = image.chain_ids if image else []
        directory = self._dir(container)
        mounted = False
        try:
            rootfs = await asyncio.to_thread(self._snapshots.mount, container.id, chain)
            mounted = True
            host = container.host_config
            user = users.resolve(rootfs, container.config.get("User") or "",
                                 host.get("GroupAdd"))
            host_network = (host.get("NetworkMode") or "") == "host"
            owner = self._network_owner(container)
            link_env, linked_hosts = links.for_start(container, self._containers.get)
            netns_path = await self.sandboxes.prepare(container) if self.sandboxes else None
            if owner is not None:
                etc = namefiles.share(container, owner)
            else:
                etc = namefiles.write(container, directory, self.sandboxes, host_network,
                                      linked_hosts)
            user_mounts = [m for m in spec.user_mounts(host) if m["type"] != "volume"]
            user_mounts += volume_claims.mounts_at_start(container, rootfs, self.volumes)
            for mount in user_mounts:
                if mount["type"] == "bind" and not os.path.exists(mount["source"]):
                    os.makedirs(mount["source"], exist_ok=True)
            inputs = spec.SpecInputs(
                rootfs=rootfs, user=user, hostname=container.config.get("Hostname") or "",
                etc_files=etc,
                cgroups_path=cgroups.container_path(container.id,
                                                    host.get("CgroupParent") or
                                                    self._defaults.cgroup_parent),
                init_binary=self._defaults.init_binary,
                seccomp_profile=self._defaults.seccomp_profile, swap_supported=self._swap,
                host_network=host_network, extra_mounts=user_mounts,
                netns_path=str(netns_path) if netns_path else None, link_env=link_env)
            oci = spec.build(container, inputs)
            self._join_namespaces(owner, oci)
            # in a thread: a driver may connect to its receiver (fluentd without async)
            driver = await asyncio.to_thread(self._open_log, container)
            request = CreateRequest(
                container_id=container.id, name=container.name,
                bundle=self._layout.monitor_dir(container.id), spec=oci,
                journal=self._logs.journal_path(directory),
                output=None if container.config.get("Tty") or container.config.get(
                    "OpenStdin") else self._logs.output_paths(directory),
                tty=bool(container.config.get("Tty")),
                stdin=bool(container.config.get("OpenStdin")),
                stdin_once=bool(container.config.get("StdinOnce")))
            try:
                pid = await runtime.create(request)
            except BaseException:
                driver.close()
                raise
            self._logs.start(container.id, directory, driver,
                             lambda: runtime.reopen_journal(container.id))
            await self._attachments.started(container.id, runtime)
            try:
                await runtime.start(container.id)
            except BaseException:
                runtime.kill_monitor(container.id)
                await runtime.delete(container.id, force=True)
                await self._logs.stop(container.id, discard_journal=True)
                raise
        except RuntimeError_ as exc:
            if mounted:
                await asyncio.to_thread(self._snapshots.unmount, container.id)
            await self._release_sandbox(container)
            message, code = start_errors.docker_start_error(str(exc))
            container.state.Error = message
            container.state.ExitCode = code
            self._save(container)
            self._attachments.failed(container.id)
            self._event(container, "die", exitCode=str(code))
            raise (InvalidParameter if code in (126, 127) else System)(message) from None
        except SkiffError as exc:
            if mounted:
                await asyncio.to_thread(self._snapshots.unmount, container.id)
            await self._release_sandbox(container)
            container.state.Error = exc.message
            self._save(container)
            self._attachments.failed(container.id)
            raise
        except BaseException:
            if mounted:
                await asyncio.to_thread(self._snapshots.unmount, container.id)
            await self._release_sandbox(container)
            self._attachments.failed(container.id)
            raise
        container.state.set_running(pid, now_ns())
        container.has_been_started = True
        container.manually_stopped = False
        self._save(container)
        self._event(container, "start")
        for observer in self.observers:
            observer.started(container)
        # the container may have exited before we marked it running
        if runtime.exit_status(container.id) is not None:
            self._spawn(self._handle_exit(container.id))

    async def _release_sandbox(self, container: Container) -> None:
        if self.sandboxes is not None:
            await self.sandboxes.release(container)

    def _network_owner(self, container: Container) -> Container | None:
        """The running container whose network namespace ``container:<id>`` mode joins."""
        mode = container.host_config.get("NetworkMode") or ""
        if not mode.startswith("container:"):
            return None
        other = self.get(mode.split(":", 1)[1])
        if not other.state.Running:
            raise Conflict(f"cannot join network namespace of a non running container: "
                           f"container {other.id} is {other.state.Status}")
        return other

    def refresh_network_files(self, container: Container) -> None:
        """After a running container joined or left a network: its /etc/hosts and resolv.conf
        follow (its own addresses; 127.0.0.11 once it is on a user network), as Docker's do."""
        mode = container.host_config.get("NetworkMode") or ""
        if mode == "host" or mode.startswith("container:") or not container.state.Running:
            return
        try:
            _env, linked_hosts = links.for_start(container, self._containers.get)
        except Conflict:  # a linked container stopped since: its line goes
            linked_hosts = []
        namefiles.refresh(container, self.sandboxes, linked_hosts)

    @staticmethod
    def _join_namespaces(owner: Container | None, oci: dict[str, Any]) -> None:
        if owner is None:
            return
        for ns in oci["linux"]["namespaces"]:
            if ns["type"] == "network":
                ns["path"] = f"/proc/{owner.state.Pid}/ns/net"
        oci.pop("hooks", None)

    # --- exits ------------------------------------------------------------------------------
    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def on_exit(self, container_id: str) -> None:
        """Called by the exit watcher the moment conmon records an exit."""
        if container_id in self._containers:
            self._spawn(self._handle_exit(container_id))

    async def _handle_exit(self, container_id: str) -> None:
        container = self._containers.get(container_id)
        if container is None:
            return
        async with container.lock:
            ran_for = (now_ns() - container.state.StartedAt) / 1e9
            if not await self._finish_exit(container):
                return
            if not self._closing and restart.after_exit(
                    container.host_config, container.state.ExitCode, container.restart_count,
                    container.manually_stopped):
                self._schedule_restart(container, ran_for)
                return
        if container.host_config.get("AutoRemove") and container.id in self._containers:
            try:
                await self.remove(container.id, force=True, volumes=True)
            except SkiffError as exc:
                log.warning("auto-remove of %s failed: %s", container.id[:12], exc)

    def _schedule_restart(self, container: Container, ran_for: float) -> None:
        """Enter ``restarting`` and start again after the backoff delay (lock held)."""
        backoff = self._backoff.setdefault(container.id, restart.Backoff())
        delay = backoff.next(ran_for)
        container.state.Restarting = True
        container.state.Status = RESTARTING
        self._save(container)

        async def again() -> None:
            await asyncio.sleep(delay)
            async with container.lock:
                if not container.state.Restarting or container.id not in self._containers:
                    return
                container.restart_count += 1
                try:
                    await self._start_locked(container)
                    self._telemetry.restarted(container.id)
                except SkiffError as exc:
                    log.warning("restart of %s failed: %s", container.id[:12], exc)
                    container.state.Restarting = False
                    container.state.Status = EXITED
                    self._save(container)

        task = asyncio.get_running_loop().create_task(again())
        self._restarts[container.id] = task
        task.add_done_callback(lambda _: self._restarts.pop(container.id, None))

    def _cancel_restart(self, container: Container) -> bool:
        """Stop a pending restart; True if there was one."""
        task = self._restarts.pop(container.id, None)
        if task is not None:
            task.cancel()
        if container.state.Restarting:
            container.state.Restarting = False
            container.state.Status = EXITED
            self._save(container)
            return True
        return task is not None

    async def _finish_exit(self, container: Container) -> bool:
        """Record the exit of a container whose monitor reported one (lock held)."""
        runtime = self._runtime(container)
        status = runtime.exit_status(container.id)
        if status is None or (not container.state.Running and container.state.Status != PAUSED):
            return False
        await self._logs.stop(container.id, discard_journal=True)
        await runtime.delete(container.id, force=True)
        await asyncio.to_thread(self._snapshots.unmount, container.id)
        await self._release_sandbox(container)
        runtime.cleanup(container.id)
        code = status.code if status.code >= 0 else 255
        if status.oom_killed:
            self._event(container, "oom")
        container.state.set_exited(code, status.oom_killed, now_ns())
        self._save(container)
        self._event(container, "die", exitCode=str(code))
        for observer in self.observers:
            observer.stopped(container)
        future = self._exit_codes.pop(container.id, None)
        if future is not None and not future.done():
            future.set_result(code)
        return True

    def _next_exit(self, container: Container) -> asyncio.Future[int]:
        future = self._exit_codes.get(container.id)
        if future is None or future.done():
            future = asyncio.get_running_loop().create_future()
            self._exit_codes[container.id] = future
        return future

    # --- stop, kill, restart ----------------------------------------------------------------
    async def stop(self, ref: str, signal: str | None = None, timeout: int | None = None) -> None:
        container = self.get(ref)
        if self._cancel_restart(container):
            container.manually_stopped = True
            self._save(container)
            return
        if not container.state.Running:
            raise NotModified("container already stopped")
        container.manually_stopped = True
        await self._stop(container, signal, timeout)

    async def _stop(self, container: Container, signal: str | None, timeout: int | None) -> None:
        if not container.state.Running:
            return
        runtime = self._runtime(container)
        sig = spec.parse_signal(signal or container.config.get("StopSignal"), signals.SIGTERM)
        if timeout is None:
            timeout = container.config.get("StopTimeout")
            if timeout is None:
                timeout = DEFAULT_STOP_TIMEOUT
        exited = self._next_exit(container)
        if container.state.Paused:
            with contextlib.suppress(RuntimeError_):
                await runtime.kill(container.id, sig)
                await runtime.resume(container.id)
        else:
            with contextlib.suppress(RuntimeError_):
                await runtime.kill(container.id, sig)
        self._event(container, "kill", signal=str(sig))
        if timeout < 0:
            await asyncio.shield(exited)
        else:
            try:
                await asyncio.wait_for(asyncio.shield(exited), timeout)
            except TimeoutError:
                with contextlib.suppress(RuntimeError_):
                    await runtime.kill(container.id, signals.SIGKILL, all_processes=True)
                self._event(container, "kill", signal="9")
                try:
                    await asyncio.wait_for(asyncio.shield(exited), 10)
                except TimeoutError:
                    await self._force_exit(container)
        self._event(container, "stop")

    async def _force_exit(self, container: Container) -> None:
        """The monitor did not report an exit: reap the runtime state ourselves."""
        runtime = self._runtime(container)
        runtime.kill_monitor(container.id)
        async with container.lock:
            await self._logs.stop(container.id, discard_journal=True)
            await runtime.delete(container.id, force=True)
            await asyncio.to_thread(self._snapshots.unmount, container.id)
            await self._release_sandbox(container)
            runtime.cleanup(container.id)
            container.state.set_exited(137, False, now_ns())
            self._save(container)
            self._event(container, "die", exitCode="137")
            for observer in self.observers:
                observer.stopped(container)
            future = self._exit_codes.pop(container.id, None)
            if future is not None and not future.done():
                future.set_result(137)

    async def restart(self, ref: str, signal: str | None = None,
                      timeout: int | None = None) -> None:
        container = self.get(ref)
        if container.state.Running:
            await self._stop(container, signal, timeout)
        async with container.lock:
            if not container.state.Running:
                await self._start_locked(container)
        self._event(container, "restart")

    async def kill(self, ref: str, signal: str | None = None) -> None:
        container = self.get(ref)
        sig = spec.parse_signal(signal, signals.SIGKILL)
        if container.state.Restarting:
            raise Conflict(f"Cannot kill container: {ref}: Container {container.id} is "
                           f"restarting, wait until the container is running")
        if not container.state.Running:
            raise Conflict(f"Cannot kill container: {ref}: Container {container.id} is not "
                           f"running")
        runtime = self._runtime(container)
        container.manually_stopped = True  # as dockerd: a killed container is not restarted
        exited = self._next_exit(container) if sig == signals.SIGKILL else None
        try:
            await runtime.kill(container.id, sig)
        except RuntimeError_ as exc:
            raise System(f"Cannot kill container: {ref}: {exc}") from None
        self._event(container, "kill", signal=str(sig))
        if exited is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(exited), 10)

    # --- pause ------------------------------------------------------------------------------
    async def pause(self, ref: str) -> None:
        container = self.get(ref)
        async with container.lock:
            if not container.state.Running:
                raise Conflict(f"Container {container.id} is not running")
            if container.state.Paused:
                raise Conflict(f"Container {container.id} is already paused")
            try:
                await self._runtime(container).pause(container.id)
            except RuntimeError_ as exc:
                raise System(f"Cannot pause container {container.id}: {exc}") from None
            container.state.Paused = True
            container.state.Status = PAUSED
            self._save(container)
        self._event(container, "pause")

    async def unpause(self, ref: str) -> None:
        container = self.get(ref)
        async with container.lock:
            if not container.state.Paused:
                raise Conflict(f"Container {container.id} is not paused")
            try:
                await self._runtime(container).resume(container.id)
            except RuntimeError_ as exc:
                raise System(f"Cannot unpause container {container.id}: {exc}") from None
            container.state.Paused = False
            container.state.Status = RUNNING
            self._save(container)
        self._event(container, "unpause")

    # --- wait -------------------------------------------------------------------------------
    def wait_condition(self, ref: str, condition: str) -> asyncio.Future[int]:
        """Register a wait now (so a following start cannot be missed); await it later."""
        container = self.get(ref)
        condition = condition or "not-running"
        if condition not in ("not-running", "next-exit", "removed"):
            raise InvalidParameter(f"invalid condition: \"{condition}\"")
        loop = asyncio.get_running_loop()
        if condition == "removed":
            event = self._removed.setdefault(container.id, asyncio.Event())
            future: asyncio.Future[int] = loop.create_future()

            async def removed() -> None:
                await event.wait()
                if not future.done():
                    future.set_result(container.state.ExitCode)

            self._spawn(removed())
            return future
        if condition == "not-running" and not container.state.Running:
            done: asyncio.Future[int] = loop.create_future()
            done.set_result(container.state.ExitCode)
            return done
        return self._next_exit(container)

    # --- remove, rename ---------------------------------------------------------------------
    async def remove(self, ref: str, force: bool = False, volumes: bool = False) -> None:
        begun = time.perf_counter()
        container = self.get(ref)
        if container.state.Running and not force:
            if container.state.Paused:
                raise Conflict(f"cannot remove container \"/{container.name}\": container is "
                               f"paused and must be stopped first or force removed")
            raise Conflict(f"cannot remove container \"/{container.name}\": container is "
                           f"running: stop the container before removing or force remove")
        if container.state.Status == REMOVING:
            raise Conflict(f"removal of container {container.id} is already in progress")
        if container.state.Restarting and not force:
            raise Conflict(f"cannot remove container \"/{container.name}\": container is "
                           f"restarting: stop the container before removing or force remove")
        self._cancel_restart(container)
        self._backoff.pop(container.id, None)
        if container.state.Running:
            container.manually_stopped = True
            await self._stop(container, "SIGKILL", 0)
        async with container.lock:
            if container.id not in self._containers:
                return
            container.state.Status = REMOVING
            await self._logs.stop(container.id, discard_journal=True)
            runtime = self._runtime(container)
            await runtime.delete(container.id, force=True)
            runtime.cleanup(container.id)
            await self._release_sandbox(container)
            await asyncio.to_thread(self._snapshots.remove, container.id)
            await asyncio.to_thread(shutil.rmtree, self._dir(container), True)
            self._db.delete_container(container.id)
            del self._containers[container.id]
            self._names.pop(container.name, None)
            self._unlink(container.id)
        self._event(container, "destroy")
        self._telemetry.container_action("delete", time.perf_counter() - begun)
        self._telemetry.forget(container.id)
        if volumes and self.volumes is not None:
            for volume in container.volumes:
                if volume.get("Anonymous") and not self.volume_users(volume["Name"]):
                    with contextlib.suppress(SkiffError):
                        self.volumes.remove(volume["Name"])
        event = self._removed.pop(container.id, None)
        if event is not None:
            event.set()
        future = self._exit_codes.pop(container.id, None)
        if future is not None and not future.done():
            future.set_result(container.state.ExitCode)

    def _unlink(self, child_id: str) -> None:
        """A removed container leaves the links of the containers that linked to it."""
        for parent in self._containers.values():
            kept = {a: c for a, c in parent.links.items() if c != child_id}
            if kept != parent.links:
                parent.links = kept
                self._save(parent)

    def link_aliases(self, container_id: str) -> dict[str, str]:
        """alias -> container name of a container's links on user-defined networks."""
        container = self._containers.get(container_id)
        if container is None or links.on_default_bridge(container.host_config):
            return {}
        return links.aliases(container.host_config.get("Links"))

    def rename(self, ref: str, new_name: str) -> None:
        container = self.get(ref)
        if not new_name:
            raise InvalidParameter("Neither old nor new names may be empty")
        new_name = names.validate(new_name)
        if new_name == container.name:
            raise InvalidParameter("Renaming a container with the same name as its current "
                                   "name")
        if new_name in self._names:
            raise Conflict(f"Conflict. The container name \"/{new_name}\" is already in use by "
                           f"container \"{self._names[new_name]}\". You have to remove (or "
                           f"rename) that container to be able to reuse that name.")
        old = container.name
        container.name = new_name
        for endpoint in (container.networking.get("Settings") or {}).values():
            endpoint["DNSNames"] = [new_name if n == old else n
                                    for n in endpoint.get("DNSNames") or []]
        try:
            self._save(container)
        except BaseException:
            container.name = old
            raise
        del self._names[old]
        self._names[new_name] = container.id
        self._event(container, "rename", oldName="/" + old)

    # --- queries ----------------------------------------------------------------------------
    async def update(self, ref: str, body: dict[str, Any]) -> list[str]:
        container = self.get(ref)
        async with container.lock:
            new_host, resources = update.updated_host_config(container, body)
            oci = update.oci_resources(new_host, self._swap)
            if container.state.Running and resources:
                await self._apply_resources(container, oci)
            container.host_config = new_host
            self._save(container)
        self._event(container, "update")
        return []

    async def _apply_resources(self, container: Container, oci: dict[str, Any]) -> None:
        runtime = self._runtime(container)
        path = self._layout.monitor_dir(container.id) / "resources.json"
        path.write_text(json.dumps(oci))
        proc = await asyncio.create_subprocess_exec(
            runtime.path, "--root", str(self._layout.runtime_root / runtime.name),
            "update", "--resources", str(path), container.id,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await proc.communicate()
        if proc.returncode != 0:
            raise System(f"Cannot update container {container.id}: {err.decode().strip()}")

    async def mount_rootfs(self, container: Container) -> Path:
        """The container's root filesystem, mounted (already so while it runs)."""
        image = self._images.store.images.get(container.image_id)
        return await asyncio.to_thread(self._snapshots.mount, container.id,
                                       image.chain_ids if image else [])

    async def release_rootfs(self, container: Container) -> None:
        """Unmount what ``mount_rootfs`` mounted, unless the container runs."""
        if not container.state.Running:
            await asyncio.to_thread(self._snapshots.unmount, container.id)

    async def prune(self, filters: flt.Filters) -> dict[str, Any]:
        until = parse_timestamp_ns(filters["until"][-1]) if "until" in filters else None
        deleted = []
        reclaimed = 0
        for container in list(self._containers.values()):
            if container.state.Running or container.state.Status in (REMOVING, RESTARTING):
                continue
            if until is not None and container.created_ns >= until:
                continue
            if "label" in filters and not flt.match_labels(filters["label"], container.labels):
                continue
            if "label!" in filters and flt.match_labels(filters["label!"], container.labels):
                continue
            reclaimed += self._snapshots.rw_size(container.id)
            await self.remove(container.id)
            deleted.append(container.id)
        return {"ContainersDeleted": deleted or None, "SpaceReclaimed": reclaimed}

    # --- attach and logs --------------------------------------------------------------------
    async def attach(self, ref: str) -> ContainerStream | None:
        """A stream to the container's stdio; waits for start if it is not running yet.

        Returns None if the container is stopped and is not being started.
        """
        container = self.get(ref)
        self._event(container, "attach")
        if container.state.Running:
            try:
                return await self._attachments.stdio(container.id, self._runtime(container))
            except OSError:
                return None
        return await self._attachments.wait_for_start(container.id)

    def resize(self, ref: str, height: int, width: int) -> None:
        container = self.get(ref)
        if not container.state.Running:
            raise Conflict(f"Container {container.id} is not running")
        self._runtime(container).resize(container.id, height, width)

    # --- daemon start and stop --------------------------------------------------------------
    async def restore(self) -> None:
        """Re-attach to containers that kept running while skiffd was down; apply policies."""
        for container in list(self._containers.values()):
            if container.state.Restarting:
                container.state.Restarting = False
                container.state.Status = EXITED
                self._save(container)
            if container.state.Status == REMOVING:
                container.state.Status = DEAD
                container.state.Dead = True
                self._save(container)
            if not container.state.Running:
                continue
            runtime = self._runtimes.get(container.runtime)
            if runtime is None:
                continue
            directory = self._dir(container)
            if runtime.exit_status(container.id) is not None or not runtime.monitor_alive(
                    container.id):
                if runtime.exit_status(container.id) is None:
                    await self._force_exit(container)
                    continue
                driver = self._open_log(container, running=True)
                self._logs.start(container.id, directory, driver,
                                 lambda: None)
                await self._handle_exit(container.id)
                continue
            driver = self._open_log(container, running=True)
            self._logs.start(container.id, directory, driver,
                             functools.partial(runtime.reopen_journal, container.id))
            if self.sandboxes is not None:
                await self.sandboxes.resume(container)
            for observer in self.observers:
                observer.started(container)

    async def start_by_policy(self) -> None:
        """Start stopped containers whose restart policy asks for it when skiffd starts."""
        for container in list(self._containers.values()):
            if (container.state.Status == EXITED and container.has_been_started
                    and restart.at_daemon_start(container.host_config,
                                                container.manually_stopped)):
                try:
                    async with container.lock:
                        await self._start_locked(container)
                except SkiffError as exc:
                    log.warning("could not start %s: %s", container.id[:12], exc)

    async def shutdown(self, live_restore: bool) -> None:
        """Stop copying logs; without live restore, stop every container first."""
        self._closing = True
        for task in list(self._restarts.values()):
            task.cancel()
        if not live_restore:
            running = [c for c in self._containers.values() if c.state.Running]
            await asyncio.gather(*(self._stop(c, None, None) for c in running),
                                 return_exceptions=True)
            if self._tasks:  # let exit handling finish so states are saved
                await asyncio.wait(list(self._tasks), timeout=10)
        await self._logs.close()
        for task in list(self._tasks):
            task.cancel()
