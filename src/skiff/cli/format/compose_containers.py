"""Containers as ``compose ps`` shows them: its columns, its table and its JSON."""

from __future__ import annotations

from typing import Any

from skiff.cli.format.containers import ContainerContext


class ComposeContainer(ContainerContext):
    """A container as ``compose ps`` shows it."""

    def Name(self) -> str:
        return self.Names()

    def Service(self) -> str:
        return str((self.c.get("Labels") or {}).get("com.docker.compose.service", ""))

    def Project(self) -> str:
        return str((self.c.get("Labels") or {}).get("com.docker.compose.project", ""))

    def Health(self) -> str:
        status = str(self.c.get("Status") or "")
        for word in ("healthy", "unhealthy", "starting"):
            if f"({word})" in status or f"(health: {word})" in status:
                return word
        return ""

    def ExitCode(self) -> int:
        status = str(self.c.get("Status") or "")
        if status.startswith("Exited ("):
            try:
                return int(status[8:].split(")")[0])
            except ValueError:
                return 0
        return 0

    def Publishers(self) -> list[dict[str, Any]]:
        return [{"URL": p.get("IP", ""), "TargetPort": p.get("PrivatePort", 0),
                 "PublishedPort": p.get("PublicPort", 0), "Protocol": p.get("Type", "tcp")}
                for p in self.c.get("Ports") or []]


PS_DEFAULT = "table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t" \
    "{{.Status}}\t{{.Ports}}"
PS_HEADERS = {"Name": "NAME", "Image": "IMAGE", "Command": "COMMAND", "Service": "SERVICE",
              "RunningFor": "CREATED", "Status": "STATUS", "Ports": "PORTS", "ID": "ID",
              "Project": "PROJECT", "State": "STATE", "Health": "HEALTH",
              "ExitCode": "EXIT CODE", "CreatedAt": "CREATED AT"}
PS_JSON = ("Command", "CreatedAt", "ExitCode", "Health", "ID", "Image", "Labels",
           "LocalVolumes", "Mounts", "Name", "Names", "Networks", "Ports", "Project",
           "Publishers", "RunningFor", "Service", "Size", "State", "Status")


def json_value(row: ComposeContainer, key: str) -> Any:
    return getattr(row, key)()
