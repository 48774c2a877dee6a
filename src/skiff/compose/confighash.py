"""The ``com.docker.compose.config-hash`` label, equal to docker compose v2's: the sha256 of Go's
``json.Marshal`` of compose-go's ``ServiceConfig`` (fields in compose-go's order, ``omitempty``
honoured, compose-go's own encodings of sizes, durations, env files, hosts and ulimits), with
``build``, ``pull_policy``, ``scale`` and ``deploy.replicas`` left out as compose leaves them,
and ``env_file`` too: ``up`` hashes the environment with the files' variables merged in and
the files dropped.
``gw_priority`` and ``interface_name`` are not hashed: compose 2.26 drops them.
Fields compose-go has and skiff's model does not (``blkio_config``, ``credential_spec``,
``gpus``, ...) are never set, so they are absent on both sides."""

from __future__ import annotations

import hashlib
from typing import Any

from skiff.api.humanize import ram_in_bytes
from skiff.api.timefmt import go_duration, parse_duration_ns
from skiff.compose import gojson as g
from skiff.compose.model import (
    Build,
    Deploy,
    FileRef,
    Healthcheck,
    Logging,
    Mount,
    Port,
    Service,
    ServiceNetwork,
    parse,
)


def config_hash(service: Service) -> str:
    """The hash compose v2 writes on a container of this service."""
    return hashlib.sha256(service_json(service).encode()).hexdigest()


def service_json(service: Service) -> str:
    """What compose v2 hashes: its ``ServiceConfig`` as Go's ``json.Marshal`` writes it."""
    return g.dumps(service_config(service))


def service_config(service: Service, whole: bool = False) -> g.Struct:
    """compose-go's ``ServiceConfig`` of a service: what is hashed, or (``whole``) all of it,
    as ``config --format json`` shows it."""
    s = service
    return g.fields(
        ("profiles", s.profiles, True),
        ("annotations", _mapping(s.annotations), True),
        ("attach", g.Ptr(s.attach) if s.attach is not None else None, True),
        ("build", _build(s.build) if whole else None, True),
        ("develop", _develop(s.develop), True),
        ("cap_add", s.cap_add, True),
        ("cap_drop", s.cap_drop, True),
        ("cgroup_parent", s.cgroup_parent, True),
        ("cgroup", s.cgroup, True),
        ("cpu_period", s.cpu_period, True),
        ("cpu_quota", s.cpu_quota, True),
        ("cpus", _cpus(s.cpus), True),
        ("cpuset", s.cpuset, True),
        ("cpu_shares", s.cpu_shares, True),
        ("command", s.command, False),
        ("configs", [_file_ref(r) for r in s.configs], True),
        ("container_name", s.container_name, True),
        ("depends_on", {k: g.fields(("condition", d.condition, True),
                                    ("restart", d.restart, True),
                                    ("required", d.required, False),
                                    (g.INLINE, g.Extensions(d.extensions), True))
                        for k, d in s.depends_on.items()}, True),
        ("deploy", _deploy(s.deploy, s.scale, whole), True),
        ("devices", [_device(d) for d in s.devices], True),
        ("dns", s.dns, True),
        ("dns_opt", s.dns_opt, True),
        ("dns_search", s.dns_search, True),
        ("domainname", s.domainname, True),
        ("entrypoint", s.entrypoint, False),
        ("environment", s.environment, True),
        ("expose", s.expose, True),
        ("external_links", s.external_links, True),
        ("extra_hosts", _hosts(s.extra_hosts), True),
        ("group_add", [str(x) for x in s.group_add], True),
        ("hostname", s.hostname, True),
        ("healthcheck", _healthcheck(s.healthcheck), True),
        ("image", s.image, True),
        ("init", g.Ptr(s.init) if s.init is not None else None, True),
        ("ipc", s.ipc, True),
        ("labels", _mapping(s.labels), True),
        ("label_file", s.label_file, True),
        ("links", s.links, True),
        ("logging", _logging(s.logging), True),
        ("mem_limit", _bytes(s.mem_limit), True),
        ("mem_reservation", _bytes(s.mem_reservation), True),
        ("memswap_limit", _bytes(s.memswap_limit), True),
        ("mac_address", s.mac_address, True),
        ("network_mode", s.network_mode, True),
        ("networks", {k: _network(n) for k, n in s.networks.items()}, True),
        ("oom_kill_disable", bool(s.oom_kill_disable), True),
        ("oom_score_adj", s.oom_score_adj, True),
        ("pid", s.pid, True),
        ("pids_limit", s.pids_limit, True),
        ("platform", s.platform, True),
        ("ports", [_port(p) for p in s.ports], True),
        ("privileged", s.privileged, True),
        ("pull_policy", ("missing" if s.pull_policy == "if_not_present" else s.pull_policy)
         if whole else None, True),
        ("read_only", s.read_only, True),
        ("restart", s.restart, True),
        ("runtime", s.runtime, True),
        ("scale", g.Ptr(s.scale) if whole and s.scale is not None else None, True),
        ("secrets", [_file_ref(r, "/run/secrets/") for r in s.secrets], True),
        ("security_opt", s.security_opt, True),
        ("shm_size", _bytes(s.shm_size), True),
        ("stdin_open", s.stdin_open, True),
        ("stop_grace_period", _duration(s.stop_grace_period), True),
        ("stop_signal", s.stop_signal, True),
        ("storage_opt", s.storage_opt, True),
        ("sysctls", _mapping(s.sysctls), True),
        ("tmpfs", s.tmpfs, True),
        ("tty", s.tty, True),
        ("ulimits", {k: _ulimit(v) for k, v in s.ulimits.items()}, True),
        ("user", s.user, True),
        ("userns_mode", s.userns_mode, True),
        ("uts", s.uts, True),
        ("volumes", [_mount(m) for m in s.volumes], True),
        ("volumes_from", s.volumes_from, True),
        ("working_dir", s.working_dir, True),
        ("post_start", [_hook(h) for h in s.post_start], True),
        ("pre_stop", [_hook(h) for h in s.pre_stop], True),
        (g.INLINE, g.Extensions(s.extensions), True),
    )


