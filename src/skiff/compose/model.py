"""The application model: a project's services, networks, volumes, secrets and configs, typed
and validated (unknown attributes refused, ``x-`` extensions allowed), in the long syntax the
loader leaves them in."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from skiff.compose.canonical import ComposeError


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _extensions(cls, data: Any) -> Any:
        """``x-`` keys are the user's own: kept out of validation."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not str(k).startswith("x-")}
        return data


Duration = str | int | float


class Build(_Model):
    context: str = "."
    dockerfile: str | None = None
    dockerfile_inline: str | None = None
    args: dict[str, str | None] = Field(default_factory=dict)
    labels: dict[str, str | None] = Field(default_factory=dict)
    target: str | None = None
    network: str | None = None
    cache_from: list[str] = Field(default_factory=list)
    cache_to: list[str] = Field(default_factory=list)
    no_cache: bool = False
    pull: bool = False
    shm_size: str | int | None = None
    extra_hosts: list[str] | dict[str, str] | None = None
    secrets: list[Any] = Field(default_factory=list)
    ssh: list[str] | dict[str, str] | None = None
    tags: list[str] = Field(default_factory=list)
    platforms: list[str] = Field(default_factory=list)
    additional_contexts: dict[str, str] | list[str] | None = None
    isolation: str | None = None
    privileged: bool = False
    ulimits: dict[str, Any] | None = None
    entitlements: list[str] = Field(default_factory=list)


class Port(_Model):
    target: int
    published: str | None = None
    host_ip: str | None = None
    protocol: str = "tcp"
    mode: str = "ingress"
    name: str | None = None
    app_protocol: str | None = None


class Mount(_Model):
    type: Literal["volume", "bind", "tmpfs", "npipe", "cluster", "image"] = "volume"
    source: str | None = None
    target: str
    read_only: bool = False
    consistency: str | None = None
    bind: dict[str, Any] | None = None
    volume: dict[str, Any] | None = None
    tmpfs: dict[str, Any] | None = None
    image: dict[str, Any] | None = None


class Dependency(_Model):
    condition: Literal["service_started", "service_healthy",
                       "service_completed_successfully"] = "service_started"
    restart: bool = False
    required: bool = True


class Healthcheck(_Model):
    test: list[str] | None = None
    interval: Duration | None = None
    timeout: Duration | None = None
    retries: int | None = None
    start_period: Duration | None = None
    start_interval: Duration | None = None
    disable: bool = False


class ServiceNetwork(_Model):
    aliases: list[str] = Field(default_factory=list)
    ipv4_address: str | None = None
    ipv6_address: str | None = None
    link_local_ips: list[str] = Field(default_factory=list)
    mac_address: str | None = None
    driver_opts: dict[str, str] = Field(default_factory=dict)
    priority: int | None = None
    gw_priority: int | None = None
    interface_name: str | None = None


class FileRef(_Model):
    source: str
    target: str | None = None
    uid: str | None = None
    gid: str | None = None
    mode: int | str | None = None


class EnvFile(_Model):
    path: str
    required: bool = True
    format: str | None = None


class Logging(_Model):
    driver: str | None = None
    options: dict[str, str | None] = Field(default_factory=dict)


class Deploy(_Model):
    mode: str | None = None
    replicas: int | None = None
    labels: dict[str, str] | list[str] | None = None
    resources: dict[str, Any] = Field(default_factory=dict)
    restart_policy: dict[str, Any] | None = None
    update_config: dict[str, Any] | None = None
    rollback_config: dict[str, Any] | None = None
    placement: dict[str, Any] | None = None
    endpoint_mode: str | None = None


