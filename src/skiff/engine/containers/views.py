"""How containers look over the API: list summaries and the full ``inspect`` document."""

from __future__ import annotations

import hashlib
import shlex
import time
from collections.abc import Callable
from typing import Any

from skiff.api.humanize import human_duration
from skiff.api.timefmt import rfc3339nano
from skiff.engine.containers.model import (
    DEAD,
    EXITED,
    MODE_LEFT,
    PAUSED,
    RESTARTING,
    RUNNING,
    Container,
)


def status_text(container: Container, now: float | None = None) -> str:
    now = now if now is not None else time.time()
    state = container.state
    if state.Status == RUNNING or state.Status == PAUSED:
        text = "Up " + human_duration(now - state.StartedAt / 1e9)
        if state.Paused:
            return text + " (Paused)"
        health = (state.Health or {}).get("Status")
        if health == "starting":
            return text + " (health: starting)"
        return text + f" ({health})" if health else text
    if state.Status == RESTARTING:
        return (f"Restarting ({state.ExitCode}) "
                f"{human_duration(now - state.FinishedAt / 1e9)} ago")
    if state.Status == EXITED:
        if not state.FinishedAt:
            return f"Exited ({state.ExitCode})"
        return f"Exited ({state.ExitCode}) {human_duration(now - state.FinishedAt / 1e9)} ago"
    if state.Status == DEAD:
        return "Dead"
    if state.Status == "removing":
        return "Removal In Progress"
    return "Created"


def command_text(container: Container) -> str:
    path, args = container.path_and_args
    if not args:
        return path
    return path + " " + " ".join(shlex.quote(a) if " " in a else a for a in args)


def network_mode(container: Container) -> str:
    mode = container.host_config.get("NetworkMode") or "default"
    return "bridge" if mode == "default" else mode


