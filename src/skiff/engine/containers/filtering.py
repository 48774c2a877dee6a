"""Which containers ``GET /containers/json`` returns for a set of filters."""

from __future__ import annotations

from collections.abc import Callable

from skiff.api import filters as flt
from skiff.engine.containers import views
from skiff.engine.containers.model import EXITED, Container
from skiff.errdefs import InvalidParameter, System

STATUSES = ("created", "restarting", "running", "removing", "paused", "exited", "dead")


def validate(filters: flt.Filters) -> None:
    """Refuse bad values even when no container would be compared with them."""
    for value in filters.get("status", []):
        if value not in STATUSES:
            raise InvalidParameter(f"invalid filter 'status={value}'")
    for value in filters.get("health", []):
        if value not in ("starting", "healthy", "unhealthy", "none"):
            raise InvalidParameter(f"Unrecognised filter value for health: {value}")
    for value in filters.get("exited", []):
        if not value.lstrip("-").isdigit():
            raise InvalidParameter(f"invalid filter 'exited={value}'")
    for key in ("publish", "expose"):
        for value in filters.get(key, []):
            ports(key, value)


def matches(container: Container, filters: flt.Filters, get: Callable[[str], Container],
            image_id_of: Callable[[str], str | None],
            network_id: Callable[[str], str] | None = None) -> bool:
    """Docker's ``ps`` filters: every key must match; values of one key are alternatives."""
    for key, values in filters.items():
        if key == "id" and not any(container.id.startswith(v) for v in values):
            return False
        if key == "name" and not (flt.match(values, "/" + container.name) or
                                  flt.match(values, container.name)):
            return False
        if key == "label" and not flt.match_labels(values, container.labels):
            return False
        if key == "status":
            for value in values:
                if value not in STATUSES:
                    raise InvalidParameter(f"invalid filter 'status={value}'")
            if container.state.Status not in values:
                return False
        if key == "exited":
            codes = []
            for value in values:
                try:
                    codes.append(int(value))
                except ValueError:
                    raise InvalidParameter(f"invalid filter 'exited={value}'") from None
            if container.state.Status != EXITED or container.state.ExitCode not in codes:
                return False
        if key == "ancestor" and container.image_id not in {image_id_of(v) for v in values}:
            return False
        if key in ("before", "since"):
            for value in values:
                pivot = get(value)
                if key == "before" and container.created_ns >= pivot.created_ns:
                    return False
                if key == "since" and container.created_ns <= pivot.created_ns:
                    return False
        if key == "health":
            status = (container.state.Health or {}).get("Status", "none")
            if status not in values:
                return False
        if key == "network" and not _on_network(container, values, network_id):
            return False
        if key == "volume" and not _mounts(container, values):
            return False
    if filters.get("publish") or filters.get("expose"):
        # dockerd's rule: one of the container's ports (as ``ps`` lists them, so only while it
        # runs) is published on a host port of ``publish``, or listens on a container port of
        # ``expose``; the two keys are alternatives, not both required
        published = [ports("publish", v) for v in filters.get("publish", [])]
        exposed = [ports("expose", v) for v in filters.get("expose", [])]
        if not any(_in(published, int(port.get("PublicPort", 0)), port["Type"]) or
                   _in(exposed, int(port["PrivatePort"]), port["Type"])
                   for port in views.summary_ports(container)):
            return False
    return True


def _in(ranges: list[tuple[int, int, str]], port: int, proto: str) -> bool:
    return any(start <= port <= end and proto == wanted for start, end, wanted in ranges)


def _on_network(container: Container, values: list[str],
                network_id: Callable[[str], str] | None = None) -> bool:
    """Attached to, or configured for, a network of that name, or whose ID starts with it
    (``network_id`` finds the ID of a network a stopped container is configured for)."""
    settings = container.networking.get("Settings") or {}
    names = set(settings)
    ids = {str(s.get("NetworkID") or "") for s in settings.values() if isinstance(s, dict)}
    mode = container.host_config.get("NetworkMode") or "default"
    if not mode.startswith("container:"):  # a shared namespace is on no network of its own
        names.add(views.network_mode(container))
    for network, config in (container.networking.get("EndpointsConfig") or {}).items():
        names.add("bridge" if network == "default" else network)
        ids.add(str((config or {}).get("NetworkID") or ""))
    ids |= {n for n in names if len(n) == 64 and all(c in "0123456789abcdef" for c in n)}
    if network_id is not None and container.has_been_started:
        # as Docker: a container that ran keeps its networks' IDs once stopped (one only
        # created has none yet)
        ids |= {network_id(n) for n in names}
    ids.discard("")
    return any(v in names or any(i.startswith(v) for i in ids) for v in values)


def _mounts(container: Container, values: list[str]) -> bool:
    """Mounts a volume of that name, a host path of that name, or anything at that path."""
    mounts = views.mounts(container)
    names = {m.get("Name") or m.get("Source") or "" for m in mounts}
    destinations = {m.get("Destination") or "" for m in mounts} - {""}
    return any(v in destinations or v in names for v in values)


def ports(key: str, value: str) -> tuple[int, int, str]:
    """The ports a ``publish``/``expose`` filter value stands for (first, last, protocol), as
    dockerd reads them: ``<port>[/<proto>]`` or ``<start>-<end>[/<proto>]``, tcp by default.
    A bad value is a 500 with dockerd's words, as dockerd answers."""
    if ":" in value:
        raise System(f"filter for '{key}' should not contain ':': {value}")
    parts = value.split("/")
    if not parts[0]:
        proto, port = "", ""
    elif len(parts) == 1 or not parts[1]:
        proto, port = "tcp", parts[0]
    else:
        proto, port = parts[1], parts[0]
    try:
        start, end = _port_range(port)
    except ValueError as exc:
        raise System(f"error while looking up for {key} {value}: {exc}") from None
    return start, end, proto


def _port_range(text: str) -> tuple[int, int]:
    """go-connections' ``nat.ParsePortRange``, its messages included."""
    if not text:
        raise ValueError("empty string specified for ports")
    if "-" not in text:
        port = _uint16(text)
        return port, port
    parts = text.split("-")
    start, end = _uint16(parts[0]), _uint16(parts[1])
    if end < start:
        raise ValueError(f"invalid range specified for port: {text}")
    return start, end


def _uint16(text: str) -> int:
    """Go's ``strconv.ParseUint(text, 10, 16)``."""
    if not text or not text.isascii() or not text.isdigit():
        raise ValueError(f'strconv.ParseUint: parsing "{text}": invalid syntax')
    if int(text) > 0xFFFF:
        raise ValueError(f'strconv.ParseUint: parsing "{text}": value out of range')
    return int(text)
