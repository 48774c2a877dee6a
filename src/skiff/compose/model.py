"""The application model: a project's services, networks, volumes, secrets and configs, typed
and validated (unknown attributes refused, ``x-`` extensions allowed), in the long syntax the
loader leaves them in.

The types are msgspec Structs: importing and checking them costs a few milliseconds, where a
model library that builds its validators at import took ~75 ms of every compose command."""

from __future__ import annotations

import functools
import re
import types
import typing
from typing import Any, Literal, TypeVar

import msgspec
from msgspec import Struct, field

from skiff.compose.canonical import ComposeError

EXTENSIONS = "x-"  # where the x- keys of a model's object go (a key no model has)


class _Model(Struct, forbid_unknown_fields=True):
    """A model: unknown attributes are refused; its ``x-`` keys are its ``extensions``."""

    extensions: dict[str, Any] = field(default_factory=dict, name=EXTENSIONS)


Duration = str | int | float

class Build(_Model, kw_only=True):
    context: str = "."
    dockerfile: str | None = None
    dockerfile_inline: str | None = None
    args: dict[str, str | None] = field(default_factory=dict)
    labels: dict[str, str | None] = field(default_factory=dict)
    target: str | None = None
    network: str | None = None
    cache_from: list[str] = field(default_factory=list)
    cache_to: list[str] = field(default_factory=list)
    no_cache: bool = False
    pull: bool = False
    shm_size: str | int | None = None
    extra_hosts: list[str] | dict[str, str] | None = None
    secrets: list[Any] = field(default_factory=list)
    ssh: list[str] | dict[str, str] | None = None
    tags: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    additional_contexts: dict[str, str] | list[str] | None = None
    isolation: str | None = None
    privileged: bool = False
    ulimits: dict[str, Any] | None = None
    entitlements: list[str] = field(default_factory=list)


class Port(_Model, kw_only=True):
    target: int
    published: str | None = None
    host_ip: str | None = None
    protocol: str = "tcp"
    mode: str = "ingress"
    name: str | None = None
    app_protocol: str | None = None


class Mount(_Model, kw_only=True):
    type: Literal["volume", "bind", "tmpfs", "npipe", "cluster", "image"] = "volume"
    source: str | None = None
    target: str
    read_only: bool = False
    consistency: str | None = None
    bind: dict[str, Any] | None = None
    volume: dict[str, Any] | None = None
    tmpfs: dict[str, Any] | None = None
    image: dict[str, Any] | None = None


class Dependency(_Model, kw_only=True):
    condition: Literal["service_started", "service_healthy",
                       "service_completed_successfully"] = "service_started"
    restart: bool = False
    required: bool = True


class Healthcheck(_Model, kw_only=True):
    test: list[str] | None = None
    interval: Duration | None = None
    timeout: Duration | None = None
    retries: int | None = None
    start_period: Duration | None = None
    start_interval: Duration | None = None
    disable: bool = False


class ServiceNetwork(_Model, kw_only=True):
    aliases: list[str] = field(default_factory=list)
    ipv4_address: str | None = None
    ipv6_address: str | None = None
    link_local_ips: list[str] = field(default_factory=list)
    mac_address: str | None = None
    driver_opts: dict[str, str] = field(default_factory=dict)
    priority: int | None = None
    gw_priority: int | None = None
    interface_name: str | None = None


class FileRef(_Model, kw_only=True):
    source: str
    target: str | None = None
    uid: str | None = None
    gid: str | None = None
    mode: int | str | None = None


class EnvFile(_Model, kw_only=True):
    path: str
    required: bool = True
    format: str | None = None


class Logging(_Model, kw_only=True):
    driver: str | None = None
    options: dict[str, str | None] = field(default_factory=dict)


class Deploy(_Model, kw_only=True):
    mode: str | None = None
    replicas: int | None = None
    labels: dict[str, str] | list[str] | None = None
    resources: dict[str, Any] = field(default_factory=dict)
    restart_policy: dict[str, Any] | None = None
    update_config: dict[str, Any] | None = None
    rollback_config: dict[str, Any] | None = None
    placement: dict[str, Any] | None = None
    endpoint_mode: str | None = None


