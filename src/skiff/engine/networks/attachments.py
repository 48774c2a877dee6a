"""``POST /networks/{id}/connect`` and ``/disconnect``: containers joining and leaving networks.

A stopped container only has its endpoint configuration changed (applied at its next start);
a running one is attached or detached at once.
"""

from __future__ import annotations

import time
from typing import Any

from skiff.engine.containers.model import MODE_LEFT
from skiff.engine.containers.service import ContainerService
from skiff.engine.events import EventService
from skiff.engine.networks.sandbox import Sandboxes
from skiff.engine.networks.service import NetworkService
from skiff.engine.telemetry import NOWHERE, Telemetry
from skiff.errdefs import Forbidden, NotFound


class Attachments:
    """Connects and disconnects containers."""

    def __init__(self, networks: NetworkService, containers: ContainerService,
                 sandboxes: Sandboxes, events: EventService,
                 telemetry: Telemetry = NOWHERE) -> None:
        self._telemetry = telemetry
        self._networks = networks
        self._containers = containers
        self._sandboxes = sandboxes
        self._events = events

    def _event(self, action: str, network_id: str, name: str, container_id: str) -> None:
        self._events.publish("network", action, network_id,
                             {"name": name, "type": "bridge", "container": container_id})

    async def connect(self, network_ref: str, container_ref: str,
                      config: dict[str, Any]) -> None:
        begun = time.perf_counter()
        network = self._networks.get(network_ref)
        container = self._containers.get(container_ref)
        if network.driver != "bridge":
            raise Forbidden(f"container cannot be disconnected from host network or "
                            f"connected to {network.name} network")
        endpoints = dict(container.networking.get("EndpointsConfig") or {})
        mode = container.host_config.get("NetworkMode") or "default"
        rejoins = mode == network.name and container.networking.get(MODE_LEFT)
        if network.name in endpoints or (mode == network.name and not rejoins) or \
                container.id in network.endpoints:
            raise Forbidden(f"endpoint with name {container.name} already exists in network "
                            f"{network.name}")
        if mode == "none":
            raise Forbidden("container cannot be connected to multiple networks with one of "
                            "the networks in private (none) mode")
        if mode == "host" or mode.startswith("container:"):
            raise Forbidden("container sharing network namespace with another container or "
                            "host cannot be connected to any other network")
        async with container.lock:
            if container.state.Running:
                await self._sandboxes.connect(container, network, config)
            endpoints[network.name] = config
            container.networking["EndpointsConfig"] = endpoints
            container.networking.pop(MODE_LEFT, None)
            self._containers.save(container)
            self._containers.refresh_network_files(container)
        self._event("connect", network.id, network.name, container.id)
        self._telemetry.network_action("connect", time.perf_counter() - begun)

    async def disconnect(self, network_ref: str, container_ref: str, force: bool) -> None:
        network = self._networks.get(network_ref)
        if network.driver == "host":
            raise Forbidden("container cannot be disconnected from host network or connected "
                            "to host network")
        try:
            container = self._containers.get(container_ref)
        except NotFound:
            if force and container_ref in network.endpoints:
                network.endpoints.pop(container_ref)
                self._networks.save(network)
                return
            raise
        endpoints = dict(container.networking.get("EndpointsConfig") or {})
        mode = container.host_config.get("NetworkMode") or "default"
        attached = container.id in network.endpoints or network.name in endpoints or \
            (mode == network.name and not container.networking.get(MODE_LEFT))
        if not attached:
            raise Forbidden(f"container {container.id} is not connected to network "
                            f"{network.name}")
        async with container.lock:
            if container.state.Running:
                await self._sandboxes.disconnect(container, network)
            endpoints.pop(network.name, None)
            container.networking["EndpointsConfig"] = endpoints
            if mode == network.name:  # NetworkMode stays, as in Docker; the container has
                container.networking[MODE_LEFT] = True  # left that network until it rejoins
            self._containers.save(container)
            self._containers.refresh_network_files(container)
        self._event("disconnect", network.id, network.name, container.id)
