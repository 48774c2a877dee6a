"""``config --format json`` as docker compose v2 prints it: compose-go's project (its
services as :mod:`skiff.compose.confighash` writes them, whole) through Go's
``json.MarshalIndent``."""

from __future__ import annotations

import json

from skiff.compose import gojson as g
from skiff.compose.confighash import service_config
from skiff.compose.model import FileObject, Network, Project, Volume


def _labels(labels: dict[str, str] | list[str]) -> dict[str, str]:
    if isinstance(labels, list):
        return {k: v for k, _, v in (x.partition("=") for x in labels)}
    return labels


def _network(network: Network) -> g.Struct:
    n = network
    ipam = n.ipam or {}
    pools = [g.omit(("subnet", p.get("subnet")), ("gateway", p.get("gateway")),
                    ("ip_range", p.get("ip_range")), ("aux_addresses", p.get("aux_addresses")))
             for p in ipam.get("config") or []]
    return g.fields(("name", n.name, True), ("driver", n.driver, True),
                    ("driver_opts", n.driver_opts, True),
                    ("ipam", g.Value(g.omit(("driver", ipam.get("driver")), ("config", pools))),
                     False),
                    ("external", n.external, True), ("internal", n.internal, True),
                    ("attachable", n.attachable, True), ("labels", _labels(n.labels), True),
                    ("enable_ipv4", g.Ptr(n.enable_ipv4) if n.enable_ipv4 is not None
                     else None, True),
                    ("enable_ipv6", g.Ptr(n.enable_ipv6) if n.enable_ipv6 is not None
                     else None, True),
                    (g.INLINE, g.Extensions(n.extensions), True))


def _volume(volume: Volume) -> g.Struct:
    v = volume
    return g.omit(("name", v.name), ("driver", v.driver), ("driver_opts", v.driver_opts),
                  ("external", v.external), ("labels", _labels(v.labels)),
                  (g.INLINE, g.Extensions(v.extensions)))


def _file_object(item: FileObject, secret: bool) -> g.Struct:
    """A top-level secret or config; a secret's content, and a config's taken from the
    environment, are never shown."""
    f = item
    content = None if secret or f.environment else f.content
    return g.omit(("name", f.name), ("file", f.file), ("environment", f.environment),
                  ("content", content), ("external", f.external),
                  ("labels", _labels(f.labels)), ("driver", f.driver),
                  ("template_driver", f.template_driver), (g.INLINE, g.Extensions(f.extensions)))


def project_config(project: Project) -> dict[str, object]:
    """compose-go's ``Project``: its fields in the struct's order, then its ``x-`` keys
    (JSON sorts them all, as Go writes the project as a map)."""
    top: dict[str, object] = {"name": project.name, "services": {
        k: service_config(s, whole=True) for k, s in project.services.items()}}
    if project.networks:
        top["networks"] = {k: _network(n) for k, n in project.networks.items()}
    if project.volumes:
        top["volumes"] = {k: _volume(v) for k, v in project.volumes.items()}
    if project.secrets:
        top["secrets"] = {k: _file_object(v, True) for k, v in project.secrets.items()}
    if project.configs:
        top["configs"] = {k: _file_object(v, False) for k, v in project.configs.items()}
    top.update(sorted(project.extensions.items()))  # at the top level, JSON has them too
    return top


def render(project: Project) -> str:
    """The project's JSON, indented by two spaces, keys where Go puts them."""
    compact = g.dumps(project_config(project))
    text = json.dumps(json.loads(compact), indent=2, ensure_ascii=False)
    for char, escape in g.ESCAPES:
        text = text.replace(char, escape)
    return text  # as compose prints it: no newline at the end
