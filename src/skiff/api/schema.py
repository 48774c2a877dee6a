"""Type checking of request bodies, with dockerd's "cannot unmarshal" errors.

Docker decodes bodies into Go structs: a field of the wrong JSON type is a 400, unknown fields are
ignored and ``null`` is accepted anywhere. A schema here is a small declarative tree.
"""

from __future__ import annotations

from typing import Any

from skiff.errdefs import InvalidParameter

Spec = Any  # a type name string, a dict of field specs, ("list", spec) or ("map", spec)

_GO = {"str": "string", "int": "int64", "bool": "bool", "float": "float64", "any": "interface"}
_JSON = {str: "string", bool: "bool", int: "number", float: "number", list: "array",
         dict: "object"}

STRS = ("list", "str")
STRMAP = ("map", "str")
STRSLICE = "strslice"  # a string or a list of strings (Cmd, Entrypoint, Shell)

HEALTHCHECK: dict[str, Spec] = {
    "Test": STRS, "Interval": "int", "Timeout": "int", "Retries": "int", "StartPeriod": "int",
    "StartInterval": "int",
}

CONTAINER_CONFIG: dict[str, Spec] = {
    "Hostname": "str", "Domainname": "str", "User": "str", "AttachStdin": "bool",
    "AttachStdout": "bool", "AttachStderr": "bool", "ExposedPorts": ("map", "any"),
    "Tty": "bool", "OpenStdin": "bool", "StdinOnce": "bool", "Env": STRS, "Cmd": STRSLICE,
    "Healthcheck": HEALTHCHECK, "ArgsEscaped": "bool", "Image": "str",
    "Volumes": ("map", "any"), "WorkingDir": "str", "Entrypoint": STRSLICE,
    "NetworkDisabled": "bool", "MacAddress": "str", "OnBuild": STRS, "Labels": STRMAP,
    "StopSignal": "str", "StopTimeout": "int", "Shell": STRSLICE,
}

MOUNT: dict[str, Spec] = {
    "Target": "str", "Source": "str", "Type": "str", "ReadOnly": "bool", "Consistency": "str",
    "BindOptions": {"Propagation": "str", "NonRecursive": "bool", "CreateMountpoint": "bool",
                    "ReadOnlyNonRecursive": "bool", "ReadOnlyForceRecursive": "bool"},
    "VolumeOptions": {"NoCopy": "bool", "Labels": STRMAP,
                      "DriverConfig": {"Name": "str", "Options": STRMAP}, "Subpath": "str"},
    "TmpfsOptions": {"SizeBytes": "int", "Mode": "int", "Options": ("list", ("list", "str"))},
}

HOST_CONFIG: dict[str, Spec] = {
    "Binds": STRS, "ContainerIDFile": "str",
    "LogConfig": {"Type": "str", "Config": STRMAP},
    "NetworkMode": "str", "PortBindings": ("map", "any"),
    "RestartPolicy": {"Name": "str", "MaximumRetryCount": "int"},
    "AutoRemove": "bool", "VolumeDriver": "str", "VolumesFrom": STRS, "Mounts": ("list", MOUNT),
    "CapAdd": STRS, "CapDrop": STRS, "CgroupnsMode": "str", "Dns": STRS, "DnsOptions": STRS,
    "DnsSearch": STRS, "ExtraHosts": STRS, "GroupAdd": STRS, "IpcMode": "str", "Cgroup": "str",
    "Links": STRS, "OomScoreAdj": "int", "PidMode": "str", "Privileged": "bool",
    "PublishAllPorts": "bool", "ReadonlyRootfs": "bool", "SecurityOpt": STRS,
    "StorageOpt": STRMAP, "Tmpfs": STRMAP, "UTSMode": "str", "UsernsMode": "str",
    "ShmSize": "int", "Sysctls": STRMAP, "Runtime": "str", "Isolation": "str",
    "CpuShares": "int", "Memory": "int", "NanoCpus": "int", "CgroupParent": "str",
    "BlkioWeight": "int", "CpuPeriod": "int", "CpuQuota": "int", "CpuRealtimePeriod": "int",
    "CpuRealtimeRuntime": "int", "CpusetCpus": "str", "CpusetMems": "str",
    "Devices": ("list", {"PathOnHost": "str", "PathInContainer": "str",
                         "CgroupPermissions": "str"}),
    "DeviceCgroupRules": STRS, "KernelMemory": "int", "KernelMemoryTCP": "int",
    "MemoryReservation": "int", "MemorySwap": "int", "MemorySwappiness": "int",
    "OomKillDisable": "bool", "PidsLimit": "int",
    "Ulimits": ("list", {"Name": "str", "Soft": "int", "Hard": "int"}),
    "CpuCount": "int", "CpuPercent": "int", "Init": "bool", "MaskedPaths": STRS,
    "ReadonlyPaths": STRS, "ConsoleSize": ("list", "int"),
}

