"""Events: published by services, kept in the store so history survives a restart, streamed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from skiff.api import filters as flt
from skiff.api.timefmt import now_ns
from skiff.engine.telemetry import NOWHERE, Telemetry
from skiff.store.db import Database

Event = dict[str, Any]
KEEP = 100_000


def matches(event: Event, filters: flt.Filters) -> bool:
    """Docker's event filters: every key must match, values of one key are alternatives."""
    actor = event["Actor"]
    attrs = actor.get("Attributes", {})
    etype = event["Type"]
    for key, values in filters.items():
        if key == "type" and etype not in values:
            return False
        if key == "event" and not any(
            event["Action"] == v or event["Action"].split(":", 1)[0] == v for v in values
        ):
            return False
        if key == "scope" and event.get("scope", "local") not in values:
            return False
        if key == "label" and not flt.match_labels(values, attrs):
            return False
        if key in ("container", "image", "network", "volume", "plugin", "daemon", "node",
                   "service", "secret", "config"):
            wanted_type = key
            if etype != wanted_type and not (key == "image" and etype == "container"):
                return False
            if key == "image" and etype == "container":
                candidates = {attrs.get("image", "")}
            else:
                candidates = {actor["ID"], attrs.get("name", "")}
            if not any(c and (c == v or (len(v) >= 1 and c.startswith(v) and key != "image"))
                       for c in candidates for v in values):
                return False
    return True


class EventService:
    """Publishes events to the store and to live subscribers."""

    def __init__(self, db: Database, telemetry: Telemetry = NOWHERE) -> None:
        self.telemetry = telemetry
        self._db = db
        self._subscribers: set[asyncio.Queue[Event]] = set()
        self._count = 0

    @property
    def subscribers(self) -> int:
        """How many streams follow the events now."""
        return len(self._subscribers)

    def publish(self, etype: str, action: str, actor_id: str,
                attributes: dict[str, str] | None = None) -> Event:
        ns = now_ns()
        event: Event = {
            "Type": etype,
            "Action": action,
            "Actor": {"ID": actor_id, "Attributes": dict(attributes or {})},
            "scope": "local",
            "time": ns // 1_000_000_000,
            "timeNano": ns,
        }
        if etype == "container":
            event["status"] = action
            event["id"] = actor_id
            event["from"] = event["Actor"]["Attributes"].get("image", "")
        self._db.append_event(ns, event)
        self.telemetry.event(etype, action)
        self._count += 1
        if self._count % 1000 == 0:
            self._db.trim_events(KEEP)
        for queue in list(self._subscribers):
            queue.put_nowait(event)
        return event

    async def stream(self, since_ns: int | None, until_ns: int | None,
                     filters: flt.Filters) -> AsyncIterator[Event]:
        """Past events from ``since`` then live ones until ``until`` (forever if None)."""
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._subscribers.add(queue)
        try:
            last_ns = -1
            if since_ns is not None:
                upper = min(until_ns, now_ns()) if until_ns is not None else now_ns()
                for event in self._db.events_between(since_ns, upper):
                    last_ns = event["timeNano"]
                    if matches(event, filters):
                        yield event
            if until_ns is not None and until_ns <= now_ns():
                return
            while True:
                timeout = None
                if until_ns is not None:
                    timeout = max(0.0, (until_ns - now_ns()) / 1e9)
                try:
                    event = await asyncio.wait_for(queue.get(), timeout)
                except TimeoutError:
                    return
                if event["timeNano"] <= last_ns:
                    continue
                if until_ns is not None and event["timeNano"] > until_ns:
                    return
                if matches(event, filters):
                    yield event
        finally:
            self._subscribers.discard(queue)
