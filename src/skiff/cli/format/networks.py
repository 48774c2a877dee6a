"""``docker network ls`` and ``docker volume ls`` rows."""

from __future__ import annotations

import re
from typing import Any

from skiff.cli.format.gotemplate import Context
from skiff.cli.format.units import human_size, truncate_id

NETWORK_DEFAULT = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
NETWORK_HEADERS = {"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE",
                   "IPv4": "IPV4", "IPv6": "IPV6", "Internal": "INTERNAL", "Labels": "LABELS",
                   "CreatedAt": "CREATED AT"}
VOLUME_DEFAULT = "table {{.Driver}}\t{{.Name}}"
VOLUME_HEADERS = {"Name": "VOLUME NAME", "Driver": "DRIVER", "Scope": "SCOPE",
                  "Mountpoint": "MOUNTPOINT", "Labels": "LABELS", "Links": "LINKS",
                  "Size": "SIZE", "Availability": "AVAILABILITY", "Group": "GROUP",
                  "Status": "STATUS"}

_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def go_time_string(text: str) -> str:
    """Go's time.Time.String() of an RFC 3339 timestamp ("2006-01-02 15:04:05.9 +0000 UTC")."""
    match = _RFC3339.match(text or "")
    if not match:
        return "0001-01-01 00:00:00 +0000 UTC"
    date, clock, frac, zone = match.groups()
    frac = (frac or "").rstrip("0")
    stamp = f"{date} {clock}" + (f".{frac}" if frac else "")
    if zone == "Z":
        return f"{stamp} +0000 UTC"
    offset = zone.replace(":", "")
    return f"{stamp} {offset} {offset}"


def _labels(labels: dict[str, str] | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items()))


def _label(labels: dict[str, str] | None, name: str) -> str:
    return (labels or {}).get(name, "")


def _bool(value: Any) -> str:
    return "true" if value else "false"


class NetworkContext(Context):
    """One row of ``docker network ls``."""

    type_name = "*formatter.networkContext"

    def __init__(self, network: dict[str, Any], trunc: bool = True) -> None:
        self.n = network
        self.trunc = trunc

    def ID(self) -> str:
        value = str(self.n.get("Id", ""))
        return truncate_id(value) if self.trunc else value

    def Name(self) -> str:
        return str(self.n.get("Name", ""))

    def Driver(self) -> str:
        return str(self.n.get("Driver", ""))

    def Scope(self) -> str:
        return str(self.n.get("Scope", ""))

    def IPv4(self) -> str:
        return _bool(self.n.get("EnableIPv4", True))

    def IPv6(self) -> str:
        return _bool(self.n.get("EnableIPv6"))

    def Internal(self) -> str:
        return _bool(self.n.get("Internal"))

    def Labels(self) -> str:
        return _labels(self.n.get("Labels"))

    def Label(self, name: str) -> str:
        return _label(self.n.get("Labels"), name)

    def CreatedAt(self) -> str:
        return go_time_string(str(self.n.get("Created", "")))

    def template_json(self) -> Any:
        return {name: getattr(self, name)() for name in (
            "CreatedAt", "Driver", "ID", "IPv4", "IPv6", "Internal", "Labels", "Name",
            "Scope")}


class VolumeContext(Context):
    """One row of ``docker volume ls``."""

    type_name = "*formatter.volumeContext"

    def __init__(self, volume: dict[str, Any]) -> None:
        self.v = volume

    def Name(self) -> str:
        return str(self.v.get("Name", ""))

    def Driver(self) -> str:
        return str(self.v.get("Driver", ""))

    def Scope(self) -> str:
        return str(self.v.get("Scope", ""))

    def Mountpoint(self) -> str:
        return str(self.v.get("Mountpoint", ""))

    def Labels(self) -> str:
        return _labels(self.v.get("Labels"))

    def Label(self, name: str) -> str:
        return _label(self.v.get("Labels"), name)

    def Links(self) -> str:
        usage = self.v.get("UsageData")
        return str(usage.get("RefCount", -1)) if usage else "N/A"

    def Size(self) -> str:
        usage = self.v.get("UsageData")
        return human_size(int(usage.get("Size") or 0)) if usage else "N/A"

    def Availability(self) -> str:
        return "N/A"

    def Group(self) -> str:
        return "N/A"

    def Status(self) -> str:
        return "N/A"

    def template_json(self) -> Any:
        return {name: getattr(self, name)() for name in (
            "Availability", "Driver", "Group", "Labels", "Links", "Mountpoint", "Name",
            "Scope", "Size", "Status")}
