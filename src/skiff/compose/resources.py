"""A project's networks and volumes: made with compose's labels when missing, external ones
required to exist."""

from __future__ import annotations

from typing import Any

from skiff.client import APIError, Client
from skiff.compose import labels as L
from skiff.compose.canonical import ComposeError
from skiff.compose.model import Project
from skiff.compose.progress import Progress


class Resources:
    def __init__(self, client: Client, project: Project, progress: Progress) -> None:
        self.client, self.project, self.progress = client, project, progress

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


def _pascal(key: str) -> str:
    return {"ip_range": "IPRange", "aux_addresses": "AuxiliaryAddresses"}.get(
        key, key[:1].upper() + key[1:])
