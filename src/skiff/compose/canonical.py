"""Short syntaxes made long, per file and before the merge, as compose does: so entries with
the same key (a port, a volume's target, a variable) meet and merge whichever way each file
wrote them. ``!reset`` and ``!override`` markers are kept around what they hold."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

from skiff.compose.yamlfile import Override, Reset
from skiff.errdefs import InvalidParameter


class ComposeError(InvalidParameter):
    """A compose file that cannot be used: the message names the file, service and key."""


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _kv_list(value: Any, where: str, sep: str = "=") -> dict[str, Any]:
    """``environment``/``labels``: a mapping, or a list of ``KEY=VALUE`` (``KEY`` alone has no
    value: the environment gives it one, or it is left out)."""
    if isinstance(value, dict):
        return {str(k): v if v is None or isinstance(v, Reset | Override) else _scalar(v)
                for k, v in value.items()}
    if isinstance(value, list):
        out: dict[str, Any] = {}
        for item in value:
            if not isinstance(item, str | int | float):
                raise ComposeError(f"{where} must be a mapping or a list of strings")
            key, found, text = str(item).partition(sep)
            out[key] = text if found else None
        return out
    raise ComposeError(f"{where} must be a mapping or a list")


def _range(text: str, where: str) -> list[int]:
    low, dash, high = text.partition("-")
    try:
        start, end = int(low), int(high) if dash else int(low)
    except ValueError:
        raise ComposeError(f"{where}: invalid port range {text!r}") from None
    if end < start or not 0 < start <= 65535 or end > 65535:
        raise ComposeError(f"{where}: invalid port range {text!r}")
    return list(range(start, end + 1))


def port(value: Any, where: str) -> list[dict[str, Any]]:
    """One ``ports`` entry, long: ``[IP:][HOST:]CONTAINER[/PROTOCOL]`` with ranges expanded
    into one entry per port."""
    if isinstance(value, dict):
        long = {"mode": "ingress", "protocol": "tcp", **value}
        if long.get("published") is not None:
            long["published"] = _scalar(long["published"])
        if "target" not in long:
            raise ComposeError(f"{where}: a port needs a target")
        return [long]
    text = _scalar(value)
    spec, _, protocol = text.partition("/")
    host_ip = ""
    if spec.startswith("["):  # [IPv6]:HOST:CONTAINER
        host_ip, _, spec = spec[1:].partition("]")
        spec = spec.removeprefix(":")
    parts = spec.rsplit(":", 2)  # an IPv6 address without brackets keeps its colons
    target = parts[-1]
    published = parts[-2] if len(parts) >= 2 else ""
    if len(parts) == 3:
        host_ip = parts[0]
    protocol = protocol or "tcp"
    targets = _range(target, where)
    publishes = _range(published, where) if published else []
    if publishes and len(publishes) != len(targets) and len(targets) != 1:
        raise ComposeError(f"{where}: port ranges don't match in length: {text!r}")
    entries = []
    for index, number in enumerate(targets):
        entry: dict[str, Any] = {"mode": "ingress"}
        if host_ip:
            entry["host_ip"] = host_ip
        entry["target"] = number
        if publishes:
            entry["published"] = str(publishes[index]) if len(publishes) == len(targets) \
                else f"{publishes[0]}-{publishes[-1]}"
        entry["protocol"] = protocol
        entries.append(entry)
    return entries


def volume_mount(value: Any, where: str) -> dict[str, Any]:
    """One service ``volumes`` entry, long: ``[SOURCE:]TARGET[:MODE]``; a source that is a
    path makes a bind mount, a name a volume, none an anonymous volume."""
    if isinstance(value, dict):
        if "target" not in value:
            raise ComposeError(f"{where}: a volume needs a target")
        return dict(value)
    text = str(value)
    parts = text.split(":")
    if len(parts) > 3 or not text:
        raise ComposeError(f"{where}: invalid spec: {text}: too many colons")
    if len(parts) == 1:  # compose-go gives a volume its options unless the spec is tiny
        return {"type": "volume", "target": parts[0], **({"volume": {}} if len(text) > 2
                                                          else {})}
    source, target = parts[0], parts[1]
    modes = parts[2].split(",") if len(parts) == 3 else []
    is_path = source.startswith((".", "/", "~")) or source == ""
    entry: dict[str, Any] = {"type": "bind" if is_path else "volume", "source": source,
                             "target": target}
    if "ro" in modes:
        entry["read_only"] = True
    if is_path:
        bind: dict[str, Any] = {"create_host_path": True}
        if "z" in modes or "Z" in modes:
            bind["selinux"] = "z" if "z" in modes else "Z"
        for propagation in ("rprivate", "private", "rshared", "shared", "rslave", "slave"):
            if propagation in modes:
                bind["propagation"] = propagation
        entry["bind"] = bind
    elif "nocopy" in modes:
        entry["volume"] = {"nocopy": True}
    else:
        entry["volume"] = {}
    return entry


def _file_ref(value: Any, where: str) -> dict[str, Any]:
    """A service's ``secrets``/``configs`` entry, long."""
    if isinstance(value, str):
        return {"source": value}
    if isinstance(value, dict) and "source" in value:
        return dict(value)
    raise ComposeError(f"{where} must be a string or a mapping with a source")