def _endpoint(config: dict[str, Any] | None, network_id: str) -> dict[str, Any]:
    """An endpoint the container is configured to have: what was asked, no addresses yet."""
    config = config or {}
    return {"IPAMConfig": config.get("IPAMConfig"), "Links": config.get("Links"),
            "Aliases": config.get("Aliases"), "MacAddress": config.get("MacAddress") or "",
            "DriverOpts": config.get("DriverOpts"), "GwPriority": config.get("GwPriority") or 0,
            "NetworkID": config.get("NetworkID") or network_id, "EndpointID": "",
            "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
            "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "DNSNames": None}


def networks(container: Container,
             network_id: Callable[[str], str] | None = None) -> dict[str, dict[str, Any]]:
    """``NetworkSettings.Networks``, sorted by name as Docker's.

    The live endpoints while the container has them; otherwise (created, stopped, or on the
    ``host`` or ``none`` network, which have no endpoint of skiff's) the networks it is
    configured to join, with what was asked of each. A container in another's network
    namespace has none. ``network_id`` finds a network's ID by name, if the caller can.
    """
    mode = container.host_config.get("NetworkMode") or "default"
    if mode.startswith("container:"):
        return {}
    entries: dict[str, dict[str, Any]] = dict(container.networking.get("Settings") or {})
    if not entries:
        configured = dict(container.networking.get("EndpointsConfig") or {})
        for name in [*([] if container.networking.get(MODE_LEFT) else [mode]), *configured]:
            key = "bridge" if name == "default" else name
            if key not in entries:
                entries[key] = _endpoint(configured.get(name) or configured.get(key),
                                         network_id(key) if network_id else "")
    return dict(sorted(entries.items()))


def sandbox(container: Container) -> tuple[str, str]:
    """``(SandboxID, SandboxKey)`` of a running container with a network namespace of its own.

    The key is the file that holds the namespace (``nsenter --net=<key>`` enters it): the one
    skiff keeps for a container on networks (``networking["SandboxKey"]``), else the
    container's own through /proc (the host's network, ``none``). The ID is stable while the
    sandbox lives: it follows from the container, the key and the start. A container in
    another's namespace, or not running, has neither, as in Docker.
    """
    state = container.state
    mode = container.host_config.get("NetworkMode") or "default"
    if not state.Running or not state.Pid or mode.startswith("container:"):
        return "", ""
    key = str(container.networking.get("SandboxKey") or f"/proc/{state.Pid}/ns/net")
    sandbox_id = hashlib.sha256(f"{container.id}\0{key}\0{state.StartedAt}".encode())
    return sandbox_id.hexdigest(), key


def summary(container: Container, size: tuple[int, int] | None = None,
            link_names: list[str] | None = None,
            network_id: Callable[[str], str] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "Id": container.id,
        "Names": ["/" + container.name, *(link_names or [])],
        "Image": container.image_ref or container.image_id,
        "ImageID": container.image_id,
        "Command": command_text(container),
        "Created": container.created_ns // 1_000_000_000,
        "Ports": summary_ports(container),
        "Labels": container.labels,
        "State": container.state.Status,
        "Status": status_text(container),
        "HostConfig": {"NetworkMode": network_mode(container)},
        "NetworkSettings": {"Networks": networks(container, network_id)},
        "Mounts": mounts(container),
    }
    if size is not None:
        item["SizeRw"], item["SizeRootFs"] = size
    return item


def summary_ports(container: Container) -> list[dict[str, Any]]:
    """``ps``'s Ports: published ones with their host side, exposed ones alone."""
    result: list[dict[str, Any]] = []
    for key, bindings in (container.networking.get("Ports") or {}).items():
        port, _, proto = key.partition("/")
        if not bindings:
            result.append({"PrivatePort": int(port), "Type": proto})
        for binding in bindings or []:
            result.append({"IP": binding["HostIp"], "PrivatePort": int(port),
                           "PublicPort": int(binding["HostPort"]), "Type": proto})
    return result


def _volume_modes(container: Container) -> dict[str, str]:
    """Destination -> Mode of the named volumes given with ``-v name:/dest[:mode]``: the mode
    as written, or ``z`` when none was (as Docker reports them; other volumes have "")."""
    modes = {}
    for bind in container.host_config.get("Binds") or []:
        parts = bind.split(":")
        if len(parts) >= 2 and not parts[0].startswith("/"):
            modes[parts[1]] = parts[2] if len(parts) > 2 else "z"
    return modes


def mounts(container: Container) -> list[dict[str, Any]]:
    modes = _volume_modes(container)
    result: list[dict[str, Any]] = [
        {"Type": "volume", "Name": v["Name"], "Source": v.get("Source", ""),
         "Destination": v["Destination"], "Driver": "local",
         "Mode": modes.get(v["Destination"], ""), "RW": v["RW"],
         "Propagation": ""} for v in container.volumes]
    for bind in container.host_config.get("Binds") or []:
        parts = bind.split(":")
        if not parts[0].startswith("/"):
            continue  # a named volume, listed above
        mode = parts[2] if len(parts) > 2 else ""
        result.append({"Type": "bind", "Source": parts[0], "Destination": parts[1],
                       "Mode": mode, "RW": "ro" not in mode.split(","),
                       "Propagation": "rprivate"})
    for item in container.host_config.get("Mounts") or []:
        if item.get("Type") == "volume":
            continue
        entry = {"Type": item.get("Type"), "Source": item.get("Source", ""),
                 "Destination": item.get("Target"), "Mode": "",
                 "RW": not item.get("ReadOnly"), "Propagation": ""}
        if item.get("Type") == "bind":
            entry["Propagation"] = (item.get("BindOptions") or {}).get("Propagation") or \
                "rprivate"
        result.append(entry)
    return result


HOST_CONFIG_DEFAULTS: dict[str, Any] = {
    "Binds": None, "ContainerIDFile": "", "LogConfig": {"Type": "json-file", "Config": {}},
    "NetworkMode": "bridge", "PortBindings": {}, "RestartPolicy": {"Name": "no",
                                                                  "MaximumRetryCount": 0},
    "AutoRemove": False, "VolumeDriver": "", "VolumesFrom": None, "ConsoleSize": [0, 0],
    "CapAdd": None, "CapDrop": None, "CgroupnsMode": "host", "Dns": [], "DnsOptions": [],
    "DnsSearch": [], "ExtraHosts": None, "GroupAdd": None, "IpcMode": "private", "Cgroup": "",
    "Links": None, "OomScoreAdj": 0, "PidMode": "", "Privileged": False,
    "PublishAllPorts": False, "ReadonlyRootfs": False, "SecurityOpt": None, "UTSMode": "",
    "UsernsMode": "", "ShmSize": 67108864, "Runtime": "crun", "Isolation": "",
    "CpuShares": 0, "Memory": 0, "NanoCpus": 0, "CgroupParent": "", "BlkioWeight": 0,
    "BlkioWeightDevice": [], "BlkioDeviceReadBps": [], "BlkioDeviceWriteBps": [],
    "BlkioDeviceReadIOps": [], "BlkioDeviceWriteIOps": [], "CpuPeriod": 0, "CpuQuota": 0,
    "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0, "CpusetCpus": "", "CpusetMems": "",
    "Devices": [], "DeviceCgroupRules": None, "DeviceRequests": None,
    "MemoryReservation": 0, "MemorySwap": 0, "MemorySwappiness": None,
    "OomKillDisable": None, "PidsLimit": None, "Ulimits": None, "CpuCount": 0,
    "CpuPercent": 0, "IOMaximumIOps": 0, "IOMaximumBandwidth": 0, "Mounts": None,
    "MaskedPaths": None, "ReadonlyPaths": None, "Init": None, "Tmpfs": None, "Sysctls": None,
}


def inspect(container: Container, graph: dict[str, str], size: tuple[int, int] | None,
            log_path: str, exec_ids: list[str], links: list[str] | None = None,
            network_id: Callable[[str], str] | None = None) -> dict[str, Any]:
    path, args = container.path_and_args
    sandbox_id, sandbox_key = sandbox(container)
    host_config = {**HOST_CONFIG_DEFAULTS, **{k: v for k, v in container.host_config.items()
                                              if v is not None}}
    host_config["NetworkMode"] = network_mode(container)
    host_config["Runtime"] = container.runtime
    host_config["Links"] = links
    config = dict(container.config)
    for key, default in (("Hostname", ""), ("Domainname", ""), ("User", ""),
                         ("AttachStdin", False), ("AttachStdout", False),
                         ("AttachStderr", False), ("Tty", False), ("OpenStdin", False),
                         ("StdinOnce", False), ("Env", None), ("Cmd", None), ("Image", ""),
                         ("Volumes", None), ("WorkingDir", ""), ("Entrypoint", None),
                         ("OnBuild", None), ("Labels", {})):
        config.setdefault(key, default)
    result: dict[str, Any] = {
        "Id": container.id,
        "Created": rfc3339nano(container.created_ns),
        "Path": path,
        "Args": args,
        "State": container.state.to_api(),
        "Image": container.image_id,
        "ResolvConfPath": container.resolv_path,
        "HostnamePath": container.hostname_path,
        "HostsPath": container.hosts_path,
        "LogPath": log_path,
        "Name": "/" + container.name,
        "RestartCount": container.restart_count,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": exec_ids or None,
        "HostConfig": host_config,
        "GraphDriver": {"Data": graph, "Name": "overlay2"},
        "Mounts": mounts(container),
        "Config": config,
        "NetworkSettings": {
            "Bridge": "", "SandboxID": sandbox_id, "SandboxKey": sandbox_key,
            "HairpinMode": False, "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0,
            "SecondaryIPAddresses": None, "SecondaryIPv6Addresses": None, "EndpointID": "",
            "Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
            "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "", "MacAddress": "",
            "Ports": dict(container.networking.get("Ports") or {}),
            "Networks": networks(container, network_id),
        },
    }
    default = (container.networking.get("Settings") or {}).get("bridge")
    if default:  # Docker mirrors the default bridge's endpoint at the top level
        settings = result["NetworkSettings"]
        settings.update({"IPAddress": default["IPAddress"], "Gateway": default["Gateway"],
                         "IPPrefixLen": default["IPPrefixLen"],
                         "MacAddress": default["MacAddress"],
                         "EndpointID": default["EndpointID"]})
    if size is not None:
        result["SizeRw"], result["SizeRootFs"] = size
    return result