class Service(_Model, kw_only=True):
    name: str = ""
    image: str | None = None
    build: Build | None = None
    command: list[str] | None = None
    entrypoint: list[str] | None = None
    environment: dict[str, str | None] = field(default_factory=dict)
    env_file: list[EnvFile] = field(default_factory=list)
    labels: dict[str, str | None] = field(default_factory=dict)
    annotations: dict[str, str | None] = field(default_factory=dict)
    ports: list[Port] = field(default_factory=list)
    expose: list[str] = field(default_factory=list)
    volumes: list[Mount] = field(default_factory=list)
    volumes_from: list[str] = field(default_factory=list)
    tmpfs: list[str] = field(default_factory=list)
    networks: dict[str, ServiceNetwork | None] = field(default_factory=dict)
    network_mode: str | None = None
    depends_on: dict[str, Dependency] = field(default_factory=dict)
    healthcheck: Healthcheck | None = None
    restart: str | None = None
    deploy: Deploy | None = None
    scale: int | None = None
    profiles: list[str] = field(default_factory=list)
    container_name: str | None = None
    hostname: str | None = None
    domainname: str | None = None
    user: str | None = None
    working_dir: str | None = None
    tty: bool = False
    stdin_open: bool = False
    init: bool | None = None
    privileged: bool = False
    read_only: bool = False
    cap_add: list[str] = field(default_factory=list)
    cap_drop: list[str] = field(default_factory=list)
    security_opt: list[str] = field(default_factory=list)
    extra_hosts: list[str] = field(default_factory=list)
    dns: list[str] = field(default_factory=list)
    dns_search: list[str] = field(default_factory=list)
    dns_opt: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    external_links: list[str] = field(default_factory=list)
    stop_signal: str | None = None
    stop_grace_period: Duration | None = None
    secrets: list[FileRef] = field(default_factory=list)
    configs: list[FileRef] = field(default_factory=list)
    logging: Logging | None = None
    ulimits: dict[str, int | dict[str, int]] = field(default_factory=dict)
    sysctls: dict[str, str | None] = field(default_factory=dict)
    shm_size: str | int | None = None
    mem_limit: str | int | None = None
    mem_reservation: str | int | None = None
    memswap_limit: str | int | None = None
    cpus: float | str | None = None
    cpu_shares: int | None = None
    cpu_quota: int | None = None
    cpu_period: int | None = None
    cpuset: str | None = None
    pids_limit: int | None = None
    pid: str | None = None
    ipc: str | None = None
    uts: str | None = None
    userns_mode: str | None = None
    cgroup: str | None = None
    cgroup_parent: str | None = None
    devices: list[Any] = field(default_factory=list)
    group_add: list[str | int] = field(default_factory=list)
    oom_score_adj: int | None = None
    oom_kill_disable: bool | None = None
    mac_address: str | None = None
    platform: str | None = None
    pull_policy: str | None = None
    runtime: str | None = None
    storage_opt: dict[str, str] | None = None
    attach: bool | None = None  # None: not written (and attached)
    develop: dict[str, Any] | None = None
    label_file: list[str] = field(default_factory=list)
    post_start: list[Any] = field(default_factory=list)
    pre_stop: list[Any] = field(default_factory=list)
    extends: Any = None

    @property
    def replicas(self) -> int:
        """How many containers the service runs: ``scale``, else ``deploy.replicas``, else 1."""
        if self.scale is not None:
            return self.scale
        if self.deploy is not None and self.deploy.replicas is not None:
            return self.deploy.replicas
        return 1


class Network(_Model, kw_only=True):
    name: str | None = None
    driver: str | None = None
    driver_opts: dict[str, str] = field(default_factory=dict)
    ipam: dict[str, Any] | None = None
    external: bool = False
    internal: bool = False
    attachable: bool = False
    enable_ipv4: bool | None = None
    enable_ipv6: bool | None = None
    labels: dict[str, str] | list[str] = field(default_factory=dict)


class Volume(_Model, kw_only=True):
    name: str | None = None
    driver: str | None = None
    driver_opts: dict[str, str] = field(default_factory=dict)
    external: bool = False
    labels: dict[str, str] | list[str] = field(default_factory=dict)


class FileObject(_Model, kw_only=True):
    """A top-level secret or config: from a file, the environment or inline content."""

    name: str | None = None
    file: str | None = None
    environment: str | None = None
    content: str | None = None
    external: bool = False
    labels: dict[str, str] | list[str] = field(default_factory=dict)
    driver: str | None = None
    template_driver: str | None = None


