"""Healthchecks run by skiffd: probes through exec, State.Health, events, on-failure actions.

Beyond Docker, as Podman's ``--health-on-failure``: the label ``io.skiff.health-on-failure``
(``none``, ``kill``, ``stop`` or ``restart``) says what to do when a container turns unhealthy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from dataclasses import dataclass
from typing import Any

from skiff.api.timefmt import now_ns, rfc3339nano
from skiff.engine.containers.execs import ExecService
from skiff.engine.containers.model import Container
from skiff.engine.containers.service import ContainerService
from skiff.engine.events import EventService
from skiff.engine.telemetry import NOWHERE, Telemetry
from skiff.errdefs import SkiffError

log = logging.getLogger(__name__)

STARTING, HEALTHY, UNHEALTHY = "starting", "healthy", "unhealthy"
ON_FAILURE_LABEL = "io.skiff.health-on-failure"
ACTIONS = ("none", "kill", "stop", "restart")
MAX_LOG, MAX_OUTPUT = 5, 4096
SECOND = 1_000_000_000


@dataclass(frozen=True)
class Probe:
    """A container's healthcheck, with Docker's defaults filled in (durations in seconds)."""

    command: list[str]
    interval: float
    timeout: float
    start_period: float
    start_interval: float
    retries: int

    @classmethod
    def of(cls, config: dict[str, Any]) -> Probe | None:
        check = config.get("Healthcheck") or {}
        test = list(check.get("Test") or [])
        if not test or test[0] == "NONE":
            return None
        if test[0] == "CMD":
            command = test[1:]
        elif test[0] == "CMD-SHELL":
            command = ["/bin/sh", "-c", " ".join(test[1:])]
        else:
            command = test
        if not command:
            return None

        def seconds(key: str, default: float) -> float:
            value = int(check.get(key) or 0)
            return value / SECOND if value > 0 else default

        return cls(command, seconds("Interval", 30.0), seconds("Timeout", 30.0),
                   seconds("StartPeriod", 0.0), seconds("StartInterval", 5.0),
                   int(check.get("Retries") or 0) or 3)


class HealthService:
    """One probe loop per running container that has a healthcheck."""

    def __init__(self, containers: ContainerService, execs: ExecService, events: EventService,
                 default_action: str = "none", telemetry: Telemetry = NOWHERE) -> None:
        self._telemetry = telemetry
        self._containers = containers
        self._execs = execs
        self._events = events
        self._default_action = default_action
        self._loops: dict[str, asyncio.Task[None]] = {}
        containers.observers.append(self)

    def started(self, container: Container) -> None:
        probe = Probe.of(container.config)
        if probe is None:
            return
        self.stopped(container)
        container.state.Health = {"Status": STARTING, "FailingStreak": 0, "Log": []}
        self._loops[container.id] = asyncio.get_running_loop().create_task(
            self._loop(container, probe))

    def stopped(self, container: Container) -> None:
        task = self._loops.pop(container.id, None)
        if task is not None:
            task.cancel()

    async def _loop(self, container: Container, probe: Probe) -> None:
        started = now_ns()
        while container.state.Running:
            in_start_period = (now_ns() - started) / SECOND < probe.start_period
            health = container.state.Health or {}
            wait = probe.start_interval if in_start_period and health.get("Status") == STARTING \
                else probe.interval
            await asyncio.sleep(wait)
            if not container.state.Running or container.state.Paused:
                continue
            try:
                result = await self._probe(container, probe)
            except SkiffError as exc:
                result = {"Start": rfc3339nano(now_ns()), "End": rfc3339nano(now_ns()),
                          "ExitCode": -1, "Output": exc.message}
            in_start_period = (now_ns() - started) / SECOND < probe.start_period
            self._record(container, probe, result, in_start_period)

    async def _probe(self, container: Container, probe: Probe) -> dict[str, Any]:
        begin = now_ns()
        exec_id = self._execs.create(container.id, {"Cmd": probe.command, "AttachStdout": True,
                                                    "AttachStderr": True})
        stream = await self._execs.start(exec_id, False, False)
        output = bytearray()

        async def collect() -> None:
            while stream is not None and (message := await stream.read()) is not None:
                if len(output) < MAX_OUTPUT:
                    output.extend(message[1])

        try:
            await asyncio.wait_for(collect(), probe.timeout)
            code = await self._execs.wait(exec_id, probe.timeout)
            if code is None:
                raise TimeoutError
        except TimeoutError:
            instance = self._execs.get(exec_id)
            pid = instance.session.pid if instance.session is not None else instance.pid
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            return {"Start": rfc3339nano(begin), "End": rfc3339nano(now_ns()), "ExitCode": -1,
                    "Output": f"Health check exceeded timeout ({probe.timeout:g}s)"}
        finally:
            if stream is not None:
                stream.close()
        return {"Start": rfc3339nano(begin), "End": rfc3339nano(now_ns()), "ExitCode": code,
                "Output": output[:MAX_OUTPUT].decode(errors="replace")}

    def _record(self, container: Container, probe: Probe, result: dict[str, Any],
                in_start_period: bool) -> None:
        health = container.state.Health or {"Status": STARTING, "FailingStreak": 0, "Log": []}
        before = health["Status"]
        self._telemetry.health_check(container.id, result["ExitCode"] != 0)
        health["Log"] = [*health.get("Log", []), result][-MAX_LOG:]
        if result["ExitCode"] == 0:
            health["FailingStreak"] = 0
            health["Status"] = HEALTHY
        elif not (in_start_period and before == STARTING):
            health["FailingStreak"] = health.get("FailingStreak", 0) + 1
            if health["FailingStreak"] >= probe.retries:
                health["Status"] = UNHEALTHY
        container.state.Health = health
        self._containers.save(container)
        if health["Status"] != before:
            self._events.publish("container", f"health_status: {health['Status']}",
                                 container.id, {"name": container.name,
                                                "image": container.image_ref})
            if health["Status"] == UNHEALTHY:
                self._act(container)

    def _act(self, container: Container) -> None:
        action = container.labels.get(ON_FAILURE_LABEL, self._default_action)
        if action not in ACTIONS or action == "none":
            return
        log.info("container %s is unhealthy: %s", container.id[:12], action)
        if action == "kill":
            todo = self._containers.kill(container.id, "SIGKILL")
        elif action == "stop":
            todo = self._containers.stop(container.id)
        else:
            todo = self._containers.restart(container.id)
        task = asyncio.get_running_loop().create_task(todo)
        task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    async def close(self) -> None:
        for task in self._loops.values():
            task.cancel()
