"""Decoded API objects made to behave like docker's Go structs inside templates.

Objects become ``Struct`` (field order kept by ``json``, printed as ``{a b}``) except where the
Go type is a map (labels, options, ...), which ``json`` prints with sorted keys.
"""

from __future__ import annotations

from typing import Any

from skiff.cli.format.gotemplate import NilList, NilMap, Struct

# Keys whose values are Go maps, optionally only under a given parent key.
MAP_KEYS = {"Labels", "Runtimes", "IndexConfigs", "Options", "Sysctls", "Tmpfs", "StorageOpt",
            "ExposedPorts", "Volumes", "Ports", "Networks", "DriverOpts", "Data", "Attributes",
            "Annotations", "Details", "Plugins.Authorization"}
MAP_PATHS = {("LogConfig", "Config"), ("Log", "Config")}
NIL_MAPS = MAP_KEYS | {"PortBindings"}
NIL_SLICES = {"Cmd", "Entrypoint", "Env", "OnBuild", "Args", "Binds", "CapAdd", "CapDrop", "Dns",
              "DnsOptions", "DnsSearch", "ExtraHosts", "GroupAdd", "Links", "SecurityOpt",
              "VolumesFrom", "Devices", "DeviceCgroupRules", "DeviceRequests", "Ulimits",
              "Mounts", "MaskedPaths", "ReadonlyPaths", "RepoTags", "RepoDigests", "Layers",
              "Shell", "Aliases", "DNSNames", "BlkioWeightDevice", "BlkioDeviceReadBps",
              "BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps",
              "ConsoleSize", "Warnings", "SecurityOptions", "Mirrors"}


def typed(value: Any, parent: str = "", key: str = "") -> Any:
    """Convert decoded JSON recursively; maps stay dicts, structs become Struct."""
    if isinstance(value, dict):
        converted = {k: typed(v, key, k) for k, v in value.items()}
        if key in MAP_KEYS or (parent, key) in MAP_PATHS:
            return converted
        return Struct(converted)
    if isinstance(value, list):
        return [typed(v, parent, key) for v in value]
    if value is None and key in NIL_SLICES:
        return NilList()
    if value is None and (key in NIL_MAPS or (parent, key) in MAP_PATHS):
        return NilMap()
    return value