class Project(_Model, kw_only=True):
    name: str = ""
    version: str | None = None
    services: dict[str, Service] = field(default_factory=dict)
    networks: dict[str, Network] = field(default_factory=dict)
    volumes: dict[str, Volume] = field(default_factory=dict)
    secrets: dict[str, FileObject] = field(default_factory=dict)
    configs: dict[str, FileObject] = field(default_factory=dict)
    include: Any = None
    models: dict[str, Any] | None = None

    def image_of(self, service: Service) -> str:
        """The image a service runs: its own, else the one its build makes
        (``<project>-<service>``)."""
        return service.image or f"{self.name}-{service.name}"


M = TypeVar("M", bound=_Model)
_OBJECT_TYPES = (dict, Struct)
_EXPECTED = {"int": "integer", "str": "string", "bool": "boolean", "float": "number",
             "array": "array", "object": "object", "null": "null"}


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _members(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _shaped(annotation: Any, data: Any) -> Any:
    """The member of a union that ``data``'s shape (object or array) goes to, if any."""
    for member in _members(annotation):
        origin = typing.get_origin(member) or member
        if isinstance(data, dict) and isinstance(origin, type) and \
                issubclass(origin, _OBJECT_TYPES):
            return member
        if isinstance(data, list) and origin is list:
            return member
    return None


def _strip(data: Any, annotation: Any) -> Any:
    """``data`` with the ``x-`` keys of its objects that are models gathered under
    ``EXTENSIONS`` (a label or an environment variable named ``x-...`` stays as it is)."""
    member = _shaped(annotation, data)
    if member is None:
        return data
    if isinstance(member, type) and issubclass(member, Struct):
        hints = _hints(member)
        out = {k: _strip(v, hints.get(k, Any)) for k, v in data.items()
               if not str(k).startswith("x-")}
        extensions = {k: v for k, v in data.items() if str(k).startswith("x-")}
        if extensions:
            out[EXTENSIONS] = extensions
        return out
    args = typing.get_args(member)
    if isinstance(data, dict):
        return {k: _strip(v, args[1]) for k, v in data.items()} if len(args) == 2 else data
    return [_strip(v, args[0]) for v in data] if args else data


def _step(data: Any, annotation: Any, part: str) -> tuple[Any, Any, str]:
    """One step down an error path: the data and type under ``part``, and its name (a map
    key found by checking each entry, as msgspec writes them ``[...]``)."""
    member = _shaped(annotation, data)
    if part == "[...]" and isinstance(data, dict):
        value_type = typing.get_args(member)[1]
        for key, value in data.items():
            try:
                msgspec.convert(value, value_type, strict=False)
            except msgspec.ValidationError:
                return value, value_type, f".{key}"
        return data, Any, part
    if part.startswith("["):
        index = int(part[1:-1])
        return data[index], typing.get_args(member)[0], part
    name = part[1:]
    hints = _hints(member) if isinstance(member, type) and issubclass(member, Struct) else {}
    return (data.get(name) if isinstance(data, dict) else None), hints.get(name, Any), part


def _where(data: Any, path: str) -> str:
    """compose's name of a msgspec error path (``$.services[...].ports[0]``):
    ``services.web.ports[0]``."""
    out, annotation = "", Project
    for part in re.findall(r"\[\.\.\.\]|\[\d+\]|\.[^.\[]+", path.removeprefix("$")):
        data, annotation, name = _step(data, annotation, part)
        out += name
    return out.removeprefix(".")


def _message(text: str) -> str:
    if text.startswith("Expected `"):
        wanted = text.split("`")[1]
        return "must be a " + " or ".join(_EXPECTED.get(t, t) for t in wanted.split(" | "))
    return text[0].lower() + text[1:]


def parse(cls: type[M], data: Any) -> M:
    """One model from plain data (its ``x-`` keys kept as its extensions); msgspec's error if
    it does not fit."""
    return msgspec.convert(_strip(data, cls), cls, strict=False)


def replace(model: M, **changes: Any) -> M:
    """A copy of ``model`` with these attributes changed (not validated again)."""
    return msgspec.structs.replace(model, **changes)


def validate(data: dict[str, Any], files: str) -> Project:
    """The project model of a merged tree; the first problem as compose words it."""
    try:
        return parse(Project, data)
    except msgspec.ValidationError as exc:
        text, _, at = str(exc).partition(" - at `")
        where = _where(_strip(data, Project), at.rstrip("`")) if at else ""
        unknown = re.match(r"Object contains unknown field `(.*)`$", text)
        if unknown:
            raise ComposeError(f"validating {files}: {where or '(root)'} additional "
                               f"properties '{unknown.group(1)}' not allowed") from None
        raise ComposeError(f"validating {files}: {where or '(root)'} {_message(text)}") from None
