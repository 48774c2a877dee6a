"""``up`` and ``create``: the project's networks and volumes made, its images built or found,
and each service's containers brought to what it declares, in dependency order (independent
services at the same time), each service started once its dependencies meet their
conditions."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from skiff.client import APIError, Client
from skiff.compose import containerspec, observe
from skiff.compose import labels as L
from skiff.compose.canonical import ComposeError
from skiff.compose.confighash import config_hash
from skiff.compose.gates import Gates
from skiff.compose.graph import Graph
from skiff.compose.images import Images
from skiff.compose.injected import Injector
from skiff.compose.loader import Loaded
from skiff.compose.model import Project, Service, replace
from skiff.compose.observe import Observed
from skiff.compose.progress import Progress
from skiff.compose.reconcile import Action, Desired, Policy, orphans, service_actions
from skiff.compose.resources import Resources


@dataclass(frozen=True)
class UpOptions:
    services: tuple[str, ...] = ()
    build: bool = False
    no_build: bool = False
    force_recreate: bool = False
    no_recreate: bool = False
    no_deps: bool = False
    no_start: bool = False
    remove_orphans: bool = False
    scale: dict[str, int] = field(default_factory=dict)
    timeout: int | None = None  # seconds to stop a container being replaced
    wait_timeout: float = 300.0  # the longest wait for a dependency's condition
    renew_anon_volumes: bool = False  # -V: replacements get new anonymous volumes
    pull: str = "policy"  # --pull always|missing|never|policy


class Converger:
    def __init__(self, client: Client, loaded: Loaded, progress: Progress,
                 parallel: int | None = None) -> None:
        """``parallel``: at most that many services at once (``--parallel``), else no limit."""
        self.client, self.loaded, self.progress = client, loaded, progress
        self.parallel = parallel
        self.project: Project = loaded.project
        self.graph = Graph(self.project.services)
        self.resources = Resources(client, self.project, progress)
        self.images = Images(client, self.project, progress)
        self.gates = Gates(client, self.project, progress)
        self.injector = Injector(client, self.project, loaded.variables)
        self.service_images: dict[str, str] = {}  # service -> the image ID it runs
        self._lock = threading.Lock()

    # resources
    def targets(self, services: tuple[str, ...], no_deps: bool = False) -> set[str]:
        for name in services:
            if name not in self.project.services:
                raise ComposeError(f"no such service: {name}")
        if not services:
            return set(self.project.services)
        return set(services) if no_deps else self.graph.closure(services)

    # containers
    def up(self, options: UpOptions) -> list[str]:
        """Converge the services named (all when none) and what they need; the IDs of their
        containers."""
        targets = self.targets(options.services, options.no_deps)
        for name in targets:
            scale = options.scale.get(name)
            if scale is not None and scale < 0:
                raise ComposeError(f"invalid scale for {name}: {scale}")
        for name in sorted(targets):  # images first: a missing one leaves nothing made
            self.service_images[name] = self.images.resolve(
                self.project.services[name], options.build, options.no_build, options.pull)
        self.resources.networks(targets)
        self.resources.volumes(targets)
        observed = observe.containers(self.client, self.project.name)
        gone = orphans(set(self.project.services), observed)
        if gone and options.remove_orphans:
            for container in gone:
                self._remove(container)
        elif gone:
            self.progress.warn(f"Found orphan containers ({', '.join(c.name for c in gone)}) "
                               f"for this project. If you removed or renamed this service in "
                               f"your compose file, you can run this command with the "
                               f"--remove-orphans flag to clean it up.")
        policy = Policy(options.force_recreate, options.no_recreate, not options.no_start)
        ids: list[str] = []
        changed: set[str] = set()  # services whose containers were made anew

        def converge(name: str) -> None:
            service = self.project.services[name]
            replicas = options.scale.get(name, service.replicas)
            desired = Desired(name, replicas, config_hash(self._referenced(service)),
                              self.service_images[name])
            actions = service_actions(desired, observed, policy)
            with self._lock:
                if any(a.kind in ("create", "recreate") for a in actions):
                    changed.add(name)
                restarted = {d for d, c in service.depends_on.items()
                             if c.restart and d in changed}
            if restarted and not options.no_start:  # depends_on restart: true
                actions = [Action("restart", a.service, a.number, a.container)
                           if a.kind == "keep" else a for a in actions]
            if not options.no_start and not options.no_deps:
                self.gates.dependencies(service, targets, options.wait_timeout)
            removes = [a for a in actions if a.kind == "remove"]
            rest = [a for a in actions if a.kind != "remove"]
            with ThreadPoolExecutor(max_workers=8) as pool:  # replicas at the same time
                list(pool.map(lambda a: self.apply(a, service, options), removes))
                made = list(pool.map(lambda a: self.apply(a, service, options), rest))
            with self._lock:
                ids.extend(i for i in made if i)

        self.graph.walk(converge, only=targets, workers=self.parallel)
        return ids

    def apply(self, action: Action, service: Service, options: UpOptions) -> str | None:
        if action.kind == "remove" and action.container is not None:
            self._remove(action.container, options.timeout)
            return None
        if action.kind == "keep" and action.container is not None:
            self.progress.event("Container", action.container.name, "Running")
            return action.container.id
        if action.kind == "restart" and action.container is not None:
            self.progress.event("Container", action.container.name, "Restarting")
            self.client.containers.restart(action.container.id, options.timeout)
            self.progress.event("Container", action.container.name, "Started")
            return action.container.id
        if action.kind == "start" and action.container is not None:
            self._start(action.container.id, action.container.name)
            return action.container.id
        if action.kind == "recreate" and action.container is not None:
            return self._recreate(action.container, service, options)
        return self.create(service, action.number, start=not options.no_start)

    def create(self, service: Service, number: int, start: bool = True,
               replaces: str | None = None, oneoff: bool = False,
               body_changes: dict[str, Any] | None = None) -> str:
        name = containerspec.container_name(self.project, service, number)
        self.progress.event("Container", name, "Creating")
        body = containerspec.create_body(
            self.project, service, number, self.service_images.get(service.name, ""),
            str(self.loaded.working_dir), [str(f) for f in self.loaded.files], oneoff,
            {L.CONFIG_HASH: config_hash(self._referenced(service)),
             **({L.REPLACE: replaces} if replaces else {})})
        for key, value in (body_changes or {}).items():
            if key == "_mounts":  # volumes carried over from the container replaced
                targets = {m["Target"] for m in value}
                body["HostConfig"]["Mounts"] = [
                    *(m for m in body["HostConfig"].get("Mounts") or []
                      if m["Target"] not in targets), *value]
            elif key == "HostConfig":
                body["HostConfig"].update(value)
            else:
                body[key] = value
        for key, mode in (("NetworkMode", service.network_mode), ("PidMode", service.pid),
                           ("IpcMode", service.ipc)):
            if mode and mode.startswith("service:"):
                body["HostConfig"][key] = "container:" + self._first_of(mode.partition(":")[2])
        body["HostConfig"]["VolumesFrom"] = [
            v if v.startswith("container:") or v.partition(":")[0] not in
            self.project.services else self._first_of(v.partition(":")[0]) +
            (":" + v.partition(":")[2] if ":" in v else "")
            for v in body["HostConfig"].get("VolumesFrom") or []] or None
        created = self.client.containers.create(body, name)
        container_id = str(created["Id"])
        joined = containerspec.networks(self.project, service, name)
        for network, endpoint in joined.rest:
            self.client.networks.connect(network, container_id, endpoint)
        self.injector.copy(container_id, service)
        self.progress.event("Container", name, "Created")
        if start:
            self._start(container_id, name)
        return container_id

    def _first_of(self, service: str) -> str:
        """The container of a service another shares: the first by name, as compose picks."""
        found = [c for c in observe.containers(self.client, self.project.name)
                 if c.service == service]
        if not found:
            raise ComposeError(f"service {service} has no container to share")
        return min(found, key=lambda c: c.name).id

    def _referenced(self, service: Service) -> Service:
        """The service as compose v2 hashes it when it makes a container: the services its
        namespaces and ``volumes_from`` name replaced by their containers' IDs."""
        update: dict[str, Any] = {}
        try:
            for key in ("network_mode", "ipc", "pid"):
                value = getattr(service, key)
                if value and value.startswith("service:"):
                    update[key] = "container:" + self._first_of(value.partition(":")[2])
            if service.volumes_from:
                update["volumes_from"] = [
                    v.split(":")[1] if v.startswith("container:") else
                    self._first_of(v.split(":")[0]) for v in service.volumes_from]
        except ComposeError:
            return service  # nothing to share yet: hashed as written
        return replace(service, **update) if update else service

    def _start(self, container_id: str, name: str) -> None:
        self.progress.event("Container", name, "Starting")
        try:
            self.client.containers.start(container_id)
        except APIError:
            self.progress.event("Container", name, "Error")
            raise
        self.progress.event("Container", name, "Started")

    def _recreate(self, old: Observed, service: Service, options: UpOptions) -> str:
        self.progress.event("Container", old.name, "Recreate")
        if old.state in ("running", "paused", "restarting"):
            self.client.containers.stop(old.id, options.timeout)
        self.client.containers.rename(old.id, f"{old.id[:12]}_{old.name}")
        kept = [] if options.renew_anon_volumes else self._anonymous_volumes(old.id, service)
        new_id = self.create(service, old.number, start=False, replaces=old.id,
                             body_changes={"_mounts": kept} if kept else None)
        self.client.containers.remove(old.id, force=True)
        self.progress.event("Container", old.name, "Recreated")
        if not options.no_start:
            self._start(new_id, old.name)
        return new_id

    def _anonymous_volumes(self, container_id: str, service: Service) -> list[dict[str, Any]]:
        """The anonymous volumes of a container being replaced (those of the image's VOLUME
        and of targets the service gives no source), mounted again on its replacement so
        their data stays, as compose keeps them (``-V`` renews them)."""
        named = {m.target for m in service.volumes if m.source or m.type != "volume"}
        mounts = self.client.containers.inspect(container_id).get("Mounts") or []
        return [{"Type": "volume", "Source": m["Name"], "Target": m["Destination"],
                 "ReadOnly": not m.get("RW", True)}
                for m in mounts if m.get("Type") == "volume" and m.get("Name")
                and m.get("Destination") not in named]

    def _remove(self, container: Observed, timeout: int | None = None) -> None:
        self.progress.event("Container", container.name, "Stopping")
        if container.state in ("running", "paused", "restarting"):
            self.client.containers.stop(container.id, timeout)
        self.progress.event("Container", container.name, "Stopped")
        self.progress.event("Container", container.name, "Removing")
        self.client.containers.remove(container.id, force=True)
        self.progress.event("Container", container.name, "Removed")

