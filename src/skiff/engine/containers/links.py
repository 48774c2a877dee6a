"""Legacy container links (``--link other:alias``), as Docker keeps them.

On the default bridge a link gives the linking container an /etc/hosts line and environment
variables describing the linked one: its address, exposed ports, name and environment. On a
user-defined network a link is only an alias that the linking container's DNS lookups resolve
to the linked container.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from skiff.engine.containers.model import Container
from skiff.errdefs import Conflict, InvalidParameter, NotFound

_SKIPPED_ENV = ("HOME", "PATH")


def parse(spec: str) -> tuple[str, str]:
    """``other:alias`` -> (other, alias); ``other`` -> (other, other); leading ``/`` dropped.

    The inspect form ``/other:/me/alias`` parses too (its alias is the last element).
    """
    name, _, alias = spec.partition(":")
    name = name.lstrip("/")
    alias = alias.rsplit("/", 1)[-1] if alias else name
    if not name or not alias or "/" in name:
        raise InvalidParameter(f"invalid link: {spec!r}")
    return name, alias


def aliases(specs: list[str] | None) -> dict[str, str]:
    """alias -> linked container's name, for the DNS of a container on a user network."""
    result = {}
    for spec in specs or []:
        name, alias = parse(spec)
        result[alias] = name
    return result


def on_default_bridge(host_config: dict[str, Any]) -> bool:
    return (host_config.get("NetworkMode") or "default") in ("default", "bridge")


def register(host_config: dict[str, Any],
             get: Callable[[str], Container]) -> dict[str, str]:
    """Check a new container's links; alias -> linked container ID (default bridge only).

    On user-defined networks links stay names, resolved when looked up; host and
    container network modes cannot have links at all.
    """
    specs = [str(s) for s in host_config.get("Links") or []]
    mode = str(host_config.get("NetworkMode") or "default")
    if not specs:
        return {}
    if mode == "host" or mode.startswith("container:"):
        raise InvalidParameter("conflicting options: host type networking can't be used with "
                               "links. This would result in undefined behavior")
    parsed = [parse(spec) for spec in specs]
    if not on_default_bridge(host_config):
        return {}
    result = {}
    for name, alias in parsed:
        try:
            child = get(name)
        except NotFound as exc:  # 400, not 404: clients would take a 404 for a missing image
            raise InvalidParameter(f"could not get container for {name}: {exc.message}") \
                from None
        if (child.host_config.get("NetworkMode") or "") == "host":
            raise InvalidParameter("conflicting options: host type networking can't be used "
                                   "with links. This would result in undefined behavior")
        result[alias] = child.id
    return result


def for_start(container: Container, get: Callable[[str], Container | None]
              ) -> tuple[list[str], list[tuple[str, str]]]:
    """The environment and /etc/hosts lines of a starting container's links.

    Every linked container must be running (Docker's 409 otherwise); one that is not on the
    default bridge gives nothing.
    """
    env: list[str] = []
    hosts: list[tuple[str, str]] = []
    for alias, child_id in sorted(container.links.items()):
        child = get(child_id)
        if child is None or not child.state.Running:
            child_name = child.name if child is not None else child_id[:12]
            raise Conflict(f"Cannot link to a non running container: /{child_name} AS "
                           f"/{container.name}/{alias}")
        bridge = (child.networking.get("Settings") or {}).get("bridge") or {}
        address = str(bridge.get("IPAddress") or "")
        if address:
            env += environment(alias, container.name, child, address)
            hosts.append(hosts_entry(alias, child, address))
    return env, hosts


def rendered(container: Container, get: Callable[[str], Container | None]) -> list[str] | None:
    """``HostConfig.Links`` as inspect shows it: ``/child:/parent/alias`` on the bridge."""
    if not container.links:
        return container.host_config.get("Links") or None
    result = []
    for alias, child_id in sorted(container.links.items()):
        child = get(child_id)
        if child is not None:
            result.append(f"/{child.name}:/{container.name}/{alias}")
    return result or None


def names_of_children(everyone: Iterable[Container]) -> dict[str, list[str]]:
    """child ID -> the extra names it has as a linked container, ``/parent/alias`` each."""
    names: dict[str, list[str]] = {}
    for parent in everyone:
        for alias, child_id in parent.links.items():
            names.setdefault(child_id, []).append(f"/{parent.name}/{alias}")
    return {child_id: sorted(found) for child_id, found in names.items()}


def _exposed(child: Container) -> list[tuple[int, str]]:
    ports = []
    for key in child.config.get("ExposedPorts") or {}:
        number, _, proto = str(key).partition("/")
        if number.isdigit():
            ports.append((int(number), proto or "tcp"))
    return sorted(ports)


def environment(alias: str, parent_name: str, child: Container, address: str) -> list[str]:
    """The ``ALIAS_PORT…``, ``ALIAS_NAME`` and ``ALIAS_ENV_…`` variables of one link."""
    prefix = alias.upper().replace("-", "_")
    env = []
    ports = _exposed(child)
    if ports:
        number, proto = ports[0]
        env.append(f"{prefix}_PORT={proto}://{address}:{number}")
    for number, proto in ports:
        key = f"{prefix}_PORT_{number}_{proto.upper()}"
        env += [f"{key}={proto}://{address}:{number}", f"{key}_ADDR={address}",
                f"{key}_PORT={number}", f"{key}_PROTO={proto}"]
    env.append(f"{prefix}_NAME=/{parent_name}/{alias}")
    for variable in child.config.get("Env") or []:
        name, sep, value = str(variable).partition("=")
        if sep and name not in _SKIPPED_ENV:
            env.append(f"{prefix}_ENV_{name}={value}")
    return env


def hosts_entry(alias: str, child: Container, address: str) -> tuple[str, str]:
    """(address, ``alias hostname name``), the name only when it differs from the alias."""
    names = [alias, str(child.config.get("Hostname") or child.id[:12])]
    if child.name != alias:
        names.append(child.name)
    return address, " ".join(names)