def _build(build: Build | None) -> g.Struct | None:
    """compose-go's ``BuildConfig``; ``ssh`` is left out (Go writes it as invalid JSON)."""
    if build is None:
        return None
    b = build
    dockerfile = b.dockerfile or (None if b.dockerfile_inline else "Dockerfile")
    hosts = b.extra_hosts if isinstance(b.extra_hosts, list) else \
        [f"{k}={v}" for k, v in (b.extra_hosts or {}).items()]
    contexts = b.additional_contexts if isinstance(b.additional_contexts, dict) else \
        dict(x.partition("=")[::2] for x in b.additional_contexts or [])
    return g.omit(("context", b.context), ("dockerfile", dockerfile),
                  ("dockerfile_inline", b.dockerfile_inline), ("entitlements", b.entitlements),
                  ("args", b.args), ("labels", _mapping(b.labels)),
                  ("cache_from", b.cache_from), ("cache_to", b.cache_to),
                  ("no_cache", b.no_cache), ("additional_contexts", contexts),
                  ("pull", b.pull), ("extra_hosts", _hosts(hosts)), ("isolation", b.isolation),
                  ("network", b.network), ("target", b.target),
                  ("secrets", [_file_ref(parse(FileRef, x) if isinstance(x, dict)
                                         else FileRef(source=str(x)), "/run/secrets/")
                               for x in b.secrets]),
                  ("shm_size", _bytes(b.shm_size)), ("tags", b.tags),
                  ("ulimits", {k: _ulimit(v) for k, v in (b.ulimits or {}).items()}),
                  ("platforms", b.platforms), ("privileged", b.privileged),
                  (g.INLINE, g.Extensions(b.extensions)))


def _mapping(values: dict[str, str | None]) -> dict[str, str]:
    """compose-go's ``Labels``/``Mapping``: a key without a value maps to ""."""
    return {k: "" if v is None else v for k, v in values.items()}


def _bytes(value: str | int | None) -> str | None:
    """``UnitBytes``: the byte count as a JSON string; zero is left out."""
    if value is None:
        return None
    count = value if isinstance(value, int) else ram_in_bytes(str(value))
    return str(count) if count else None


def _ns(value: str | int | float) -> int:
    if isinstance(value, int | float):
        return int(value * 1_000_000_000)
    return parse_duration_ns(value)


def _duration(value: str | int | float | None) -> str | None:
    """A ``*Duration``: present whenever set, even at zero."""
    return None if value is None else go_duration(_ns(value))


def _cpus(value: float | str | None) -> g.Number | None:
    return g.float32(float(value)) if value is not None else None


