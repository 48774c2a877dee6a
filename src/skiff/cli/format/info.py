"""The human-readable ``info`` and ``version`` layouts (docker's key: value sections)."""

from __future__ import annotations

from typing import Any

from skiff.cli.format.units import bytes_size


def info_line(key: str, value: object, indent: int = 1, width: int = 19) -> str:
    """One ``Key:   value`` row, the value starting in a fixed column."""
    return " " * indent + f"{key}:".ljust(width) + str(value)


def _security_options(options: list[str]) -> list[str]:
    """``name=seccomp,profile=builtin`` -> "  seccomp" and "   Profile: builtin"."""
    lines = [" Security Options:"]
    for option in options:
        for pair in option.split(","):
            key, _, value = pair.partition("=")
            if key == "name":
                lines.append(f"  {value}")
            else:
                lines.append(f"   {key.title()}: {value}")
    return lines


def server_info_lines(info: dict[str, Any]) -> list[str]:
    """The ``Server:`` section of ``docker info``."""
    lines = [f" Containers: {info.get('Containers', 0)}",
             f"  Running: {info.get('ContainersRunning', 0)}",
             f"  Paused: {info.get('ContainersPaused', 0)}",
             f"  Stopped: {info.get('ContainersStopped', 0)}",
             f" Images: {info.get('Images', 0)}",
             f" Server Version: {info.get('ServerVersion', '')}",
             f" Storage Driver: {info.get('Driver', '')}"]
    lines += [f"  {k}: {v}" for k, v in info.get("DriverStatus") or []]
    lines += [f" Logging Driver: {info.get('LoggingDriver', '')}",
              f" Cgroup Driver: {info.get('CgroupDriver', '')}",
              f" Cgroup Version: {info.get('CgroupVersion', '')}",
              " Plugins:"]
    plugins = info.get("Plugins") or {}
    for kind in ("Volume", "Network", "Authorization", "Log"):
        if plugins.get(kind) is not None and (kind != "Authorization" or plugins[kind]):
            lines.append(f"  {kind}: {' '.join(plugins[kind])}")
    swarm = (info.get("Swarm") or {}).get("LocalNodeState", "inactive")
    lines.append(f" Swarm: {swarm}")
    lines.append(f" Runtimes: {' '.join(sorted(info.get('Runtimes') or {}))}")
    lines.append(f" Default Runtime: {info.get('DefaultRuntime', '')}")
    lines.append(f" Init Binary: {info.get('InitBinary', '')}")
    for label, key in (("containerd", "ContainerdCommit"), ("runc", "RuncCommit"),
                       ("init", "InitCommit")):
        lines.append(f" {label} version: {(info.get(key) or {}).get('ID', '')}")
    if info.get("SecurityOptions"):
        lines += _security_options(info["SecurityOptions"])
    lines += [f" Kernel Version: {info.get('KernelVersion', '')}",
              f" Operating System: {info.get('OperatingSystem', '')}",
              f" OSType: {info.get('OSType', '')}",
              f" Architecture: {info.get('Architecture', '')}",
              f" CPUs: {info.get('NCPU', 0)}",
              f" Total Memory: {bytes_size(info.get('MemTotal') or 0)}",
              f" Name: {info.get('Name', '')}",
              f" ID: {info.get('ID', '')}",
              f" Docker Root Dir: {info.get('DockerRootDir', '')}",
              f" Debug Mode: {str(bool(info.get('Debug'))).lower()}"]
    for label, key in (("HTTP Proxy", "HttpProxy"), ("HTTPS Proxy", "HttpsProxy"),
                       ("No Proxy", "NoProxy")):
        if info.get(key):
            lines.append(f" {label}: {info[key]}")
    if info.get("Labels"):
        lines.append(" Labels:")
        lines += [f"  {label}" for label in info["Labels"]]
    lines.append(f" Experimental: {str(bool(info.get('ExperimentalBuild'))).lower()}")
    registry = info.get("RegistryConfig") or {}
    insecure = [name for name, cfg in (registry.get("IndexConfigs") or {}).items()
                if not cfg.get("Secure", True)] + list(registry.get("InsecureRegistryCIDRs")
                                                       or [])
    if insecure:
        lines.append(" Insecure Registries:")
        lines += [f"  {item}" for item in insecure]
    if registry.get("Mirrors"):
        lines.append(" Registry Mirrors:")
        lines += [f"  {item}" for item in registry["Mirrors"]]
    lines.append(f" Live Restore Enabled: {str(bool(info.get('LiveRestoreEnabled'))).lower()}")
    return lines
