"""A service's container as the Engine API creates it: the config, host config and first
network of ``POST /containers/create``, with compose's labels (the config hash is
:mod:`skiff.compose.confighash`'s)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from skiff.api.humanize import ram_in_bytes
from skiff.api.timefmt import parse_duration_ns
from skiff.compose import labels as L
from skiff.compose.canonical import ComposeError
from skiff.compose.confighash import config_hash
from skiff.compose.model import Mount, Project, Service


def container_name(project: Project, service: Service, number: int) -> str:
    return service.container_name or f"{project.name}-{service.name}-{number}"


def _duration(value: str | int | float | None, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, int | float):
        return int(value * 1e9)
    try:
        return parse_duration_ns(value)
    except Exception:
        raise ComposeError(f"{where}: invalid duration {value!r}") from None


def _bytes(value: str | int | None, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    try:
        return ram_in_bytes(value)
    except ValueError:
        raise ComposeError(f"{where}: invalid size {value!r}") from None


def _mount(project: Project, mount: Mount) -> dict[str, Any]:
    out: dict[str, Any] = {"Type": mount.type, "Target": mount.target,
                           "ReadOnly": mount.read_only}
    if mount.type == "volume" and mount.source:
        out["Source"] = project.volumes[mount.source].name
        if mount.volume and mount.volume.get("nocopy"):
            out["VolumeOptions"] = {"NoCopy": True}
    elif mount.source:
        out["Source"] = mount.source
    if mount.type == "bind":
        bind = mount.bind or {}
        out["BindOptions"] = {k: v for k, v in {
            "Propagation": bind.get("propagation"),
            "CreateMountpoint": bind.get("create_host_path", True)}.items() if v is not None}
    if mount.type == "tmpfs" and mount.tmpfs:
        out["TmpfsOptions"] = {k: v for k, v in {
            "SizeBytes": _bytes(mount.tmpfs.get("size"), "tmpfs.size") or None,
            "Mode": mount.tmpfs.get("mode")}.items() if v is not None}
    return out


def _healthcheck(service: Service) -> dict[str, Any] | None:
    check = service.healthcheck
    if check is None:
        return None
    if check.disable:
        return {"Test": ["NONE"]}
    where = f"services.{service.name}.healthcheck"
    out: dict[str, Any] = {"Test": check.test} if check.test else {}
    for key, value in (("Interval", check.interval), ("Timeout", check.timeout),
                       ("StartPeriod", check.start_period),
                       ("StartInterval", check.start_interval)):
        if value is not None:
            out[key] = _duration(value, where)
    if check.retries is not None:
        out["Retries"] = check.retries
    return out


def _restart(service: Service) -> dict[str, Any]:
    if service.restart:
        name, _, count = service.restart.partition(":")
        policy: dict[str, Any] = {"Name": "" if name == "no" else name}
        if count:
            policy["MaximumRetryCount"] = int(count)
        return policy
    policy_spec = service.deploy.restart_policy if service.deploy else None
    if policy_spec:
        condition = policy_spec.get("condition", "any")
        name = {"none": "", "on-failure": "on-failure", "any": "always"}.get(condition, "")
        out: dict[str, Any] = {"Name": name}
        if policy_spec.get("max_attempts") is not None:
            out["MaximumRetryCount"] = int(policy_spec["max_attempts"])
        return out
    return {"Name": ""}


def _resources(service: Service, host: dict[str, Any]) -> None:
    where = f"services.{service.name}"
    limits = (service.deploy.resources.get("limits") if service.deploy else None) or {}
    reservations = (service.deploy.resources.get("reservations")
                    if service.deploy else None) or {}
    memory = service.mem_limit or limits.get("memory")
    if memory:
        host["Memory"] = _bytes(memory, f"{where}.mem_limit")
    if service.memswap_limit:
        host["MemorySwap"] = _bytes(service.memswap_limit, f"{where}.memswap_limit")
    reserved = service.mem_reservation or reservations.get("memory")
    if reserved:
        host["MemoryReservation"] = _bytes(reserved, f"{where}.mem_reservation")
    cpus = service.cpus or limits.get("cpus")
    if cpus:
        host["NanoCpus"] = int(float(cpus) * 1e9)
    pids = service.pids_limit or limits.get("pids")
    if pids:
        host["PidsLimit"] = int(pids)
    for key, value in (("CpuShares", service.cpu_shares), ("CpuQuota", service.cpu_quota),
                       ("CpuPeriod", service.cpu_period), ("CpusetCpus", service.cpuset)):
        if value:
            host[key] = value


def _ports(service: Service) -> tuple[dict[str, Any], dict[str, list[dict[str, str]]]]:
    exposed: dict[str, Any] = {f"{p}/tcp" if "/" not in p else p: {} for p in service.expose}
    bindings: dict[str, list[dict[str, str]]] = {}
    for port in service.ports:
        key = f"{port.target}/{port.protocol}"
        exposed[key] = {}
        bindings.setdefault(key, []).append({"HostIp": port.host_ip or "",
                                             "HostPort": port.published or ""})
    return exposed, bindings


@dataclass(frozen=True)
class Networks:
    """Where a container goes: the network it is created on, and those it joins next."""

    mode: str
    first: dict[str, Any]
    rest: list[tuple[str, dict[str, Any]]]


def networks(project: Project, service: Service, name: str) -> Networks:
    if service.network_mode:  # a service:NAME mode is made container:ID when creating
        return Networks(service.network_mode, {}, [])
    ordered = sorted(service.networks.items(),
                     key=lambda item: -((item[1].priority or 0) if item[1] else 0))
    endpoints = []
    for key, spec in ordered:
        aliases = [service.name, *(spec.aliases if spec else [])]
        endpoint: dict[str, Any] = {"Aliases": aliases}
        if spec and (spec.ipv4_address or spec.ipv6_address):
            endpoint["IPAMConfig"] = {k: v for k, v in {
                "IPv4Address": spec.ipv4_address, "IPv6Address": spec.ipv6_address}.items()
                if v}
        if spec and spec.mac_address:
            endpoint["MacAddress"] = spec.mac_address
        endpoints.append((project.networks[key].name or key, endpoint))
    if not endpoints:
        return Networks("none", {}, [])
    first_name, first = endpoints[0]
    return Networks(first_name, {first_name: first}, endpoints[1:])


def create_body(project: Project, service: Service, number: int, image_id: str,
                working_dir: str, config_files: list[str], oneoff: bool = False,
                extra_labels: dict[str, str] | None = None) -> dict[str, Any]:
    """``POST /containers/create``'s body for container ``number`` of a service."""
    name = container_name(project, service, number)
    exposed, bindings = _ports(service)
    joined = networks(project, service, name)
    depends = ",".join(f"{dep}:{cond.condition}:{str(cond.restart).lower()}"
                       for dep, cond in service.depends_on.items())
    compose_labels = {
        L.PROJECT: project.name, L.SERVICE: service.name, L.NUMBER: str(number),
        L.ONEOFF: "True" if oneoff else "False", L.CONFIG_HASH: config_hash(service),
        L.WORKING_DIR: working_dir, L.CONFIG_FILES: ",".join(config_files),
        L.DEPENDS_ON: depends, L.IMAGE: image_id, L.VERSION: L.COMPOSE_VERSION,
    }
    host: dict[str, Any] = {
        "NetworkMode": joined.mode, "PortBindings": bindings,
        "RestartPolicy": _restart(service),
        "Mounts": [_mount(project, m) for m in service.volumes],
        "Privileged": service.privileged, "ReadonlyRootfs": service.read_only,
        "CapAdd": service.cap_add or None, "CapDrop": service.cap_drop or None,
        "SecurityOpt": service.security_opt or None,
        "ExtraHosts": [h.replace("=", ":", 1) for h in service.extra_hosts] or None,
        "Dns": service.dns or None, "DnsSearch": service.dns_search or None,
        "DnsOptions": service.dns_opt or None,
        "Tmpfs": {t.partition(":")[0]: t.partition(":")[2] for t in service.tmpfs} or None,
        "Init": service.init, "ShmSize": _bytes(service.shm_size, "shm_size") or None,
        "Sysctls": {k: v or "" for k, v in service.sysctls.items()} or None,
        "Ulimits": [{"Name": k, "Soft": v, "Hard": v} if isinstance(v, int) else
                    {"Name": k, "Soft": v.get("soft", 0), "Hard": v.get("hard", 0)}
                    for k, v in service.ulimits.items()] or None,
        "PidMode": service.pid, "IpcMode": service.ipc, "UTSMode": service.uts,
        "UsernsMode": service.userns_mode, "CgroupParent": service.cgroup_parent,
        "GroupAdd": [str(g) for g in service.group_add] or None,
        "OomScoreAdj": service.oom_score_adj, "VolumesFrom": service.volumes_from or None,
        "Links": [link if ":" in link else f"{link}:{link}" for link in service.links] or None,
    }
    if service.logging and service.logging.driver:
        host["LogConfig"] = {"Type": service.logging.driver,
                             "Config": {k: v or "" for k, v in
                                        service.logging.options.items()}}
    _resources(service, host)
    body: dict[str, Any] = {
        "Image": project.image_of(service),
        "Cmd": service.command, "Entrypoint": service.entrypoint,
        "Env": [f"{k}={v}" for k, v in service.environment.items() if v is not None],
        "Labels": {**{k: v or "" for k, v in service.labels.items()}, **compose_labels,
                   **(extra_labels or {})},
        "Hostname": service.hostname or "", "Domainname": service.domainname or "",
        "User": service.user or "", "WorkingDir": service.working_dir or "",
        "Tty": service.tty, "OpenStdin": service.stdin_open,
        "AttachStdin": False, "AttachStdout": False, "AttachStderr": False,
        "ExposedPorts": exposed or None, "StopSignal": service.stop_signal,
        "StopTimeout": _duration(service.stop_grace_period, "stop_grace_period") // 10**9
        if service.stop_grace_period is not None else None,
        "Healthcheck": _healthcheck(service),
        "HostConfig": {k: v for k, v in host.items() if v is not None},
        "NetworkingConfig": {"EndpointsConfig": joined.first},
    }
    if service.mac_address:
        body["MacAddress"] = service.mac_address
    return {k: v for k, v in body.items() if v is not None}
