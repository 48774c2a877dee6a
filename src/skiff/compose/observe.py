"""What a project has on an engine now: its containers, networks and volumes, found by
compose's labels (whichever compose made them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from skiff.compose import labels as L


class Engine(Protocol):
    """The Engine API calls compose observes with (``skiff.client.Client`` has them)."""

    @property
    def containers(self) -> Any: ...

    @property
    def networks(self) -> Any: ...

    @property
    def volumes(self) -> Any: ...

    @property
    def images(self) -> Any: ...


@dataclass(frozen=True)
class Observed:
    """One of the project's containers, as ``GET /containers/json`` lists it."""

    id: str
    name: str
    service: str
    number: int
    config_hash: str
    image: str  # the image ID it was made from (compose's label), or its image
    state: str  # created, running, paused, restarting, exited, dead
    oneoff: bool
    created: int
    labels: dict[str, str]

    @classmethod
    def from_summary(cls, summary: dict[str, Any]) -> Observed:
        labels = summary.get("Labels") or {}
        try:
            number = int(labels.get(L.NUMBER, "0"))
        except ValueError:
            number = 0
        return cls(summary["Id"], (summary.get("Names") or ["/"])[0].lstrip("/"),
                   labels.get(L.SERVICE, ""), number, labels.get(L.CONFIG_HASH, ""),
                   labels.get(L.IMAGE, summary.get("ImageID", "")),
                   summary.get("State", ""), labels.get(L.ONEOFF) == "True",
                   int(summary.get("Created") or 0), labels)


def containers(engine: Engine, project: str, oneoff: bool | None = False) -> list[Observed]:
    found = engine.containers.list(all=True, filters=L.project_filter(project, oneoff))
    return sorted((Observed.from_summary(s) for s in found),
                  key=lambda o: (o.service, o.number, o.created))


def projects(engine: Engine) -> dict[str, list[Observed]]:
    """Every compose project the engine has containers of (for ``ls``)."""
    found = engine.containers.list(all=True, filters={"label": [L.PROJECT]})
    out: dict[str, list[Observed]] = {}
    for summary in found:
        observed = Observed.from_summary(summary)
        out.setdefault(observed.labels.get(L.PROJECT, ""), []).append(observed)
    return out
