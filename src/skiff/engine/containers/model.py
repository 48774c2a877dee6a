"""The container record and its ``State``, serialised for the store and for ``inspect``."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import Any

from skiff.api.timefmt import rfc3339nano

CREATED, RUNNING, PAUSED, RESTARTING, REMOVING, EXITED, DEAD = (
    "created", "running", "paused", "restarting", "removing", "exited", "dead")


# networking key: the container left the network its NetworkMode names (Docker keeps
# NetworkMode as it was; a connect to that network brings it back)
MODE_LEFT = "ModeLeft"

@dataclass
class State:
    """Docker's container state; times are nanoseconds since the epoch (0 = never)."""

    Status: str = CREATED
    Running: bool = False
    Paused: bool = False
    Restarting: bool = False
    OOMKilled: bool = False
    Dead: bool = False
    Pid: int = 0
    ExitCode: int = 0
    Error: str = ""
    StartedAt: int = 0
    FinishedAt: int = 0
    Health: dict[str, Any] | None = None

    def set_running(self, pid: int, now: int) -> None:
        self.Status, self.Running, self.Paused, self.Restarting = RUNNING, True, False, False
        self.Pid, self.ExitCode, self.Error, self.OOMKilled = pid, 0, "", False
        self.StartedAt, self.FinishedAt = now, 0

    def set_exited(self, code: int, oom: bool, now: int, error: str = "") -> None:
        self.Status, self.Running, self.Paused, self.Restarting = EXITED, False, False, False
        self.Pid, self.ExitCode, self.OOMKilled, self.Error = 0, code, oom, error
        self.FinishedAt = now

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = asdict(self)
        data["Running"] = self.Running or self.Restarting  # as dockerd reports it
        data["StartedAt"] = rfc3339nano(self.StartedAt)
        data["FinishedAt"] = rfc3339nano(self.FinishedAt)
        if self.Health is None:
            del data["Health"]
        return data


@dataclass
class Container:
    """A container as skiff keeps it; ``config`` and ``host_config`` are Docker-shaped."""

    id: str
    name: str
    created_ns: int
    image_id: str
    image_ref: str
    config: dict[str, Any]
    host_config: dict[str, Any]
    networking: dict[str, Any] = field(default_factory=dict)  # EndpointsConfig, Settings,
    # SandboxKey, and MODE_LEFT once disconnected from its NetworkMode's network
    state: State = field(default_factory=State)
    restart_count: int = 0
    runtime: str = "crun"
    log_path: str = ""
    hosts_path: str = ""
    hostname_path: str = ""
    resolv_path: str = ""
    has_been_started: bool = False
    manually_stopped: bool = False
    volumes: list[dict[str, Any]] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)  # default bridge: alias -> child id
    # not persisted
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False, compare=False)

    _PERSISTED = ("id", "name", "created_ns", "image_id", "image_ref", "config", "host_config",
                  "networking", "restart_count", "runtime", "log_path", "hosts_path",
                  "hostname_path", "resolv_path", "has_been_started", "manually_stopped",
                  "volumes", "links")

    @property
    def path_and_args(self) -> tuple[str, list[str]]:
        argv = list(self.config.get("Entrypoint") or []) + list(self.config.get("Cmd") or [])
        return (argv[0], argv[1:]) if argv else ("", [])

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.config.get("Labels") or {})

    def to_row(self) -> dict[str, Any]:
        row = {key: getattr(self, key) for key in self._PERSISTED}
        row["state"] = asdict(self.state)
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Container:
        values = {key: row[key] for key in cls._PERSISTED if key in row}
        return cls(state=State(**row.get("state", {})), **values)
