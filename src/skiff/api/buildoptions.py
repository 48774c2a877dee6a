"""What a build was asked for: ``POST /build``'s parameters, checked, in one typed record."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from skiff.errdefs import InvalidParameter

PLATFORMS = ("", "linux", "linux/amd64", "linux/x86_64")


@dataclass(frozen=True)
class BuildOptions:
    tags: list[str] = field(default_factory=list)
    dockerfile: str = "Dockerfile"
    target: str = ""
    build_args: dict[str, str | None] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    no_cache: bool = False
    pull: bool = False
    remove: bool = True  # rm: remove the containers of steps that succeeded (a failed step's
    # container is always removed, as with forcerm)
    quiet: bool = False
    cache_from: list[str] = field(default_factory=list)
    network_mode: str = ""
    extra_hosts: list[str] = field(default_factory=list)
    shm_size: int = 0
    memory: int = 0
    memory_swap: int = 0
    cpu_shares: int = 0
    cpu_quota: int = 0
    cpu_period: int = 0
    cpuset_cpus: str = ""
    platform: str = ""
    secrets: dict[str, bytes] = field(default_factory=dict)  # RUN --mount=type=secret, by id
    ssh: dict[str, str] = field(default_factory=dict)  # RUN --mount=type=ssh: id -> agent socket
    remote: str = ""  # a context from a URL (a tar, a Dockerfile) or a Git repository
    build_id: str = ""  # what POST /build/cancel names
    identity: str = ""  # which Dockerfile this is, for --explain (skiff's client says)
    structured: bool = False  # skiff's progress messages instead of the classic stream

    def check(self) -> None:
        if self.platform.lower() not in PLATFORMS:
            raise InvalidParameter(f"platform {self.platform} is not supported: skiff builds "
                                   f"for linux/amd64 only")
        if self.network_mode not in ("", "default", "bridge", "host", "none") and \
                not self.network_mode.startswith("container:"):
            raise InvalidParameter(f"network mode {self.network_mode!r} is not supported in "
                                   f"builds")
        for ident, path in self.ssh.items():
            try:
                is_socket = stat.S_ISSOCK(os.stat(path).st_mode)
            except OSError:
                is_socket = False
            if not os.path.isabs(path) or not is_socket:
                raise InvalidParameter(f"ssh {ident}: {path} is not an agent socket")

    def host_config(self) -> dict[str, object]:
        """The HostConfig of a step's container."""
        config: dict[str, object] = {"LogConfig": {"Type": "none", "Config": {}}}
        if self.network_mode and self.network_mode != "default":
            config["NetworkMode"] = self.network_mode
        for key, value in (("ShmSize", self.shm_size), ("Memory", self.memory),
                           ("MemorySwap", self.memory_swap), ("CpuShares", self.cpu_shares),
                           ("CpuQuota", self.cpu_quota), ("CpuPeriod", self.cpu_period),
                           ("CpusetCpus", self.cpuset_cpus), ("ExtraHosts", self.extra_hosts)):
            if value:
                config[key] = value
        return config


def _json(query: Mapping[str, str], name: str, default: Any) -> Any:
    raw = query.get(name)
    if not raw:
        return default
    try:
        value = json.loads(raw)
    except ValueError:
        raise InvalidParameter(f"invalid {name}: {raw}") from None
    return default if value is None else value  # Go clients send a nil map or slice as null


def _int(query: Mapping[str, str], name: str) -> int:
    raw = query.get(name) or "0"
    try:
        return int(raw)
    except ValueError:
        raise InvalidParameter(f"invalid {name}: {raw}") from None


def _bool(query: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = query.get(name)
    return default if raw is None else raw.lower() not in ("", "0", "false", "no")


def from_query(query: Mapping[str, str], tags: list[str],
               secrets: dict[str, bytes] | None = None, identity: str = "",
               structured: bool = False, ssh: dict[str, str] | None = None) -> BuildOptions:
    """``POST /build``'s query parameters as dockerd reads them (and what skiff's client sends
    in headers: secrets, the build's identity, structured progress)."""
    if query.get("version") == "2":
        raise InvalidParameter("BuildKit (version=2) is not served by skiffd: build with "
                               "DOCKER_BUILDKIT=0 or with skiff build")
    remote = query.get("remote") or ""
    if remote and not remote.startswith(("http://", "https://", "git@", "git://", "ssh://",
                                          "github.com/")):
        raise InvalidParameter(f"remote {remote!r} is not a URL or a Git address")
    build_args = _json(query, "buildargs", {})
    labels = _json(query, "labels", {})
    cache_from = _json(query, "cachefrom", [])
    if not isinstance(build_args, dict) or not isinstance(labels, dict) or \
            not isinstance(cache_from, list):
        raise InvalidParameter("buildargs and labels must be JSON objects, cachefrom a list")
    hosts = query.get("extrahosts") or ""
    return BuildOptions(
        tags=tags, dockerfile=query.get("dockerfile") or "Dockerfile",
        target=query.get("target") or "",
        build_args={str(k): None if v is None else str(v) for k, v in build_args.items()},
        labels={str(k): str(v) for k, v in labels.items()},
        no_cache=_bool(query, "nocache"), pull=_bool(query, "pull"), quiet=_bool(query, "q"),
        remove=_bool(query, "rm", True) or _bool(query, "forcerm"),
        cache_from=[str(c) for c in cache_from], network_mode=query.get("networkmode") or "",
        extra_hosts=[h for h in hosts.replace(",", " ").split() if h],
        shm_size=_int(query, "shmsize"), memory=_int(query, "memory"),
        memory_swap=_int(query, "memswap"), cpu_shares=_int(query, "cpushares"),
        cpu_quota=_int(query, "cpuquota"), cpu_period=_int(query, "cpuperiod"),
        cpuset_cpus=query.get("cpusetcpus") or "", platform=query.get("platform") or "",
        secrets=secrets or {}, ssh=ssh or {}, remote=remote, build_id=query.get("buildid") or "",
        identity=identity, structured=structured)


def decode_secrets(header: str | None) -> dict[str, bytes]:
    """X-Skiff-Build-Secrets: base64 of a JSON object of id -> base64 content."""
    if not header:
        return {}
    try:
        table = json.loads(base64.b64decode(header))
        return {str(k): base64.b64decode(v) for k, v in table.items()}
    except (ValueError, TypeError, AttributeError):
        raise InvalidParameter("invalid X-Skiff-Build-Secrets header") from None


def decode_ssh(header: str | None) -> dict[str, str]:
    """X-Skiff-Build-SSH: a JSON object of id -> the agent socket's path (on skiffd's host:
    the client is local, on the unix socket)."""
    if not header:
        return {}
    try:
        table = json.loads(header)
        return {str(k): str(v) for k, v in table.items()}
    except (ValueError, TypeError, AttributeError):
        raise InvalidParameter("invalid X-Skiff-Build-SSH header") from None


def encode_secrets(secrets: Mapping[str, bytes]) -> str:
    table = {k: base64.b64encode(v).decode() for k, v in secrets.items()}
    return base64.b64encode(json.dumps(table).encode()).decode()
