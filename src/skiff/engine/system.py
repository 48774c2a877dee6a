"""System information: /version, /info and /system/df with true figures."""

from __future__ import annotations

import os
import platform
import socket
from collections.abc import Sequence
from typing import Any, Protocol

from skiff import __version__
from skiff.api import versions
from skiff.api.timefmt import iso_now
from skiff.drivers import cgroups
from skiff.engine.containers.queries import ContainerQueries
from skiff.engine.images.service import ImageService, arch
from skiff.engine.volumes.service import VolumeService
from skiff.store.layout import Layout


def _mem_total() -> int:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


def _os_name() -> str:
    try:
        with open("/etc/os-release") as fh:
            for line in fh:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except FileNotFoundError:
        pass
    return platform.system()


class NetworkDiagnosis(Protocol):
    """What the host's networking says of itself (forwarding, firewall rules)."""

    async def firewall_warnings(self) -> list[str]: ...

    def forwarding_facts(self) -> dict[str, bool]: ...


class SystemService:
    """Facts about the daemon and the host."""

    def __init__(self, layout: Layout, containers: ContainerQueries, images: ImageService,
                 runtimes: dict[str, str], default_runtime: str, daemon_id: str,
                 live_restore: bool, network: NetworkDiagnosis,
                 host_warnings: Sequence[str] = (),
                 log_drivers: Sequence[str] = ("json-file", "none"),
                 log_driver: str = "json-file") -> None:
        self._log_drivers = list(log_drivers)
        self._log_driver = log_driver
        self._network = network
        self._host_warnings = [f"WARNING: {w}" for w in host_warnings]
        self._layout = layout
        self._containers = containers
        self._images = images
        self._runtimes = runtimes
        self._default_runtime = default_runtime
        self._id = daemon_id
        self._live_restore = live_restore
        self.volumes: VolumeService | None = None

    def version(self) -> dict[str, Any]:
        uname = os.uname()
        return {
            "Platform": {"Name": "Skiff Engine"},
            "Components": [{"Name": "Engine", "Version": __version__, "Details": {
                "ApiVersion": versions.MAX_VERSION, "MinAPIVersion": versions.MIN_VERSION,
                "Os": "linux", "Arch": arch(), "KernelVersion": uname.release,
                "GoVersion": "python" + platform.python_version()}}] + [
                {"Name": name, "Version": "", "Details": {"Path": path}}
                for name, path in self._runtimes.items()],
            "Version": __version__,
            "ApiVersion": versions.MAX_VERSION,
            "MinAPIVersion": versions.MIN_VERSION,
            "GitCommit": "",
            "GoVersion": "python" + platform.python_version(),
            "Os": "linux",
            "Arch": arch(),
            "KernelVersion": uname.release,
            "BuildTime": "",
        }

    async def info(self) -> dict[str, Any]:
        warnings = self._host_warnings + await self._network.firewall_warnings()
        counts = self._containers.counts()
        uname = os.uname()
        cgroup_version = str(cgroups.version())
        return {
            "ID": self._id,
            "Containers": sum(counts.values()),
            "ContainersRunning": counts["running"],
            "ContainersPaused": counts["paused"],
            "ContainersStopped": counts["stopped"],
            "Images": len(self._images.store.images),
            "Driver": "overlay2",
            "DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"],
                             ["Using metacopy", "false"], ["Native Overlay Diff", "true"]],
            "Plugins": {"Volume": [], "Network": ["host", "none"],
                        "Authorization": None, "Log": self._log_drivers},
            "MemoryLimit": True, "SwapLimit": cgroups.swap_limit_supported(),
            "CpuCfsPeriod": True, "CpuCfsQuota": True, "CPUShares": True, "CPUSet": True,
            "PidsLimit": True, **self._network.forwarding_facts(), "Debug": False,
            "NFd": len(os.listdir("/proc/self/fd")),
            "OomKillDisable": cgroup_version == "1", "NGoroutines": 0, "SystemTime": iso_now(),
            "LoggingDriver": self._log_driver, "CgroupDriver": "cgroupfs",
            "CgroupVersion": cgroup_version, "NEventsListener": 0,
            "KernelVersion": uname.release, "OperatingSystem": _os_name(),
            "OSVersion": "", "OSType": "linux", "Architecture": platform.machine(),
            "IndexServerAddress": "https://index.docker.io/v1/",
            "RegistryConfig": {"AllowNondistributableArtifactsCIDRs": None,
                               "AllowNondistributableArtifactsHostnames": None,
                               "InsecureRegistryCIDRs": ["127.0.0.0/8"], "IndexConfigs": {},
                               "Mirrors": None},
            "NCPU": os.cpu_count() or 1, "MemTotal": _mem_total(),
            "GenericResources": None, "DockerRootDir": str(self._layout.data_root),
            "HttpProxy": "", "HttpsProxy": "", "NoProxy": "", "Name": socket.gethostname(),
            "Labels": [], "ExperimentalBuild": False, "ServerVersion": __version__,
            "Runtimes": {name: {"path": path} for name, path in self._runtimes.items()},
            "DefaultRuntime": self._default_runtime,
            "Swarm": {"NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive",
                      "ControlAvailable": False, "Error": "", "RemoteManagers": None},
            "LiveRestoreEnabled": self._live_restore, "Isolation": "",
            "InitBinary": "docker-init",
            "ContainerdCommit": {"ID": ""}, "RuncCommit": {"ID": ""}, "InitCommit": {"ID": ""},
            "SecurityOptions": ["name=seccomp,profile=builtin", "name=cgroupns"
                                if cgroup_version == "2" else "name=no-cgroupns"],
            "Warnings": warnings or None,
        }

    def disk_usage(self) -> dict[str, Any]:
        images = self._images.list_images(True, {})
        containers = self._containers.list_containers(True, 0, True, {})
        layers_size = sum(layer.size for layer in self._images.store.layers.values())
        return {"LayersSize": layers_size, "Images": images, "Containers": containers,
                "Volumes": self._volume_usage(), "BuildCache": []}

    def _volume_usage(self) -> list[dict[str, Any]]:
        return self.volumes.disk_usage() if self.volumes is not None else []
