"""Parsers for the values of docker's container flags (-e, -l, --mount, --ulimit, -p, ...)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from skiff.api.humanize import ram_in_bytes
from skiff.cli.format.units import parse_go_duration


class InvalidFlag(ValueError):
    """A flag value docker would refuse: ``invalid argument "v" for "--flag" flag: why``."""

    def __init__(self, flag: str, value: str, reason: str) -> None:
        super().__init__(f'invalid argument "{value}" for "{flag}" flag: {reason}')
        self.reason = reason


def env_list(values: Iterable[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """``-e KEY=VAL`` kept; ``-e KEY`` takes the value from our environment, if set."""
    env = os.environ if environ is None else environ
    out: list[str] = []
    for item in values:
        if "=" in item:
            if item.startswith("="):
                raise InvalidFlag("-e, --env", item, "invalid environment variable: " + item)
            out.append(item)
        elif item in env:
            out.append(f"{item}={env[item]}")
    return out


def read_env_file(path: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """Docker's env-file format: KEY=VAL lines (verbatim), KEY alone from the environment."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise InvalidFlag("--env-file", path, f"open {path}: {exc.strerror.lower()}"
                          if exc.strerror else str(exc)) from None
    lines = []
    for raw in text.splitlines():
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        key = line.split("=", 1)[0]
        if re.search(r"\s", key):
            raise InvalidFlag("--env-file", path, f"variable '{key}' contains whitespaces")
        lines.append(line)
    return env_list(lines, environ)


def label_map(values: Iterable[str]) -> dict[str, str]:
    """``k=v`` or ``k`` (empty value)."""
    labels: dict[str, str] = {}
    for item in values:
        key, _, value = item.partition("=")
        if not key:
            raise InvalidFlag("--label", item, "invalid label format")
        labels[key] = value
    return labels


def key_value_map(flag: str, values: Iterable[str]) -> dict[str, str]:
    """``k=v`` pairs (--log-opt, --sysctl, --storage-opt)."""
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidFlag(flag, item, f"{item} is not a valid key=value pair")
        out[key] = value
    return out


def memory(flag: str, value: str | None) -> int | None:
    """A RAM size ("512m", "1g"); -1 is allowed for --memory-swap."""
    if value is None:
        return None
    if value == "-1":
        return -1
    try:
        return ram_in_bytes(value)
    except ValueError as exc:
        raise InvalidFlag(flag, value, str(exc)) from None


def nano_cpus(value: str | None) -> int | None:
    """--cpus 1.5 -> 1500000000."""
    if value is None:
        return None
    try:
        cpus = float(value)
    except ValueError:
        raise InvalidFlag("--cpus", value, "failed to parse " + value + " as a rational "
                          "number") from None
    return round(cpus * 1e9)


