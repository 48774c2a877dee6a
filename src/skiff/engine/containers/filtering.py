"""Which containers ``GET /containers/json`` returns for a set of filters."""

from __future__ import annotations

import re
from collections.abc import Callable

from skiff.api import filters as flt
from skiff.engine.containers.model import EXITED, Container
from skiff.errdefs import InvalidParameter

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


def matches(container: Container, filters: flt.Filters, get: Callable[[str], Container],
            image_id_of: Callable[[str], str | None]) -> bool:
    """Docker's ``ps`` filters: every key must match; values of one key are alternatives."""
    for key, values in filters.items():
        if key == "id" and not any(container.id.startswith(v) for v in values):
            return False
        if key == "name" and not any(re.search(v.lstrip("/"), container.name)
                                     for v in values):
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
        if key in ("network", "publish", "expose", "volume") and values:
            return False
    return True
