"""Exec instances: ``docker exec`` into a running container (kept in memory, as dockerd does)."""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skiff.api import detachkeys
from skiff.drivers.runtime.base import RuntimeError_
from skiff.drivers.runtime.direct_exec import DirectSession
from skiff.drivers.runtime.execs import ExecRequest, ExecSession
from skiff.engine.containers import caps, start_errors, users
from skiff.engine.containers.attach import MonitorStream
from skiff.engine.containers.model import Container
from skiff.engine.containers.service import ContainerService
from skiff.engine.events import EventService
from skiff.errdefs import Conflict, InvalidParameter, NotFound, System

MAX_FINISHED = 1000


@dataclass
class ExecInstance:
    """One exec: what to run, and how it went."""

    id: str
    container_id: str
    config: dict[str, Any]
    running: bool = False
    exit_code: int | None = None
    pid: int = 0
    started: bool = False
    session: ExecSession | DirectSession | None = field(default=None, repr=False)

    def to_api(self) -> dict[str, Any]:
        cmd = list(self.config.get("Cmd") or [])
        return {
            "ID": self.id, "Running": self.running, "ExitCode": self.exit_code,
            "ProcessConfig": {"tty": bool(self.config.get("Tty")),
                              "entrypoint": cmd[0] if cmd else "", "arguments": cmd[1:],
                              "privileged": bool(self.config.get("Privileged")),
                              "user": self.config.get("User") or ""},
            "OpenStdin": bool(self.config.get("AttachStdin")),
            "OpenStderr": bool(self.config.get("AttachStderr")),
            "OpenStdout": bool(self.config.get("AttachStdout")),
            "CanRemove": not self.running and self.started,
            "ContainerID": self.container_id,
            "DetachKeys": self.config.get("DetachKeys") or "",
            "Pid": self.session.pid if self.session is not None else self.pid,
        }