def duration_ns(flag: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(parse_go_duration(value) * 1e9)
    except ValueError as exc:
        raise InvalidFlag(flag, value, str(exc)) from None


def restart_policy(value: str) -> dict[str, Any]:
    """``no``, ``always``, ``unless-stopped``, ``on-failure[:N]``."""
    name, _, count = value.partition(":")
    if name not in ("no", "always", "unless-stopped", "on-failure", ""):
        raise InvalidFlag("--restart", value, f"invalid restart policy: unknown policy "
                          f"'{name}'; use one of 'no', 'always', 'on-failure', or "
                          "'unless-stopped'")
    retries = 0
    if count:
        if name != "on-failure":
            raise InvalidFlag("--restart", value, "invalid restart policy: maximum retry count "
                              "can only be used with 'on-failure'")
        try:
            retries = int(count)
        except ValueError:
            raise InvalidFlag("--restart", value, "invalid restart policy: maximum retry "
                              "count must be an integer") from None
    return {"Name": name or "no", "MaximumRetryCount": retries}


def ulimit(value: str) -> dict[str, Any]:
    """``nofile=1024[:2048]``."""
    name, sep, limits = value.partition("=")
    if not sep or not name:
        raise InvalidFlag("--ulimit", value, f"invalid ulimit argument: {value}")
    soft_text, _, hard_text = limits.partition(":")
    try:
        soft = int(soft_text)
        hard = int(hard_text) if hard_text else soft
    except ValueError:
        raise InvalidFlag("--ulimit", value, f"invalid ulimit argument: {value}") from None
    if soft > hard:
        raise InvalidFlag("--ulimit", value, f"ulimit soft limit must be less than or equal "
                          f"to hard limit: {soft} > {hard}")
    return {"Name": name, "Soft": soft, "Hard": hard}


def _truthy(flag: str, value: str, key: str) -> bool:
    lowered = value.lower()
    if lowered in ("", "1", "true"):
        return True
    if lowered in ("0", "false"):
        return False
    raise InvalidFlag(flag, value, f"invalid value for {key}: {value}")


def mount(value: str) -> dict[str, Any]:
    """``--mount type=bind,source=/a,target=/b,readonly`` (bind, volume, tmpfs)."""
    spec: dict[str, Any] = {"Type": "volume"}
    bind: dict[str, Any] = {}
    volume: dict[str, Any] = {}
    tmpfs: dict[str, Any] = {}
    for field in _csv(value):
        key, sep, val = field.partition("=")
        key = key.strip().lower()
        if not sep and key not in ("readonly", "ro", "volume-nocopy", "bind-nonrecursive"):
            raise InvalidFlag("--mount", value, f"invalid field '{field}' must be a key=value "
                              "pair")
        if key == "type":
            spec["Type"] = val
        elif key in ("source", "src"):
            spec["Source"] = val
        elif key in ("target", "dst", "destination"):
            spec["Target"] = val
        elif key in ("readonly", "ro"):
            spec["ReadOnly"] = _truthy("--mount", val, key) if sep else True
        elif key == "consistency":
            spec["Consistency"] = val
        elif key == "bind-propagation":
            bind["Propagation"] = val
        elif key == "bind-nonrecursive":
            bind["NonRecursive"] = _truthy("--mount", val, key)
        elif key == "volume-driver":
            volume.setdefault("DriverConfig", {})["Name"] = val
        elif key == "volume-label":
            k, _, v = val.partition("=")
            volume.setdefault("Labels", {})[k] = v
        elif key == "volume-opt":
            k, _, v = val.partition("=")
            volume.setdefault("DriverConfig", {}).setdefault("Options", {})[k] = v
        elif key == "volume-nocopy":
            volume["NoCopy"] = _truthy("--mount", val, key)
        elif key == "volume-subpath":
            volume["Subpath"] = val
        elif key == "tmpfs-size":
            try:
                tmpfs["SizeBytes"] = ram_in_bytes(val)
            except ValueError as exc:
                raise InvalidFlag("--mount", value, str(exc)) from None
        elif key == "tmpfs-mode":
            try:
                tmpfs["Mode"] = int(val, 8)
            except ValueError:
                raise InvalidFlag("--mount", value, f"invalid value for {key}: {val}") from None
        else:
            raise InvalidFlag("--mount", value, f"unknown option '{key}' in '{field}'")
    kind = spec["Type"]
    if kind not in ("bind", "volume", "tmpfs", "image", "npipe", "cluster"):
        raise InvalidFlag("--mount", value, f"invalid mount type: {kind}")
    if "Target" not in spec:
        raise InvalidFlag("--mount", value, "target is required")
    if bind:
        if kind != "bind":
            raise InvalidFlag("--mount", value, f"cannot mix 'bind-*' options with mount "
                              f"type '{kind}'")
        spec["BindOptions"] = bind
    if volume:
        if kind != "volume":
            raise InvalidFlag("--mount", value, f"cannot mix 'volume-*' options with mount "
                              f"type '{kind}'")
        spec["VolumeOptions"] = volume
    if tmpfs:
        if kind != "tmpfs":
            raise InvalidFlag("--mount", value, f"cannot mix 'tmpfs-*' options with mount "
                              f"type '{kind}'")
        spec["TmpfsOptions"] = tmpfs
    if kind == "bind" and spec.get("Source", "").startswith("."):
        spec["Source"] = os.path.abspath(spec["Source"])
    return spec


def _csv(value: str) -> list[str]:
    """Comma-separated fields, double quotes protecting commas."""
    fields: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
    fields.append("".join(current))
    return [f for f in fields if f]


def volume(value: str) -> tuple[str | None, str]:
    """``-v``: (bind string for HostConfig.Binds, or None) and the anonymous target."""
    parts = value.split(":")
    if len(parts) == 1:
        if not value.startswith("/"):
            raise InvalidFlag("--volume", value, f"invalid volume specification: '{value}'")
        return None, value
    if len(parts) > 3 or not parts[0] or not parts[1]:
        raise InvalidFlag("--volume", value, f"invalid volume specification: '{value}'")
    source = parts[0]
    if source.startswith(".") or source == "~" or source.startswith("~/"):
        source = os.path.abspath(os.path.expanduser(source))
    return ":".join([source, *parts[1:]]), ""


def tmpfs_map(values: Iterable[str]) -> dict[str, str]:
    """``--tmpfs /run:rw,size=64m``."""
    out: dict[str, str] = {}
    for item in values:
        path, _, options = item.partition(":")
        out[path] = options
    return out


def security_opts(values: Iterable[str]) -> list[str]:
    """Inline a seccomp profile file the way the docker CLI does."""
    out: list[str] = []
    for item in values:
        key, sep, val = item.partition("=")
        if not sep:
            key, sep, val = item.partition(":")
        if key == "seccomp" and val not in ("unconfined", "builtin", ""):
            try:
                profile = json.loads(Path(val).read_text())
            except (OSError, ValueError) as exc:
                raise InvalidFlag("--security-opt", item, f"opening seccomp profile "
                                  f"({val}) failed: {exc}") from None
            out.append("seccomp=" + json.dumps(profile, separators=(",", ":")))
        else:
            out.append(item)
    return out


_PORT_NUMBERS = re.compile(r"^\d+(-\d+)?$")


def _split_port(item: str) -> tuple[str, str, str, str]:
    """``[ip:][hostPort:]containerPort[/proto]`` -> (ip, host ports, container ports, proto)."""
    spec, _, proto = item.partition("/")
    if proto not in ("", "tcp", "udp", "sctp"):
        raise InvalidFlag("--publish", item, f"invalid proto: {proto}")
    rest, _, container = spec.rpartition(":")
    ip, host = "", rest
    if ":" in rest:
        ip, _, host = rest.rpartition(":")
    ip = ip.strip("[]")
    if not _PORT_NUMBERS.match(container) or (host and not _PORT_NUMBERS.match(host)):
        raise InvalidFlag("--publish", item, f"invalid port format: {item}")
    return ip, host, container, proto or "tcp"


def _span(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


Bindings = dict[str, list[dict[str, str]]]


def ports(values: Iterable[str]) -> tuple[dict[str, dict[str, Any]], Bindings]:
    """``-p [ip:][hostPort:]containerPort[/proto]`` -> (ExposedPorts, PortBindings)."""
    exposed: dict[str, dict[str, Any]] = {}
    bindings: Bindings = {}
    for item in values:
        ip, host, container, proto = _split_port(item)
        container_ports = _span(container)
        host_ports = _span(host) if host else []
        if host_ports and len(host_ports) not in (1, len(container_ports)):
            raise InvalidFlag("--publish", item, "port ranges don't match")
        for i, port in enumerate(container_ports):
            key = f"{port}/{proto}"
            exposed[key] = {}
            if len(host_ports) == len(container_ports):
                host_port = str(host_ports[i])
            elif host_ports:
                host_port = host
            else:
                host_port = ""
            bindings.setdefault(key, []).append({"HostIp": ip or "", "HostPort": host_port})
    return exposed, bindings


def expose(values: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``--expose 80[-81][/proto]``."""
    out: dict[str, dict[str, Any]] = {}
    for item in values:
        port, _, proto = item.partition("/")
        try:
            for number in _span(port):
                out[f"{number}/{proto or 'tcp'}"] = {}
        except ValueError:
            raise InvalidFlag("--expose", item, f"invalid range format for --expose: "
                              f"{item}") from None
    return out


def device(value: str) -> dict[str, str]:
    """``--device /dev/x[:/dev/y][:rwm]``."""
    parts = value.split(":")
    host = parts[0]
    container = host
    perms = "rwm"
    if len(parts) == 2:
        if re.fullmatch(r"[rwm]+", parts[1]):
            perms = parts[1]
        else:
            container = parts[1]
    elif len(parts) == 3:
        container, perms = parts[1], parts[2]
    elif len(parts) > 3:
        raise InvalidFlag("--device", value, f"invalid device specification: {value}")
    return {"PathOnHost": host, "PathInContainer": container, "CgroupPermissions": perms}


_BUILTIN_MODES = ("default", "bridge", "host", "none")


def _network_spec(value: str) -> dict[str, Any]:
    """``--network name`` or the advanced ``--network name=n,alias=a,ip=...`` form."""
    if "=" not in value:
        return {"name": value}
    spec: dict[str, Any] = {}
    for field in _csv(value):
        key, sep, val = field.partition("=")
        key = key.strip().lower()
        if not sep:
            raise InvalidFlag("--network", value, f"invalid field '{field}' must be a "
                              "key=value pair")
        if key in ("name", "ip", "ip6", "mac-address", "gw-priority"):
            spec[key] = val
        elif key in ("alias", "link-local-ip", "driver-opt"):
            spec.setdefault(key, []).append(val)
        else:
            raise InvalidFlag("--network", value, f"invalid field key {key}")
    if not spec.get("name"):
        raise InvalidFlag("--network", value, "network name is required")
    return spec


def networks(values: Iterable[str], aliases: list[str], ip: str | None, ip6: str | None,
             link_local: list[str], mac: str | None,
             ) -> tuple[str, dict[str, dict[str, Any]]]:
    """``--network`` (repeatable) and the legacy per-network flags -> (NetworkMode,
    NetworkingConfig.EndpointsConfig)."""
    specs = [_network_spec(v) for v in values]
    if not specs:
        if aliases or ip or ip6 or link_local:
            specs = [{"name": "default"}]
        else:
            return "default", {}
    seen: set[str] = set()
    for spec in specs:
        if spec["name"] in seen:
            raise InvalidFlag("--network", spec["name"], f"network \"{spec['name']}\" is "
                              "specified multiple times")
        seen.add(spec["name"])
    if len(specs) > 1 and any(s["name"] in _BUILTIN_MODES or
                              s["name"].startswith("container:") for s in specs):
        raise InvalidFlag("--network", specs[0]["name"], "conflicting options: cannot attach "
                          "both user-defined and non-user-defined network-modes")
    legacy = bool(aliases or ip or ip6 or link_local or mac)
    if legacy and len(specs) > 1:
        raise InvalidFlag("--network", specs[0]["name"], "conflicting options: cannot "
                          "specify --network-alias, --ip, --ip6, --link-local-ip or "
                          "--mac-address with multiple networks")
    if legacy:
        first = specs[0]
        first.setdefault("alias", []).extend(aliases)
        first.setdefault("link-local-ip", []).extend(link_local)
        for key, val in (("ip", ip), ("ip6", ip6), ("mac-address", mac)):
            if val:
                first[key] = val
    endpoints: dict[str, dict[str, Any]] = {}
    for spec in specs:
        endpoint: dict[str, Any] = {}
        ipam: dict[str, Any] = {}
        if spec.get("ip"):
            ipam["IPv4Address"] = spec["ip"]
        if spec.get("ip6"):
            ipam["IPv6Address"] = spec["ip6"]
        if spec.get("link-local-ip"):
            ipam["LinkLocalIPs"] = spec["link-local-ip"]
        if ipam:
            endpoint["IPAMConfig"] = ipam
        if spec.get("alias"):
            endpoint["Aliases"] = spec["alias"]
        if spec.get("mac-address"):
            endpoint["MacAddress"] = spec["mac-address"]
        if spec.get("driver-opt"):
            endpoint["DriverOpts"] = key_value_map("--network", spec["driver-opt"])
        if spec.get("gw-priority"):
            try:
                endpoint["GwPriority"] = int(spec["gw-priority"])
            except ValueError:
                raise InvalidFlag("--network", spec["gw-priority"],
                                  "invalid gw-priority") from None
        name = spec["name"]
        if endpoint or (name not in _BUILTIN_MODES and not name.startswith(("container:",
                                                                              "ns:"))):
            endpoints[name] = endpoint
    return specs[0]["name"], endpoints