def _file_ref(ref: FileRef, default_dir: str | None = None) -> g.Struct:
    """A ``secrets``/``configs`` entry; a secret's target defaults to /run/secrets/SOURCE."""
    mode = ref.mode
    if isinstance(mode, str):
        mode = int(mode, 8)
    target = ref.target
    if target is None and default_dir is not None:
        target = default_dir + ref.source
    return g.omit(("source", ref.source), ("target", target), ("uid", ref.uid),
                  ("gid", ref.gid), ("mode", g.Ptr(mode) if mode is not None else None),
                  (g.INLINE, g.Extensions(ref.extensions)))


def _hosts(hosts: list[str]) -> list[str]:
    """``HostsList``: ``host=ip`` entries, one per address, sorted."""
    out = []
    for entry in hosts:
        host, sep, ips = entry.partition("=")
        if not sep:
            host, _, ips = entry.partition(":")
        for ip in ips.split(","):
            if len(ip) > 2 and ip.startswith("[") and ip.endswith("]"):
                ip = ip[1:-1]
            out.append(f"{host}={ip}")
    return sorted(out)


def _healthcheck(check: Healthcheck | None) -> g.Struct | None:
    if check is None:
        return None
    return g.omit(("test", check.test), ("timeout", _duration(check.timeout)),
                  ("interval", _duration(check.interval)),
                  ("retries", g.Ptr(check.retries) if check.retries is not None else None),
                  ("start_period", _duration(check.start_period)),
                  ("start_interval", _duration(check.start_interval)),
                  ("disable", check.disable), (g.INLINE, g.Extensions(check.extensions)))


def _logging(logging: Logging | None) -> g.Struct | None:
    if logging is None:
        return None
    return g.omit(("driver", logging.driver), ("options", _mapping(logging.options)),
                  (g.INLINE, g.Extensions(logging.extensions)))


def _network(network: ServiceNetwork | None) -> g.Struct | None:
    if network is None:
        return None
    n = network
    return g.omit(("priority", n.priority), ("aliases", n.aliases),
                  ("ipv4_address", n.ipv4_address), ("ipv6_address", n.ipv6_address),
                  ("link_local_ips", n.link_local_ips),
                  ("mac_address", n.mac_address), ("driver_opts", n.driver_opts),
                  (g.INLINE, g.Extensions(n.extensions)))


def _port(port: Port) -> g.Struct:
    return g.omit(("name", port.name), ("mode", port.mode), ("host_ip", port.host_ip),
                  ("target", port.target), ("published", port.published),
                  ("protocol", port.protocol), ("app_protocol", port.app_protocol),
                  (g.INLINE, g.Extensions(port.extensions)))


def _mount(mount: Mount) -> g.Struct:
    bind = volume = tmpfs = None
    if mount.bind is not None:
        b = mount.bind
        bind = g.omit(("selinux", b.get("selinux")), ("propagation", b.get("propagation")),
                      ("create_host_path", bool(b.get("create_host_path"))),
                      ("recursive", b.get("recursive")))
    if mount.volume is not None:
        v = mount.volume
        volume = g.omit(("nocopy", bool(v.get("nocopy"))), ("subpath", v.get("subpath")))
    if mount.tmpfs is not None:
        t = mount.tmpfs
        mode = t.get("mode")
        tmpfs = g.omit(("size", _bytes(t.get("size"))),
                       ("mode", int(mode, 8) if isinstance(mode, str) else mode))
    return g.omit(("type", mount.type), ("source", mount.source),
                  ("target", _clean(mount.target)),
                  ("read_only", mount.read_only), ("consistency", mount.consistency),
                  ("bind", bind), ("volume", volume), ("tmpfs", tmpfs),
                  (g.INLINE, g.Extensions(mount.extensions)))


def _clean(path: str) -> str:
    """Go's ``path.Clean``."""
    if not path:
        return path
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append(part)
            continue
        parts.append(part)
    text = "/".join(parts)
    return ("/" + text) if rooted else (text or ".")


def _device(device: Any) -> g.Struct:
    """A ``devices`` entry, ``SOURCE[:TARGET[:PERMISSIONS]]`` or long."""
    if isinstance(device, dict):
        source, target, permissions = (device.get("source"), device.get("target"),
                                       device.get("permissions"))
    else:
        parts = str(device).split(":")
        source = parts[0]
        target = parts[1] if len(parts) > 1 else source
        permissions = parts[2] if len(parts) > 2 else "rwm"
    return g.omit(("source", source), ("target", target), ("permissions", permissions))


def _ulimit(value: int | dict[str, int]) -> Any:
    """``UlimitsConfig``: a single number, else its soft and hard limits."""
    if isinstance(value, int):
        return value if value else g.Ulimit(soft=0, hard=0)
    return g.Ulimit(soft=value.get("soft", 0), hard=value.get("hard", 0))