class ExecService:
    """Creates, starts and reports exec instances."""

    def __init__(self, containers: ContainerService, events: EventService) -> None:
        self._containers = containers
        self._events = events
        self._execs: dict[str, ExecInstance] = {}
        self._specs: dict[str, tuple[tuple[str, int], dict[str, Any]]] = {}
        containers.observers.append(self)

    def started(self, container: Container) -> None:
        self._specs.pop(container.id, None)

    def stopped(self, container: Container) -> None:
        self._specs.pop(container.id, None)

    def _running_container(self, ref: str) -> Container:
        container = self._containers.get(ref)
        if container.state.Paused:
            raise Conflict(f"container {container.id} is paused, unpause the container "
                           f"before exec")
        if not container.state.Running or container.state.Restarting:
            raise Conflict(f"container {container.id} is not running")
        return container

    def create(self, ref: str, config: dict[str, Any]) -> str:
        container = self._running_container(ref)
        cmd = config.get("Cmd")
        if isinstance(cmd, str):
            config["Cmd"] = cmd = [cmd]
        if not cmd:
            raise InvalidParameter("No exec command specified")
        detachkeys.parse(config.get("DetachKeys"))  # refuse bad keys now, not at start
        exec_id = secrets.token_hex(32)
        self._execs[exec_id] = ExecInstance(exec_id, container.id, config)
        self._events.publish("container", "exec_create: " + " ".join(cmd), container.id,
                             {"name": container.name, "image": container.image_ref,
                              "execID": exec_id})
        return exec_id

    def get(self, exec_id: str) -> ExecInstance:
        instance = self._execs.get(exec_id)
        if instance is None:
            raise NotFound(f"No such exec instance: {exec_id}")
        return instance

    def inspect(self, exec_id: str) -> dict[str, Any]:
        return self.get(exec_id).to_api()

    def _spec_of(self, container: Container) -> dict[str, Any]:
        """The container's OCI spec, parsed once per start of the container."""
        path = self._containers.bundle_of(container) / "config.json"
        key = (container.id, path.stat().st_mtime_ns)
        cached = self._specs.get(container.id)
        if cached is None or cached[0] != key:
            cached = (key, json.loads(path.read_text()))
            self._specs[container.id] = cached
        return cached[1]

    def _process(self, container: Container, instance: ExecInstance, tty: bool) -> dict[str, Any]:
        """The container's own process spec with the exec's command, env, user and cwd."""
        spec = self._spec_of(container)
        process: dict[str, Any] = dict(spec["process"])
        config = instance.config
        process["args"] = list(config["Cmd"])
        process["terminal"] = tty
        process.pop("consoleSize", None)
        size = config.get("ConsoleSize") or []
        if tty and len(size) == 2 and size[0] and size[1]:  # the terminal starts at its size
            process["consoleSize"] = {"height": int(size[0]), "width": int(size[1])}
        env = list(process.get("env") or [])
        keys = {e.split("=", 1)[0]: i for i, e in enumerate(env)}
        for item in config.get("Env") or []:
            key = item.split("=", 1)[0]
            if key in keys:
                env[keys[key]] = item
            else:
                env.append(item)
        process["env"] = env
        if config.get("WorkingDir"):
            process["cwd"] = config["WorkingDir"]
        if config.get("User"):
            rootfs = Path(spec["root"]["path"])
            user = users.resolve(rootfs, config["User"])
            process["user"] = {"uid": user.uid, "gid": user.gid,
                               **({"additionalGids": list(user.additional_gids)}
                                  if user.additional_gids else {})}
        if config.get("Privileged"):
            every = list(caps.host_caps())
            process["capabilities"] = {k: every for k in ("bounding", "effective",
                                                          "permitted")}
        return process

    async def start(self, exec_id: str, detach: bool, tty: bool | None,
                    console: list[int] | None = None) -> MonitorStream | DirectSession | None:
        """Run the exec; attached sessions get a stream connected before the process runs."""
        instance = self.get(exec_id)
        if instance.started:
            raise Conflict(f"Exec {exec_id} has already been started")
        container = self._running_container(instance.container_id)
        config = instance.config
        use_tty = bool(config.get("Tty")) if tty is None else tty
        attach = not detach and any(config.get(k) for k in ("AttachStdin", "AttachStdout",
                                                           "AttachStderr"))
        instance.started = True
        if console:
            config["ConsoleSize"] = console
        runtime = self._containers.runtime_of(container)
        process = self._process(container, instance, use_tty)
        request = ExecRequest(container.id, exec_id,
                              runtime.exec_bundle(container.id, exec_id), process, use_tty,
                              bool(config.get("AttachStdin")), attach)
        session: ExecSession | DirectSession
        stream: Any
        try:
            if attach and not use_tty:
                session = stream = await runtime.exec_attached(
                    container.id, exec_id, process, bool(config.get("AttachStdin")),
                    _exec_error)
            else:
                session, stream = await runtime.exec(request, MonitorStream.connect)
        except RuntimeError_ as exc:
            if runtime.exit_status(container.id) is not None:
                raise Conflict(f"container {container.id} is not running") from None
            message, instance.exit_code = _exec_error(str(exc))
            raise System(message) from None
        instance.session = session
        instance.pid = session.pid
        instance.running = True
        if console and len(console) == 2 and use_tty:
            session.resize(console[0], console[1])
        self._events.publish("container", "exec_start: " + " ".join(config["Cmd"]),
                             container.id, {"name": container.name,
                                            "image": container.image_ref, "execID": exec_id})
        session.exit_code.add_done_callback(lambda f: self._finished(instance, container, f))
        return stream if isinstance(stream, (MonitorStream, DirectSession)) else None

    def _finished(self, instance: ExecInstance, container: Container,
                  future: asyncio.Future[int]) -> None:
        instance.running = False
        instance.exit_code = future.result() if not future.cancelled() else 137
        self._events.publish("container", "exec_die", container.id,
                             {"name": container.name, "image": container.image_ref,
                              "execID": instance.id, "exitCode": str(instance.exit_code)})
        finished = [e for e in self._execs.values() if not e.running and e.started]
        for old in finished[: max(0, len(finished) - MAX_FINISHED)]:
            self._execs.pop(old.id, None)

    async def wait(self, exec_id: str, timeout: float) -> int | None:
        """The exit code once the session ends (None if it is still running after timeout)."""
        instance = self.get(exec_id)
        if instance.session is None:
            return instance.exit_code
        try:
            return await asyncio.wait_for(asyncio.shield(instance.session.exit_code), timeout)
        except TimeoutError:
            return None

    def resize(self, exec_id: str, height: int, width: int) -> None:
        instance = self.get(exec_id)
        if instance.session is None or not instance.running:
            raise Conflict(f"Exec {exec_id} is not running")
        instance.session.resize(height, width)


def _exec_error(runtime_message: str) -> tuple[str, int]:
    """Docker's wording and exit code for an exec the runtime could not start."""
    message, code = start_errors.docker_start_error(runtime_message)
    message = message.replace("failed to create task for container: OCI runtime create failed",
                              "OCI runtime exec failed")
    return message, code if code in (126, 127) else 126
