"""``config``'s output: the project in compose's canonical form (long syntax, resolved
names and paths, what is left unset left out), as YAML or JSON."""

from __future__ import annotations

from typing import Any

from skiff.compose import yamlfile
from skiff.compose.model import Port, Project

# a port's keys in compose's order; everything else is sorted by name
PORT_KEYS = ("name", "mode", "host_ip", "target", "published", "protocol", "app_protocol")
TOP_KEYS = ("name", "services", "networks", "volumes", "secrets", "configs")


def _port(port: Port) -> dict[str, Any]:
    data = port.model_dump(exclude_none=True)
    return {k: data[k] for k in PORT_KEYS if k in data}


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def tree(project: Project) -> dict[str, Any]:
    services: dict[str, Any] = {}
    for name in sorted(project.services):
        service = project.services[name]
        data = service.model_dump(mode="json", exclude_defaults=True,
                                  exclude={"name", "ports", "extends", "networks"})
        data = _sorted(data)
        if service.networks:
            data["networks"] = {k: (v.model_dump(exclude_defaults=True) or None) if v else None
                                for k, v in sorted(service.networks.items())}
        if service.ports:
            data["ports"] = [_port(p) for p in service.ports]
        services[name] = dict(sorted(data.items()))
    out: dict[str, Any] = {"name": project.name, "services": services}
    for kind in TOP_KEYS[2:]:
        items = getattr(project, kind)
        if items:
            out[kind] = {k: _sorted(v.model_dump(mode="json", exclude_defaults=True))
                         for k, v in sorted(items.items())}
    return out


def render(project: Project, fmt: str = "yaml") -> str:
    if fmt == "json":  # compose v2's own rendering of its Go types
        from skiff.compose import configjson

        return configjson.render(project)
    return yamlfile.dump(tree(project))
