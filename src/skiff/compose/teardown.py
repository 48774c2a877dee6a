"""``down``, ``rm`` and ``stop``'s kin: the project's containers stopped and removed in reverse
dependency order, then its networks, and with ``-v`` its volumes, with ``--rmi`` its images."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from skiff.client import APIError, Client
from skiff.compose import labels as L
from skiff.compose import observe
from skiff.compose.graph import Graph
from skiff.compose.model import Project
from skiff.compose.observe import Observed
from skiff.compose.progress import Progress


@dataclass(frozen=True)
class DownOptions:
    volumes: bool = False
    remove_orphans: bool = False
    rmi: str = ""  # "", "local" or "all"
    timeout: int | None = None
    services: tuple[str, ...] = ()
    parallel: int | None = None  # at most that many services at once; None: no limit


def _stop_in_order(client: Client, progress: Progress, project: Project,
                   containers: list[Observed], options: DownOptions) -> None:
    """Orphans first, then each service once every service that needs it has stopped,
    services that do not wait for each other concurrently (as compose v2 walks the graph)."""
    timeout, volumes = options.timeout, options.volumes
    rest = [c for c in containers if c.service not in project.services]
    if rest:
        stop_and_remove(client, progress, rest, timeout, volumes=volumes)
    by_service: dict[str, list[Observed]] = {}
    for container in containers:
        if container.service in project.services:
            by_service.setdefault(container.service, []).append(container)
    Graph(project.services).walk(
        lambda name: stop_and_remove(client, progress, by_service[name], timeout,
                                     volumes=volumes),
        only=set(by_service), reverse=True, workers=options.parallel)


def stop_and_remove(client: Client, progress: Progress, containers: list[Observed],
                    timeout: int | None, remove: bool = True, volumes: bool = False) -> None:
    """Stop (and remove) these containers, all at once; their anonymous volumes go too with
    ``volumes``."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda c: _stop_and_remove(client, progress, c, timeout, remove,
                                                 volumes), containers))


def _stop_and_remove(client: Client, progress: Progress, container: Observed,
                     timeout: int | None, remove: bool, volumes: bool) -> None:
    if container.state in ("running", "paused", "restarting"):
        progress.event("Container", container.name, "Stopping")
        try:
            client.containers.stop(container.id, timeout)
        except APIError as exc:
            if not exc.not_found:
                raise
        progress.event("Container", container.name, "Stopped")
    if remove:
        progress.event("Container", container.name, "Removing")
        try:
            client.containers.remove(container.id, force=True, volumes=volumes)
        except APIError as exc:
            if not exc.not_found:
                raise
        progress.event("Container", container.name, "Removed")


def down(client: Client, project: Project, progress: Progress, options: DownOptions) -> None:
    containers = observe.containers(client, project.name, oneoff=None)
    if not options.remove_orphans:
        containers = [c for c in containers if c.service in project.services or c.oneoff]
    if options.services:
        containers = [c for c in containers if c.service in options.services]
    _stop_in_order(client, progress, project, containers, options)
    if options.services:
        return
    for key, network in sorted(project.networks.items()):
        if network.external:
            continue
        name = network.name or key
        try:
            found = client.networks.inspect(name)
        except APIError as exc:
            if exc.not_found:
                continue
            raise
        if (found.get("Labels") or {}).get(L.PROJECT) not in (None, project.name):
            continue
        progress.event("Network", name, "Removing")
        try:
            client.networks.remove(found["Id"])
            progress.event("Network", name, "Removed")
        except APIError as exc:
            progress.event("Network", name, f"Error: {exc.message}")
    declared = {n.name or k for k, n in project.networks.items()}
    for found in client.networks.list({"label": [f"{L.PROJECT}={project.name}"]}):
        if found["Name"] in declared:  # what the files no longer declare goes too
            continue
        progress.event("Network", found["Name"], "Removing")
        try:
            client.networks.remove(found["Id"])
            progress.event("Network", found["Name"], "Removed")
        except APIError as exc:
            progress.event("Network", found["Name"], f"Error: {exc.message}")
    if options.volumes:
        for key, volume in sorted(project.volumes.items()):
            if volume.external:
                continue
            name = volume.name or key
            try:
                progress.event("Volume", name, "Removing")
                client.volumes.remove(name)
                progress.event("Volume", name, "Removed")
            except APIError as exc:
                if not exc.not_found:
                    progress.event("Volume", name, f"Error: {exc.message}")
    if options.rmi:
        for service in project.services.values():
            if options.rmi == "local" and service.image:
                continue
            name = project.image_of(service)
            try:
                client.images.remove(name)
                progress.event("Image", name, "Removed")
            except APIError as exc:
                if not exc.not_found:
                    progress.event("Image", name, f"Error: {exc.message}")