def _hook(hook: Any) -> g.Struct:
    h = hook if isinstance(hook, dict) else {}
    command = h.get("command")
    if isinstance(command, str):
        command = command.split()
    return g.fields(("command", command, False), ("user", h.get("user"), True),
                    ("privileged", bool(h.get("privileged")), True),
                    ("working_dir", h.get("working_dir"), True),
                    ("environment", h.get("environment"), True))


def _develop(develop: dict[str, Any] | None) -> g.Struct | None:
    if develop is None:
        return None
    watch = [g.fields(("path", w.get("path", ""), False), ("action", w.get("action", ""), False),
                      ("target", w.get("target"), True),
                      ("exec", g.Value(_hook(w.get("exec"))), True),
                      ("ignore", w.get("ignore"), True))
             for w in develop.get("watch") or []]
    return g.omit(("watch", watch))


def _resource(resource: dict[str, Any] | None) -> g.Struct | None:
    if resource is None:
        return None
    r = resource
    devices = [g.omit(("capabilities", d.get("capabilities")), ("driver", d.get("driver")),
                      ("count", _count(d)),
                      ("device_ids", d.get("device_ids")), ("options", d.get("options")))
               for d in r.get("devices") or []]
    generic = [g.omit(("discrete_resource_spec", g.fields(
        ("kind", x["discrete_resource_spec"].get("kind", ""), False),
        ("value", x["discrete_resource_spec"].get("value", 0), False))
        if x.get("discrete_resource_spec") else None))
        for x in r.get("generic_resources") or []]
    cpus = r.get("cpus")
    return g.omit(("cpus", g.float32(float(cpus)) if cpus is not None else None),
                  ("memory", _bytes(r.get("memory"))), ("pids", r.get("pids")),
                  ("devices", devices), ("generic_resources", generic))


def _count(device: dict[str, Any]) -> int:
    """A device request's count: "all" (-1) unless it says a count or device IDs."""
    count = device.get("count", None if "device_ids" in device else "all")
    return -1 if str(count).lower() == "all" else int(count or 0)


def _update(update: dict[str, Any] | None) -> g.Struct | None:
    if update is None:
        return None
    u = update
    parallelism, ratio = u.get("parallelism"), u.get("max_failure_ratio")
    return g.omit(("parallelism", g.Ptr(parallelism) if parallelism is not None else None),
                  ("delay", go_duration(_ns(u["delay"])) if u.get("delay") else None),
                  ("failure_action", u.get("failure_action")),
                  ("monitor", go_duration(_ns(u["monitor"])) if u.get("monitor") else None),
                  ("max_failure_ratio", g.float32(float(ratio)) if ratio else None),
                  ("order", u.get("order")))


def _deploy(deploy: Deploy | None, scale: int | None, whole: bool) -> g.Struct | None:
    """``deploy`` with its ``replicas`` left out; ``resources`` and ``placement`` are Go
    structs, always written."""
    if deploy is None:
        return None
    d = deploy
    labels = d.labels
    if isinstance(labels, list):
        labels = {k: v for k, _, v in (x.partition("=") for x in labels)}
    resources = g.Value(g.omit(("limits", _resource(d.resources.get("limits"))),
                               ("reservations", _resource(d.resources.get("reservations")))))
    restart = None
    if d.restart_policy is not None:
        rp = d.restart_policy
        attempts = rp.get("max_attempts")
        restart = g.omit(("condition", rp.get("condition")),
                         ("delay", _duration(rp.get("delay"))),
                         ("max_attempts", g.Ptr(attempts) if attempts is not None else None),
                         ("window", _duration(rp.get("window"))))
    p = d.placement or {}
    placement = g.Value(g.omit(("constraints", p.get("constraints")),
                               ("preferences", [g.omit(("spread", x.get("spread")))
                                                for x in p.get("preferences") or []]),
                               ("max_replicas_per_node", p.get("max_replicas_per_node"))))
    count = scale if scale is not None else d.replicas  # compose-go makes them agree
    replicas = g.Ptr(count) if whole and count is not None else None
    return g.fields(("mode", d.mode, True), ("replicas", replicas, True),
                    ("labels", labels, True),
                    ("update_config", _update(d.update_config), True),
                    ("rollback_config", _update(d.rollback_config), True),
                    ("resources", resources, False),
                    ("restart_policy", restart, True),
                    ("placement", placement, False),
                    ("endpoint_mode", d.endpoint_mode, True),
                    (g.INLINE, g.Extensions(d.extensions), True))
