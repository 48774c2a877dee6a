"""``up`` and ``create``: the project's networks and volumes made, its images built or found,
and each service's containers brought to what it declares, in dependency order (independent
services at the same time), each service started once its dependencies meet their
conditions."""

from __future__ import annotations

import io
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skiff.client import APIError, Client
from skiff.client.buildcontext import ContextError, context_tar
from skiff.client.errors import StreamError
from skiff.client.streams import raise_stream_errors
from skiff.compose import containerspec, observe
from skiff.compose import labels as L
from skiff.compose.canonical import ComposeError
from skiff.compose.graph import Graph
from skiff.compose.loader import Loaded
from skiff.compose.model import FileRef, Project, Service
from skiff.compose.observe import Observed
from skiff.compose.progress import Progress
from skiff.compose.reconcile import Action, Desired, Policy, orphans, service_actions

POLL = 0.2  # seconds between looks at a dependency's state


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
    def __init__(self, client: Client, loaded: Loaded, progress: Progress) -> None:
        self.client, self.loaded, self.progress = client, loaded, progress
        self.project: Project = loaded.project
        self.graph = Graph(self.project.services)
        self._images: dict[str, str] = {}
        self._lock = threading.Lock()

    # resources
    def targets(self, services: tuple[str, ...], no_deps: bool = False) -> set[str]:
        for name in services:
            if name not in self.project.services:
                raise ComposeError(f"no such service: {name}")
        if not services:
            return set(self.project.services)
        return set(services) if no_deps else self.graph.closure(services)

    def networks(self, services: set[str]) -> None:
        used = {n for s in services for n in self.project.services[s].networks}
        for key in sorted(used):
            network = self.project.networks[key]
            name = network.name or key
            if self._exists(self.client.networks.inspect, name):
                continue
            if network.external:
                raise ComposeError(f"network {name} declared as external, but could not be "
                                   f"found")
            self.progress.event("Network", name, "Creating")
            labels = network.labels if isinstance(network.labels, dict) else \
                dict(item.partition("=")[::2] for item in network.labels)
            body: dict[str, Any] = {
                "Name": name, "Driver": network.driver or "bridge",
                "Options": network.driver_opts, "Internal": network.internal,
                "Attachable": network.attachable, "CheckDuplicate": True,
                "Labels": {**labels, L.PROJECT: self.project.name, L.NETWORK: key,
                           L.VERSION: L.COMPOSE_VERSION}}
            if network.enable_ipv6 is not None:
                body["EnableIPv6"] = network.enable_ipv6
            if network.ipam:
                body["IPAM"] = {"Driver": network.ipam.get("driver") or "default",
                                "Config": [{_pascal(k): v for k, v in c.items()}
                                           for c in network.ipam.get("config") or []],
                                "Options": network.ipam.get("options") or {}}
            self.client.networks.create(body)
            self.progress.event("Network", name, "Created")

    def volumes(self, services: set[str]) -> None:
        used = {m.source for s in services for m in self.project.services[s].volumes
                if m.type == "volume" and m.source}
        for key in sorted(used):
            volume = self.project.volumes[key]
            name = volume.name or key
            if self._exists(self.client.volumes.inspect, name):
                continue
            if volume.external:
                raise ComposeError(f"external volume \"{name}\" not found")
            self.progress.event("Volume", name, "Creating")
            labels = volume.labels if isinstance(volume.labels, dict) else \
                dict(item.partition("=")[::2] for item in volume.labels)
            self.client.volumes.create({
                "Name": name, "Driver": volume.driver or "local",
                "DriverOpts": volume.driver_opts,
                "Labels": {**labels, L.PROJECT: self.project.name, L.VOLUME: key,
                           L.VERSION: L.COMPOSE_VERSION}})
            self.progress.event("Volume", name, "Created")

    @staticmethod
    def _exists(inspect: Any, name: str) -> bool:
        try:
            inspect(name)
            return True
        except APIError as exc:
            if exc.not_found:
                return False
            raise

    # images
    def image(self, service: Service, build: bool, no_build: bool, pull: str = "policy") -> str:
        """The ID of the image a service runs: built when it has ``build:`` and the image is
        missing (or ``--build``, or ``pull_policy: build``), pulled when missing (or
        ``always``), else the one the engine has. ``pull`` is ``up --pull``; ``policy``
        leaves it to the service's ``pull_policy``."""
        name = containerspec.image_name(self.project, service)
        policy = (service.pull_policy or "missing") if pull == "policy" else pull
        if policy not in ("always", "never", "missing", "if_not_present", "build"):
            raise ComposeError(f"invalid pull policy {policy!r} for service {service.name}")
        present = self._image_id(name)
        if service.build is not None and not no_build and (
                build or policy == "build" or present is None):
            return self.build(service)
        if policy == "never" and present is None:
            raise ComposeError(f"image {name} of service {service.name} is not here and its "
                               f"pull policy is never")
        if present is None or (policy == "always" and service.build is None):
            if service.build is not None:
                raise ComposeError(f"image {name} of service {service.name} is not built "
                                   f"(no --no-build)")
            self.progress.event("Image", name, "Pulling")
            try:
                for _ in raise_stream_errors(self.client.images.pull(name)):
                    pass
            except (StreamError, APIError) as exc:
                self.progress.event("Image", name, "Error")
                message = _message(exc)
                raise ComposeError(message if name in message else
                                   f"pull access denied for {name}: {message}") from None
            present = self._image_id(name)
            if present is None:
                raise ComposeError(f"no such image: {name}")
            self.progress.event("Image", name, "Pulled")
        return present

    def _image_id(self, name: str) -> str | None:
        try:
            return str(self.client.images.inspect(name)["Id"])
        except APIError as exc:
            if exc.not_found:
                return None
            raise

    def build(self, service: Service) -> str:
        assert service.build is not None
        spec = service.build
        name = containerspec.image_name(self.project, service)
        dockerfile = spec.dockerfile
        self.progress.event("Service", service.name, "Building")
        try:
            if spec.dockerfile_inline is not None:
                body, dockerfile = _inline_context(Path(spec.context), spec.dockerfile_inline)
            else:
                path = str(Path(spec.context) / dockerfile) if dockerfile and not \
                    Path(dockerfile).is_absolute() else dockerfile
                body, dockerfile = context_tar(spec.context, path)
        except ContextError as exc:
            raise ComposeError(f"building {service.name}: {exc}") from None
        query: dict[str, Any] = {
            "t": [name, *spec.tags], "dockerfile": dockerfile, "target": spec.target,
            "buildargs": _json({k: v for k, v in spec.args.items() if v is not None}),
            "labels": _json({k: v or "" for k, v in spec.labels.items()}),
            "nocache": spec.no_cache or None, "pull": spec.pull or None, "rm": True,
            "forcerm": True, "networkmode": spec.network,
            "cachefrom": _json(spec.cache_from) if spec.cache_from else None,
        }
        image_id = ""
        try:
            for message in raise_stream_errors(self.client.images.build(body, query)):
                if isinstance(message, dict):
                    if message.get("aux", {}).get("ID"):
                        image_id = message["aux"]["ID"]
                    text = message.get("stream") or ""
                    for line in text.splitlines():
                        if line.strip():
                            self.progress.text(f"#{service.name} {line}")
        except (StreamError, APIError) as exc:
            raise ComposeError(f"failed to build {service.name}: {_message(exc)}") from None
        self.progress.event("Service", service.name, "Built")
        return image_id or (self._image_id(name) or "")

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
            self._images[name] = self.image(self.project.services[name], options.build,
                                            options.no_build, options.pull)
        self.networks(targets)
        self.volumes(targets)
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
            desired = Desired(name, replicas, containerspec.config_hash(service),
                              self._images[name])
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
                self.wait_dependencies(service, targets, options.wait_timeout)
            removes = [a for a in actions if a.kind == "remove"]
            rest = [a for a in actions if a.kind != "remove"]
            with ThreadPoolExecutor(max_workers=8) as pool:  # replicas at the same time
                list(pool.map(lambda a: self.apply(a, service, options), removes))
                made = list(pool.map(lambda a: self.apply(a, service, options), rest))
            with self._lock:
                ids.extend(i for i in made if i)

        self.graph.walk(converge, only=targets)
        return ids

    def wait_dependencies(self, service: Service, targets: set[str], limit: float) -> None:
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
            self.project, service, number, self._images.get(service.name, ""),
            str(self.loaded.working_dir), [str(f) for f in self.loaded.files], oneoff,
            {L.REPLACE: replaces} if replaces else None)
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
        if service.network_mode and service.network_mode.startswith("service:"):
            body["HostConfig"]["NetworkMode"] = "container:" + self._first_of(
                service.network_mode.partition(":")[2])
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
        self._copy_files(container_id, service)
        self.progress.event("Container", name, "Created")
        if start:
            self._start(container_id, name)
        return container_id

    def _first_of(self, service: str) -> str:
        found = [c for c in observe.containers(self.client, self.project.name)
                 if c.service == service]
        if not found:
            raise ComposeError(f"service {service} has no container to share")
        return found[0].id

    def _start(self, container_id: str, name: str) -> None:
        self.progress.event("Container", name, "Starting")
        self.client.containers.start(container_id)
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

    def _copy_files(self, container_id: str, service: Service) -> None:
        """Secrets and configs copied into the container with their owner and mode (not
        bound: a bind mount cannot give a file another owner, docker/compose#9648)."""
        entries: list[tuple[str, bytes, FileRef]] = []
        for refs, pool, default in ((service.secrets, self.project.secrets, "/run/secrets/"),
                                    (service.configs, self.project.configs, "/")):
            for ref in refs:
                spec = pool[ref.source]
                target = ref.target or ref.source
                if not target.startswith("/"):
                    target = default + target
                entries.append((target, self._content(ref.source, spec), ref))
        if not entries:
            return
        data = io.BytesIO()
        with tarfile.open(fileobj=data, mode="w") as tar:
            made: set[str] = set()
            for target, content, ref in entries:
                parts = target.strip("/").split("/")
                for depth in range(1, len(parts)):
                    directory = "/".join(parts[:depth])
                    if directory not in made:
                        made.add(directory)
                        info = tarfile.TarInfo(directory)
                        info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, time.time()
                        tar.addfile(info)
                info = tarfile.TarInfo("/".join(parts))
                info.size, info.mtime = len(content), time.time()
                info.uid = int(ref.uid or 0)
                info.gid = int(ref.gid or 0)
                mode = ref.mode if ref.mode is not None else 0o444
                info.mode = int(mode, 8) if isinstance(mode, str) else mode
                tar.addfile(info, io.BytesIO(content))
        self.client.containers.put_archive(container_id, "/", data.getvalue(),
                                           copy_uid_gid=True)

    def _content(self, name: str, spec: Any) -> bytes:
        if spec.file:
            try:
                return Path(spec.file).read_bytes()
            except OSError as exc:
                raise ComposeError(f"secret/config {name}: {spec.file}: {exc.strerror}") from None
        if spec.environment:
            variable = self.loaded.variables.get(spec.environment)
            if variable is None:
                raise ComposeError(f"environment variable {spec.environment} of {name} is not "
                                   f"set")
            return str(variable.value).encode()
        if spec.content is not None:
            return str(spec.content).encode()
        raise ComposeError(f"{name}: external secrets and configs need a swarm")


def _pascal(key: str) -> str:
    return {"ip_range": "IPRange", "aux_addresses": "AuxiliaryAddresses"}.get(
        key, key[:1].upper() + key[1:])


def _json(value: Any) -> str | None:
    import json

    return json.dumps(value) if value else None


def _message(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc)


def _inline_context(context: Path, text: str) -> tuple[bytes, str]:
    """A context whose Dockerfile is ``dockerfile_inline``'s text."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".Dockerfile") as handle:
        handle.write(text)
        handle.flush()
        return context_tar(str(context), handle.name)