class Service(_Model):
    name: str = ""
    image: str | None = None
    build: Build | None = None
    command: list[str] | None = None
    entrypoint: list[str] | None = None
    environment: dict[str, str | None] = Field(default_factory=dict)
    env_file: list[EnvFile] = Field(default_factory=list)
    labels: dict[str, str | None] = Field(default_factory=dict)
    annotations: dict[str, str | None] = Field(default_factory=dict)
    ports: list[Port] = Field(default_factory=list)
    expose: list[str] = Field(default_factory=list)
    volumes: list[Mount] = Field(default_factory=list)
    volumes_from: list[str] = Field(default_factory=list)
    tmpfs: list[str] = Field(default_factory=list)
    networks: dict[str, ServiceNetwork | None] = Field(default_factory=dict)
    network_mode: str | None = None
    depends_on: dict[str, Dependency] = Field(default_factory=dict)
    healthcheck: Healthcheck | None = None
    restart: str | None = None
    deploy: Deploy | None = None
    scale: int | None = None
    profiles: list[str] = Field(default_factory=list)
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
    cap_add: list[str] = Field(default_factory=list)
    cap_drop: list[str] = Field(default_factory=list)
    security_opt: list[str] = Field(default_factory=list)
    extra_hosts: list[str] = Field(default_factory=list)
    dns: list[str] = Field(default_factory=list)
    dns_search: list[str] = Field(default_factory=list)
    dns_opt: list[str] = Field(default_factory=list)
    links: list[str] = Field(default_factory=list)
    external_links: list[str] = Field(default_factory=list)
    stop_signal: str | None = None
    stop_grace_period: Duration | None = None
    secrets: list[FileRef] = Field(default_factory=list)
    configs: list[FileRef] = Field(default_factory=list)
    logging: Logging | None = None
    ulimits: dict[str, int | dict[str, int]] = Field(default_factory=dict)
    sysctls: dict[str, str | None] = Field(default_factory=dict)
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
    devices: list[Any] = Field(default_factory=list)
    group_add: list[str | int] = Field(default_factory=list)
    oom_score_adj: int | None = None
    oom_kill_disable: bool | None = None
    mac_address: str | None = None
    platform: str | None = None
    pull_policy: str | None = None
    runtime: str | None = None
    storage_opt: dict[str, str] | None = None
    attach: bool = True
    develop: dict[str, Any] | None = None
    label_file: list[str] = Field(default_factory=list)
    post_start: list[Any] = Field(default_factory=list)
    pre_stop: list[Any] = Field(default_factory=list)
    extends: Any = None

    @property
    def replicas(self) -> int:
        """How many containers the service runs: ``scale``, else ``deploy.replicas``, else 1."""
        if self.scale is not None:
            return self.scale
        if self.deploy is not None and self.deploy.replicas is not None:
            return self.deploy.replicas
        return 1


class Network(_Model):
    name: str | None = None
    driver: str | None = None
    driver_opts: dict[str, str] = Field(default_factory=dict)
    ipam: dict[str, Any] | None = None
    external: bool = False
    internal: bool = False
    attachable: bool = False
    enable_ipv4: bool | None = None
    enable_ipv6: bool | None = None
    labels: dict[str, str] | list[str] = Field(default_factory=dict)


class Volume(_Model):
    name: str | None = None
    driver: str | None = None
    driver_opts: dict[str, str] = Field(default_factory=dict)
    external: bool = False
    labels: dict[str, str] | list[str] = Field(default_factory=dict)


class FileObject(_Model):
    """A top-level secret or config: from a file, the environment or inline content."""

    name: str | None = None
    file: str | None = None
    environment: str | None = None
    content: str | None = None
    external: bool = False
    labels: dict[str, str] | list[str] = Field(default_factory=dict)
    driver: str | None = None
    template_driver: str | None = None


class Project(_Model):
    name: str = ""
    version: str | None = None
    services: dict[str, Service] = Field(default_factory=dict)
    networks: dict[str, Network] = Field(default_factory=dict)
    volumes: dict[str, Volume] = Field(default_factory=dict)
    secrets: dict[str, FileObject] = Field(default_factory=dict)
    configs: dict[str, FileObject] = Field(default_factory=dict)
    include: Any = None
    models: dict[str, Any] | None = None


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def validate(data: dict[str, Any], files: str) -> Project:
    """The project model of a merged tree; the first problem as compose words it."""
    try:
        return Project.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        if error["type"] == "extra_forbidden":
            parent, key = _where(loc[:-1]), loc[-1]
            raise ComposeError(f"validating {files}: {parent or '(root)'} additional "
                               f"properties '{key}' not allowed") from None
        message = error["msg"][0].lower() + error["msg"][1:]
        raise ComposeError(f"validating {files}: {_where(loc)} {message}") from None