def command(value: Any, where: str) -> list[str] | None:
    """``command``/``entrypoint``: a list, or a string split as a shell would."""
    if value is None:
        return None
    if isinstance(value, list):
        return [_scalar(v) for v in value]
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as exc:
            raise ComposeError(f"{where}: {exc}") from None
    raise ComposeError(f"{where} must be a string or a list")


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str | int | float):
        return [_scalar(value)]
    if isinstance(value, list):
        return [_scalar(v) for v in value]
    raise ComposeError(f"{where} must be a string or a list")


def _depends_on(value: Any, where: str) -> dict[str, dict[str, Any]]:
    if isinstance(value, list):
        return {str(name): {"condition": "service_started", "required": True}
                for name in value}
    if isinstance(value, dict):
        return {str(name): {"condition": "service_started", "required": True,
                            **(spec or {})} for name, spec in value.items()}
    raise ComposeError(f"{where} must be a list or a mapping")


def _networks(value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, list):
        return {str(name): None for name in value}
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    raise ComposeError(f"{where} must be a list or a mapping")


def _build(value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, str):
        return {"context": value}
    if isinstance(value, dict):
        build = dict(value)
        if "args" in build:
            build["args"] = _kv_list(build["args"], f"{where}.args")
        if "labels" in build:
            build["labels"] = _kv_list(build["labels"], f"{where}.labels")
        return build
    raise ComposeError(f"{where} must be a string or a mapping")


def _env_files(value: Any, where: str) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, str):
            out.append({"path": item, "required": True})
        elif isinstance(item, dict) and "path" in item:
            out.append({"required": True, **item})
        else:
            raise ComposeError(f"{where} must be a path or a list of paths")
    return out


def _healthcheck(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ComposeError(f"{where} must be a mapping")
    check = dict(value)
    test = check.get("test")
    if isinstance(test, str):
        check["test"] = ["CMD-SHELL", test]
    return check


def _ulimits(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ComposeError(f"{where} must be a mapping")
    return {str(k): v for k, v in value.items()}


def _lists(convert: Callable[[Any, str], Any], flatten: bool = False) -> Callable[[Any, str],
                                                                                   Any]:
    def each(value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise ComposeError(f"{where} must be a list")
        out: list[Any] = []
        for index, item in enumerate(value):
            made = convert(item, f"{where}[{index}]")
            out.extend(made) if flatten else out.append(made)
        return out
    return each


SERVICE: dict[str, Callable[[Any, str], Any]] = {
    "environment": _kv_list,
    "labels": _kv_list,
    "annotations": _kv_list,
    "sysctls": _kv_list,
    "ports": _lists(port, flatten=True),
    "volumes": _lists(volume_mount),
    "secrets": _lists(_file_ref),
    "configs": _lists(_file_ref),
    "command": command,
    "entrypoint": command,
    "depends_on": _depends_on,
    "networks": _networks,
    "build": _build,
    "env_file": _env_files,
    "healthcheck": _healthcheck,
    "ulimits": _ulimits,
    "dns": _strings,
    "dns_search": _strings,
    "tmpfs": _strings,
    "expose": _strings,
    "extra_hosts": lambda v, w: [f"{k}={x}" for k, x in v.items()] if isinstance(v, dict)
    else [str(h).replace(":", "=", 1) if "=" not in str(h) else str(h) for h in v],
    "label_file": _strings,
    "profiles": _strings,
}


def _apply(convert: Callable[[Any, str], Any], value: Any, where: str) -> Any:
    if isinstance(value, Reset):
        return value
    if isinstance(value, Override):
        return Override(convert(value.value, where))
    return convert(value, where)


def service(name: str, data: Any, file: str) -> dict[str, Any]:
    """A service of one file with its short syntaxes made long."""
    where = f"services.{name}"
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ComposeError(f"{file}: {where} must be a mapping")
    out = {}
    for key, value in data.items():
        convert = SERVICE.get(str(key))
        try:
            out[str(key)] = _apply(convert, value, f"{where}.{key}") if convert and \
                value is not None else value
        except ComposeError as exc:
            raise ComposeError(f"{file}: {exc}") from None
    return out
