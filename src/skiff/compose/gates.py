"""``depends_on`` conditions: a service waits until each dependency has started, is healthy
or has completed successfully, for a bounded time."""

from __future__ import annotations

import time

from skiff.client import Client
from skiff.compose import observe
from skiff.compose.canonical import ComposeError
from skiff.compose.model import Project, Service
from skiff.compose.observe import Observed
from skiff.compose.progress import Progress

POLL = 0.2  # seconds between looks at a dependency's state


class Gates:
    def __init__(self, client: Client, project: Project, progress: Progress) -> None:
        self.client, self.project, self.progress = client, project, progress

    def dependencies(self, service: Service, targets: set[str], limit: float) -> None:
        """Block until each dependency meets its condition; a failed one is an error."""
        for dep, condition in service.depends_on.items():
            if dep not in targets or dep not in self.project.services:
                continue
            containers = [c for c in observe.containers(self.client, self.project.name)
                          if c.service == dep]
            for container in containers:
                self._wait(container, condition.condition, limit, condition.required)

    def _wait(self, container: Observed, condition: str, limit: float, required: bool) -> None:
        if condition == "service_started":
            return
        deadline = time.monotonic() + limit
        shown = False
        while True:
            state = self.client.containers.inspect(container.id)["State"]
            health = (state.get("Health") or {}).get("Status")
            if condition == "service_healthy":
                if health is None:
                    raise ComposeError(f"container {container.name} has no healthcheck "
                                       f"configured")
                if health == "healthy":
                    self.progress.event("Container", container.name, "Healthy")
                    return
                if health == "unhealthy" and required:
                    self.progress.event("Container", container.name, "Error")
                    raise ComposeError(f"dependency failed to start: container "
                                       f"{container.name} is unhealthy")
            elif condition == "service_completed_successfully" and \
                    state.get("Status") in ("exited", "dead"):
                code = state.get("ExitCode", 0)
                if code == 0:
                    self.progress.event("Container", container.name, "Exited")
                    return
                raise ComposeError(f"service {container.service!r} didn't complete "
                                   f"successfully: exit {code}")
            if not shown:
                self.progress.event("Container", container.name, "Waiting")
                shown = True
            if time.monotonic() > deadline:
                raise ComposeError(f"container {container.name} did not become "
                                   f"{condition.removeprefix('service_')} within {limit:g} s")
            time.sleep(POLL)