CREATE_BODY: dict[str, Spec] = {
    **CONTAINER_CONFIG,
    "HostConfig": HOST_CONFIG,
    "NetworkingConfig": {"EndpointsConfig": ("map", ("map", "any"))},
}

UPDATE_BODY: dict[str, Spec] = {
    key: HOST_CONFIG[key] for key in (
        "CpuShares", "Memory", "NanoCpus", "CgroupParent", "BlkioWeight", "CpuPeriod",
        "CpuQuota", "CpuRealtimePeriod", "CpuRealtimeRuntime", "CpusetCpus", "CpusetMems",
        "MemoryReservation", "MemorySwap", "MemorySwappiness", "KernelMemory", "PidsLimit",
        "OomKillDisable", "RestartPolicy", "Ulimits", "Devices", "DeviceCgroupRules",
    )
}


NETWORK_CREATE: dict[str, Spec] = {
    "Name": "str", "CheckDuplicate": "bool", "Driver": "str", "Scope": "str",
    "Internal": "bool", "Attachable": "bool", "Ingress": "bool", "ConfigOnly": "bool",
    "EnableIPv4": "bool", "EnableIPv6": "bool", "Options": STRMAP, "Labels": STRMAP,
    "IPAM": {"Driver": "str", "Options": STRMAP,
             "Config": ("list", {"Subnet": "str", "IPRange": "str", "Gateway": "str",
                                 "AuxiliaryAddresses": STRMAP})},
}

NETWORK_CONNECT: dict[str, Spec] = {
    "Container": "str",
    "EndpointConfig": {"IPAMConfig": {"IPv4Address": "str", "IPv6Address": "str"},
                       "Aliases": STRS, "Links": STRS, "DriverOpts": STRMAP},
}

NETWORK_DISCONNECT: dict[str, Spec] = {"Container": "str", "Force": "bool"}

VOLUME_CREATE: dict[str, Spec] = {"Name": "str", "Driver": "str", "DriverOpts": STRMAP,
                                  "Labels": STRMAP}

EXEC_CONFIG: dict[str, Spec] = {
    "AttachStdin": "bool", "AttachStdout": "bool", "AttachStderr": "bool",
    "DetachKeys": "str", "Tty": "bool", "ConsoleSize": ("list", "int"), "Env": STRS,
    "Cmd": STRSLICE, "Privileged": "bool", "User": "str", "WorkingDir": "str",
}

EXEC_START: dict[str, Spec] = {"Detach": "bool", "Tty": "bool", "ConsoleSize": ("list", "int")}


def check(value: Any, spec: Spec, path: str, struct: str) -> None:
    """Raise InvalidParameter like Go's json decoder when ``value`` does not fit ``spec``."""
    if value is None:
        return
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            _fail(value, "object", path, struct)
        for key, sub in spec.items():
            if key in value:
                check(value[key], sub, f"{path}.{key}" if path else key, struct)
        return
    if isinstance(spec, tuple):
        kind, inner = spec
        if kind == "list":
            if not isinstance(value, list):
                _fail(value, "[]" + _name(inner), path, struct)
            for item in value:
                check(item, inner, path, struct)
        else:
            if not isinstance(value, dict):
                _fail(value, "map[string]" + _name(inner), path, struct)
            for item in value.values():
                check(item, inner, path, struct)
        return
    if spec == "any":
        return
    if spec == STRSLICE:
        if isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            return
        _fail(value, "strslice.StrSlice", path, struct)
    ok = {
        "str": isinstance(value, str),
        "bool": isinstance(value, bool),
        "int": (isinstance(value, int) and not isinstance(value, bool))
        or (isinstance(value, float) and value.is_integer()),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
    }[spec]
    if not ok:
        _fail(value, _GO[spec], path, struct)


def _name(spec: Spec) -> str:
    if isinstance(spec, str):
        return _GO.get(spec, spec)
    if isinstance(spec, dict):
        return "struct"
    return "[]" + _name(spec[1]) if spec[0] == "list" else "map[string]" + _name(spec[1])


def _fail(value: Any, go_type: str, path: str, struct: str) -> None:
    kind = _JSON.get(type(value), "value")
    raise InvalidParameter(
        f"json: cannot unmarshal {kind} into Go struct field {struct}.{path} of type {go_type}"
    )


def decode_object(raw: bytes, spec: dict[str, Spec], struct: str) -> dict[str, Any]:
    """Parse a JSON body that must be an object and check it against ``spec``."""
    import json

    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise InvalidParameter(f"invalid JSON: {exc}") from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidParameter(
            f"json: cannot unmarshal {_JSON.get(type(body), 'value')} into Go value of type "
            f"{struct}"
        )
    check(body, spec, "", struct)
    return body
