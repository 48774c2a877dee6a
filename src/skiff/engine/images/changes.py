"""Dockerfile instructions allowed in ``docker import --change`` applied to an image config."""

from __future__ import annotations

import json
import shlex
from typing import Any

from skiff.errdefs import InvalidParameter

ALLOWED = ("CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "STOPSIGNAL", "USER",
           "VOLUME", "WORKDIR")


def _json_or_shell(args: str, shell: bool) -> list[str]:
    text = args.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
    return ["/bin/sh", "-c", text] if shell else shlex.split(text)


def _pairs(args: str, instruction: str) -> list[tuple[str, str]]:
    words = shlex.split(args)
    if not words:
        raise InvalidParameter(f"{instruction} requires at least one argument")
    if "=" not in words[0]:
        key, _, value = args.strip().partition(" ")
        return [(key, value.strip())]
    result = []
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise InvalidParameter(f"{instruction} names can not be blank")
        result.append((key, value))
    return result


def _expand_ports(spec: str) -> list[str]:
    """``8000-8002/udp`` into each port with its protocol."""
    port, _, proto = spec.partition("/")
    proto = proto or "tcp"
    start, sep, end = port.partition("-")
    try:
        first, last = int(start), int(end) if sep else int(start)
    except ValueError:
        raise InvalidParameter(f"invalid containerPort: {port}") from None
    if last < first:
        raise InvalidParameter(f"invalid range specified for container ports: {port}")
    return [f"{number}/{proto}" for number in range(first, last + 1)]


def apply(config: dict[str, Any], change: str) -> None:
    """Apply one instruction such as ``CMD ["/bin/sh"]`` or ``ENV A=b`` to ``config``."""
    instruction, _, args = change.strip().partition(" ")
    name = instruction.upper()
    if name not in ALLOWED:
        raise InvalidParameter(f"{instruction} is not a valid change command")
    if name == "CMD":
        config["Cmd"] = _json_or_shell(args, shell=True)
    elif name == "ENTRYPOINT":
        config["Entrypoint"] = _json_or_shell(args, shell=True)
    elif name == "ENV":
        env = [e for e in config.get("Env") or []]
        for key, value in _pairs(args, "ENV"):
            env = [e for e in env if e.split("=", 1)[0] != key] + [f"{key}={value}"]
        config["Env"] = env
    elif name == "LABEL":
        labels = dict(config.get("Labels") or {})
        labels.update(_pairs(args, "LABEL"))
        config["Labels"] = labels
    elif name == "EXPOSE":
        ports = dict(config.get("ExposedPorts") or {})
        for spec in args.split():
            for port in _expand_ports(spec):
                ports[port] = {}
        config["ExposedPorts"] = ports
    elif name == "VOLUME":
        volumes = dict(config.get("Volumes") or {})
        for path in _json_or_shell(args, shell=False):
            volumes[path] = {}
        config["Volumes"] = volumes
    elif name == "USER":
        config["User"] = args.strip()
    elif name == "WORKDIR":
        config["WorkingDir"] = args.strip()
    elif name == "STOPSIGNAL":
        config["StopSignal"] = args.strip()
    elif name == "ONBUILD":
        config["OnBuild"] = [*(config.get("OnBuild") or []), args.strip()]
