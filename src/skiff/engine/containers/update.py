"""``POST /containers/{id}/update``: the new HostConfig a request asks for (restart policy
and resources, checked as dockerd checks them) and the OCI resources the runtime applies."""

from __future__ import annotations

from typing import Any

from skiff.engine.containers import spec
from skiff.engine.containers.model import Container
from skiff.errdefs import InvalidParameter

POLICIES = ("no", "always", "unless-stopped", "on-failure")


def updated_host_config(container: Container,
                        body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The container's new HostConfig and the resources the request changes."""
    new_host = {**container.host_config}
    resources = {k: v for k, v in body.items() if k != "RestartPolicy" and v is not None}
    new_host.update(resources)
    if body.get("RestartPolicy"):
        policy = body["RestartPolicy"].get("Name") or "no"
        if policy not in POLICIES:
            raise InvalidParameter(f"invalid restart policy '{policy}'")
        if container.host_config.get("AutoRemove") and policy != "no":
            raise InvalidParameter("Restart policy cannot be updated because AutoRemove "
                                   "is enabled for the container")
        new_host["RestartPolicy"] = body["RestartPolicy"]
    old = container.host_config
    if new_host.get("Memory") and old.get("Memory") and "MemorySwap" not in resources and (
            old.get("MemorySwap") == 2 * old.get("Memory", 0) or not old.get("MemorySwap")):
        new_host["MemorySwap"] = 0  # the default swap follows the new memory limit
    return new_host, resources


def oci_resources(host_config: dict[str, Any], swap_supported: bool) -> dict[str, Any]:
    """The ``linux.resources`` a running container's runtime is handed (devices stay)."""
    oci = spec.resources(host_config, swap_supported)
    oci.pop("devices", None)
    return oci
