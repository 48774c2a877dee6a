"""``system df`` rows and ``events`` messages as template contexts."""

from __future__ import annotations

from typing import Any

from skiff.cli.format.gotemplate import Context, Struct
from skiff.cli.format.units import human_size, rfc3339_local_nano

DF_DEFAULT = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
DF_HEADERS = {"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE",
              "Reclaimable": "RECLAIMABLE"}
ACTIVE_STATES = ("running", "paused", "restarting")


class DiskUsageContext(Context):
    """One line of ``system df``."""

    type_names = {"Images": "Images", "Containers": "Containers", "Local Volumes": "Volumes",
                  "Build Cache": "Builder"}

    def __init__(self, kind: str, total: int, active: int, size: int, reclaimable: int,
                 percent: bool = True) -> None:
        self.kind = kind
        self.type_name = f"*formatter.diskUsage{self.type_names[kind]}Context"
        self.total = total
        self.active = active
        self.size = size
        self.reclaimable = reclaimable
        self.percent = percent

    def Type(self) -> str:
        return self.kind

    def TotalCount(self) -> str:
        return str(self.total)

    def Active(self) -> str:
        return str(self.active)

    def Size(self) -> str:
        return human_size(self.size)

    def Reclaimable(self) -> str:
        text = human_size(self.reclaimable)
        if self.percent and self.size > 0:
            text += f" ({self.reclaimable * 100 // self.size}%)"
        return text

    def template_json(self) -> Any:
        return {name: getattr(self, name)() for name in
                ("Active", "Reclaimable", "Size", "TotalCount", "Type")}


def disk_usage_rows(df: dict[str, Any]) -> list[DiskUsageContext]:
    """The four summary lines from GET /system/df."""
    images = df.get("Images") or []
    layers = int(df.get("LayersSize") or 0)
    used = sum(int(i.get("Size") or 0) - int(i.get("SharedSize") or 0) for i in images
               if int(i.get("Containers") or 0) > 0 and int(i.get("SharedSize", -1)) != -1)
    image_row = DiskUsageContext("Images", len(images),
                                 sum(1 for i in images if int(i.get("Containers") or 0) > 0),
                                 layers, layers - used)
    containers = df.get("Containers") or []
    active = [c for c in containers if c.get("State") in ACTIVE_STATES]
    size = sum(int(c.get("SizeRw") or 0) for c in containers)
    container_row = DiskUsageContext(
        "Containers", len(containers), len(active), size,
        size - sum(int(c.get("SizeRw") or 0) for c in active))
    volumes = df.get("Volumes") or []
    usage = [(v.get("UsageData") or {}) for v in volumes]
    vsize = sum(max(int(u.get("Size") or 0), 0) for u in usage)
    volume_row = DiskUsageContext(
        "Local Volumes", len(volumes), sum(1 for u in usage if int(u.get("RefCount") or 0) > 0),
        vsize, sum(max(int(u.get("Size") or 0), 0) for u in usage
                   if int(u.get("RefCount") or 0) == 0))
    cache = df.get("BuildCache") or []
    csize = sum(int(b.get("Size") or 0) for b in cache if not b.get("Shared"))
    cache_row = DiskUsageContext(
        "Build Cache", len(cache), sum(1 for b in cache if b.get("InUse")), csize,
        sum(int(b.get("Size") or 0) for b in cache if not b.get("InUse") and not b.get("Shared")),
        percent=False)
    return [image_row, container_row, volume_row, cache_row]


class EventContext(Context):
    """One message from GET /events, with Go's field names (events.Message)."""

    type_name = "events.Message"
    json_escapes_html = False

    def __init__(self, event: dict[str, Any]) -> None:
        self.e = event

    def template_field(self, name: str) -> Any:
        actor = self.e.get("Actor") or {}
        fields: dict[str, Any] = {
            "Type": self.e.get("Type", ""), "Action": self.e.get("Action", ""),
            "Actor": Struct({"ID": actor.get("ID", ""),
                             "Attributes": actor.get("Attributes") or {}}),
            "Scope": self.e.get("scope", ""), "Time": self.e.get("time", 0),
            "TimeNano": self.e.get("timeNano", 0), "Status": self.e.get("status", ""),
            "ID": self.e.get("id", ""), "From": self.e.get("from", "")}
        if name not in fields:
            raise KeyError(name)
        return fields[name]

    def template_json(self) -> Any:
        actor = self.e.get("Actor") or {}
        legacy = {k: self.e[k] for k in ("status", "id", "from") if self.e.get(k)}
        return Struct({**legacy, "Type": self.e.get("Type", ""),
                       "Action": self.e.get("Action", ""),
                       "Actor": Struct({"ID": actor.get("ID", ""),
                                        "Attributes": actor.get("Attributes") or {}}),
                       "scope": self.e.get("scope", ""), "time": self.e.get("time", 0),
                       "timeNano": self.e.get("timeNano", 0)})


def event_line(event: dict[str, Any]) -> str:
    """docker's default event line: time type action id (k=v, ...)."""
    nanos = int(event.get("timeNano") or 0) or int(event.get("time") or 0) * 1_000_000_000
    parts = []
    if nanos:
        parts.append(rfc3339_local_nano(nanos) + " ")
    actor = event.get("Actor") or {}
    parts.append(f"{event.get('Type', '')} {event.get('Action', '')} {actor.get('ID', '')}")
    attributes = actor.get("Attributes") or {}
    if attributes:
        parts.append(" (" + ", ".join(f"{k}={attributes[k]}" for k in sorted(attributes)) + ")")
    return "".join(parts)
