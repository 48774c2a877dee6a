"""What to do to make a project's containers match its services: pure, from the desired
services and the observed containers to a list of actions per service, as compose v2 decides
(recreate what changed, keep the rest; scale by container number; orphans)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from skiff.compose.observe import Observed

Kind = Literal["create", "recreate", "start", "keep", "remove", "restart"]


@dataclass(frozen=True)
class Desired:
    """A service as it should run: how many, with which config hash and image."""

    service: str
    replicas: int
    config_hash: str
    image: str  # the image ID it should run


@dataclass(frozen=True)
class Policy:
    force_recreate: bool = False
    no_recreate: bool = False
    start: bool = True  # up --no-start: create only
    recreate_services: frozenset[str] = frozenset()  # forced for these (a dependency changed)


@dataclass(frozen=True)
class Action:
    kind: Kind
    service: str
    number: int
    container: Observed | None = None


def _diverged(desired: Desired, container: Observed) -> bool:
    return container.config_hash != desired.config_hash or (
        bool(desired.image) and container.image != desired.image)


def service_actions(desired: Desired, observed: list[Observed], policy: Policy) -> list[Action]:
    """The actions for one service: extra containers removed (the highest numbers first),
    changed ones recreated, stopped ones started, missing numbers created."""
    mine = sorted((c for c in observed if c.service == desired.service and not c.oneoff),
                  key=lambda c: (c.number, c.created))
    actions: list[Action] = []
    kept: list[Observed] = []
    seen: set[int] = set()
    for container in mine:  # a number held twice: the newer one goes
        if container.number in seen:
            actions.append(Action("remove", desired.service, container.number, container))
        else:
            seen.add(container.number)
            kept.append(container)
    # scale down: the containers beyond the count go, those not running first, then the
    # highest numbers
    ranked = sorted(kept, key=lambda c: (c.state != "running", c.number), reverse=False)
    stay = sorted(ranked[:desired.replicas], key=lambda c: c.number)
    for container in ranked[desired.replicas:]:
        actions.append(Action("remove", desired.service, container.number, container))
    forced = policy.force_recreate or desired.service in policy.recreate_services
    for container in stay:
        if not policy.no_recreate and (forced or _diverged(desired, container)):
            actions.append(Action("recreate", desired.service, container.number, container))
        elif container.state in ("running", "restarting") or not policy.start:
            actions.append(Action("keep", desired.service, container.number, container))
        else:
            actions.append(Action("start", desired.service, container.number, container))
    used = {c.number for c in stay}
    number = 1
    while len(used) < desired.replicas:
        if number not in used:
            actions.append(Action("create", desired.service, number))
            used.add(number)
        number += 1
    return actions


def orphans(services: set[str], observed: list[Observed]) -> list[Observed]:
    """Containers of the project whose service is gone from it."""
    return [c for c in observed if c.service not in services and not c.oneoff]
