"""The OCI runtime ``config.json`` of a container, from its config, host config and image."""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from skiff.engine.containers import caps as capabilities
from skiff.engine.containers import seccomp
from skiff.engine.containers.model import Container
from skiff.engine.containers.users import ExecUser
from skiff.errdefs import InvalidParameter

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_SHM = 64 * 1024 * 1024
INIT_PATH = "/sbin/docker-init"

MASKED_PATHS = ["/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
                "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
                "/sys/devices/virtual/powercap"]
READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

_NAMESPACED_SYSCTLS = ("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                       "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced")

_DEFAULT_DEVICES = [
    ("c", 1, 3), ("c", 1, 5), ("c", 1, 7), ("c", 1, 8), ("c", 1, 9), ("c", 5, 0), ("c", 5, 1),
    ("c", 5, 2), ("c", 136, -1), ("c", 10, 200),
]

_SIGNALS = {name: num for num, name in enumerate(
    ["", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
     "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",
     "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"])}
_SIGNALS["IOT"] = 6
_SIGNALS["POLL"] = 29


def parse_signal(value: str | int | None, default: int = 15) -> int:
    """``SIGTERM``, ``TERM``, ``15`` or ``SIGRTMIN+3`` to a number."""
    if value is None or value == "":
        return default
    if isinstance(value, int):
        return value
    text = value.strip().upper().removeprefix("SIG")
    if text.isdigit():
        number = int(text)
        if 0 < number <= 64:
            return number
    elif text in _SIGNALS and text:
        return _SIGNALS[text]
    elif text.startswith(("RTMIN", "RTMAX")):
        base = 34 if text.startswith("RTMIN") else 64
        rest = text[5:]
        try:
            number = base + int(rest) if rest else base
        except ValueError:
            number = 0
        if 34 <= number <= 64:
            return number
    raise InvalidParameter(f"Invalid signal: {value}")


@dataclass
class SpecInputs:
    """What the spec needs beyond the container record."""

    rootfs: Path
    user: ExecUser
    hostname: str
    etc_files: dict[str, str]  # /etc/hosts etc. -> host path
    cgroups_path: str
    init_binary: str | None = None
    seccomp_profile: dict[str, Any] | None = None
    swap_supported: bool = True
    host_network: bool = False
    extra_mounts: list[dict[str, Any]] = field(default_factory=list)
    netns_path: str | None = None
    link_env: list[str] = field(default_factory=list)


def environment(container: Container, hostname: str,
                link_env: list[str] | None = None) -> list[str]:
    """PATH and HOSTNAME, then the links' variables, then the container's own (which win)."""
    env = list(container.config.get("Env") or [])
    keys = {e.split("=", 1)[0] for e in env}
    env = [e for e in link_env or [] if e.split("=", 1)[0] not in keys] + env
    if "PATH" not in keys:
        env.insert(0, f"PATH={DEFAULT_PATH}")
    if "HOSTNAME" not in keys:
        env.insert(1, f"HOSTNAME={hostname}")
    if container.config.get("Tty") and "TERM" not in keys:
        env.append("TERM=xterm")
    return env


def _mount(dest: str, mtype: str, source: str, options: list[str]) -> dict[str, Any]:
    return {"destination": dest, "type": mtype, "source": source, "options": options}


def parse_size(text: str) -> int:
    value = text.strip().lower()
    units = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
    num = value.rstrip("bkmgt")
    unit = value[len(num):].rstrip("b") if value[len(num):] not in ("b",) else "b"
    try:
        return int(float(num) * units[unit])
    except (ValueError, KeyError):
        raise InvalidParameter(f"invalid size: '{text}'") from None


def user_mounts(host_config: dict[str, Any]) -> list[dict[str, Any]]:
    """Binds, Mounts (bind, tmpfs) and Tmpfs as OCI mounts; validated, nothing created."""
    mounts: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(mount: dict[str, Any]) -> None:
        dest = mount["destination"]
        if dest in seen:
            raise InvalidParameter(f"Duplicate mount point: {dest}")
        seen.add(dest)
        mounts.append(mount)

    for bind in host_config.get("Binds") or []:
        add(parse_bind(bind))
    for item in host_config.get("Mounts") or []:
        add(parse_mount(item))
    for dest, opts in (host_config.get("Tmpfs") or {}).items():
        if not dest.startswith("/"):
            raise InvalidParameter(f"invalid mount config for type \"tmpfs\": invalid mount "
                                   f"path: '{dest}' mount path must be absolute")
        options = ["nosuid", "nodev", "noexec"] + [o for o in opts.split(",") if o]
        add(_mount(dest, "tmpfs", "tmpfs", options))
    return mounts


_PROPAGATIONS = ("private", "rprivate", "shared", "rshared", "slave", "rslave")
# the kinds of word a -v mode may hold, at most one of each (Docker's linuxValidMountMode)
_MODE_KINDS = (("rw", "ro"), ("z", "Z"), _PROPAGATIONS, ("nocopy",),
               ("consistent", "cached", "delegated"))


def valid_mode(mode: str) -> bool:
    """Whether a -v mode (``ro,rshared``...) has known words, at most one of each kind."""
    if not mode:
        return True
    counts = [0] * len(_MODE_KINDS)
    for item in mode.split(","):
        kind = next((i for i, words in enumerate(_MODE_KINDS) if item in words), None)
        if kind is None:
            return False
        counts[kind] += 1
    return max(counts) <= 1


def _is_root(path: str) -> bool:
    return re.sub("/+", "/", posixpath.normpath(path)) == "/"


def parse_bind(spec: str) -> dict[str, Any]:
    """One -v entry (``source:destination[:mode]``), checked as Docker checks it."""
    parts = spec.split(":")
    if len(parts) < 2 or len(parts) > 3 or not parts[0] or not parts[1]:
        raise InvalidParameter(f"invalid volume specification: '{spec}'")
    if len(parts) == 2 and valid_mode(parts[1]):  # a destination and a mode: no source
        raise InvalidParameter(f"invalid volume specification: '{spec}'")
    source, dest = parts[0], parts[1]
    mode = parts[2] if len(parts) == 3 else ""
    if not valid_mode(mode):
        raise InvalidParameter(f"invalid mode: {mode}")
    words = mode.split(",") if mode else []
    kind = "bind" if source.startswith("/") else "volume"
    invalid = (f"invalid volume specification: '{spec}': invalid mount config for type "
               f"\"{kind}\": ")
    if _is_root(dest):
        raise InvalidParameter(invalid + "invalid specification: destination can't be '/'")
    if not dest.startswith("/"):
        raise InvalidParameter(invalid + f"invalid mount path: '{dest}' mount path must be "
                                         f"absolute")
    if kind == "volume":
        if "/" in source or ".." in source:
            raise InvalidParameter(f"invalid volume specification: '{spec}'")
        if any(word in _PROPAGATIONS for word in words):
            raise InvalidParameter(invalid + "field BindOptions must not be specified")
        return {"destination": dest, "type": "volume", "source": source,
                "readonly": "ro" in words, "nocopy": "nocopy" in words}
    if "nocopy" in words:
        raise InvalidParameter(invalid + "field VolumeOptions must not be specified")
    options = ["rbind"] + [word for word in words if word in ("ro", "rw")]
    options.append(next((word for word in words if word in _PROPAGATIONS), "rprivate"))
    return _mount(dest, "bind", os.path.normpath(source), options)


def parse_mount(item: dict[str, Any]) -> dict[str, Any]:
    mtype = item.get("Type") or ""
    target = item.get("Target") or ""
    if not target:
        raise InvalidParameter(f"invalid mount config for type \"{mtype}\": field Target must "
                               f"not be empty")
    if _is_root(target):
        raise InvalidParameter(f"invalid mount config for type \"{mtype}\": invalid "
                               f"specification: destination can't be '/'")
    if not target.startswith("/"):
        raise InvalidParameter(f"invalid mount config for type \"{mtype}\": invalid mount path: "
                               f"'{target}' mount path must be absolute")
    if mtype == "bind":
        source = item.get("Source") or ""
        if not source:
            raise InvalidParameter("invalid mount config for type \"bind\": field Source must "
                                   "not be empty")
        if not source.startswith("/"):
            raise InvalidParameter(f"invalid mount config for type \"bind\": invalid mount path:"
                                   f" '{source}' mount path must be absolute")
        bind_opts = item.get("BindOptions") or {}
        if not os.path.exists(source) and not bind_opts.get("CreateMountpoint"):
            raise InvalidParameter(f"invalid mount config for type \"bind\": bind source path "
                                   f"does not exist: {source}")
        options = ["bind" if bind_opts.get("NonRecursive") else "rbind",
                   "ro" if item.get("ReadOnly") else "rw",
                   bind_opts.get("Propagation") or "rprivate"]
        return _mount(target, "bind", os.path.normpath(source), options)
    if mtype == "tmpfs":
        if item.get("Source"):
            raise InvalidParameter("invalid mount config for type \"tmpfs\": field Source must "
                                   "not be specified")
        tmpfs = item.get("TmpfsOptions") or {}
        options = ["nosuid", "nodev", "noexec"]
        if tmpfs.get("SizeBytes"):
            options.append(f"size={int(tmpfs['SizeBytes'])}")
        if tmpfs.get("Mode"):
            options.append(f"mode={int(tmpfs['Mode']):o}")
        for extra in tmpfs.get("Options") or []:
            options.append("=".join(extra))
        if item.get("ReadOnly"):
            options.append("ro")
        return _mount(target, "tmpfs", "tmpfs", options)
    if mtype == "volume":
        source = item.get("Source") or ""
        if "/" in source or ".." in source:
            raise InvalidParameter(f"invalid mount config for type \"volume\": invalid volume "
                                   f"name: {source}")
        volume_options = item.get("VolumeOptions") or {}
        if (volume_options.get("DriverConfig") or {}).get("Name") not in (None, "", "local"):
            raise InvalidParameter("only the local volume driver is supported")
        return {"destination": target, "type": "volume", "source": source,
                "readonly": bool(item.get("ReadOnly")),
                "nocopy": bool(volume_options.get("NoCopy")),
                "labels": dict(volume_options.get("Labels") or {})}
    if mtype in ("npipe", "cluster", "image"):
        raise InvalidParameter(f"mount type \"{mtype}\" is not supported by this engine yet")
    raise InvalidParameter(f"mount type unknown: \"{mtype}\"")


def validate_sysctls(sysctls: dict[str, str], network_mode: str) -> None:
    for key in sysctls:
        if key in _NAMESPACED_SYSCTLS or key.startswith("fs.mqueue."):
            continue
        if key.startswith("net.") and network_mode != "host":
            continue
        raise InvalidParameter(f"sysctl '{key}' is not allowed")


def resources(host_config: dict[str, Any], swap_supported: bool) -> dict[str, Any]:
    res: dict[str, Any] = {"devices": [{"allow": False, "access": "rwm"}] + [
        {"allow": True, "type": t, "major": maj, "minor": mnr, "access": "rwm"}
        if mnr >= 0 else {"allow": True, "type": t, "major": maj, "access": "rwm"}
        for t, maj, mnr in _DEFAULT_DEVICES
    ] + [{"allow": True, "type": "c", "access": "m"}, {"allow": True, "type": "b", "access": "m"}]}
    if host_config.get("Privileged"):
        res["devices"] = [{"allow": True, "access": "rwm"}]
    memory: dict[str, Any] = {}
    limit = int(host_config.get("Memory") or 0)
    if limit:
        if limit < 6 * 1024 * 1024:
            raise InvalidParameter("Minimum memory limit allowed is 6MB")
        memory["limit"] = limit
        swap = int(host_config.get("MemorySwap") or 0)
        if swap_supported:
            if swap == 0:
                memory["swap"] = limit * 2
            elif swap > 0:
                if swap < limit:
                    raise InvalidParameter("Minimum memoryswap limit should be larger than "
                                           "memory limit, see usage")
                memory["swap"] = swap
            else:
                memory["swap"] = -1
    elif int(host_config.get("MemorySwap") or 0) > 0:
        raise InvalidParameter("You should always set the Memory limit when using Memoryswap "
                               "limit, see usage")
    if host_config.get("MemoryReservation"):
        memory["reservation"] = int(host_config["MemoryReservation"])
    if host_config.get("MemorySwappiness") not in (None, -1):
        memory["swappiness"] = int(host_config["MemorySwappiness"])
    if memory:
        res["memory"] = memory
    cpu: dict[str, Any] = {}
    nano = int(host_config.get("NanoCpus") or 0)
    if nano:
        if host_config.get("CpuQuota"):
            raise InvalidParameter("Conflicting options: Nano CPUs and CPU Quota cannot both "
                                   "be set")
        if host_config.get("CpuPeriod"):
            raise InvalidParameter("Conflicting options: Nano CPUs and CPU Period cannot both "
                                   "be set")
        if nano > (os.cpu_count() or 1) * 10**9:
            raise InvalidParameter(f"Range of CPUs is from 0.01 to {os.cpu_count()}.00, as "
                                   f"there are only {os.cpu_count()} CPUs available")
        cpu["period"] = 100000
        cpu["quota"] = nano * 100000 // 10**9
    if host_config.get("CpuShares"):
        cpu["shares"] = int(host_config["CpuShares"])
    if host_config.get("CpuQuota"):
        cpu["quota"] = int(host_config["CpuQuota"])
    if host_config.get("CpuPeriod"):
        cpu["period"] = int(host_config["CpuPeriod"])
    if host_config.get("CpusetCpus"):
        cpu["cpus"] = host_config["CpusetCpus"]
    if host_config.get("CpusetMems"):
        cpu["mems"] = host_config["CpusetMems"]
    if cpu:
        res["cpu"] = cpu
    pids = host_config.get("PidsLimit")
    if pids:
        res["pids"] = {"limit": int(pids) if int(pids) > 0 else -1}
    if host_config.get("BlkioWeight"):
        res["blockIO"] = {"weight": int(host_config["BlkioWeight"])}
    return res


def _depth(mount: dict[str, Any]) -> int:
    return len(PurePosixPath(posixpath.normpath(mount["destination"])).parts)


def ordered_mounts(user: list[dict[str, Any]], etc_files: dict[str, str],
                   init_binary: str | None) -> list[dict[str, Any]]:
    """The user's mounts and the engine's files (/etc/hosts..., docker-init), parents first.

    As Docker's, every mount comes after those of its parent directories, so a volume or bind
    at /etc (or /sbin) leaves the engine's files on top of it, visible; an engine file the
    user mounts something at is left out.
    """
    taken = {m["destination"] for m in user}
    engine = [_mount(dest, "bind", source, ["rbind", "rprivate"])
              for dest, source in etc_files.items() if dest not in taken]
    if init_binary:
        engine.append(_mount(INIT_PATH, "bind", init_binary, ["bind", "ro", "rprivate"]))
    return sorted(engine + user, key=_depth)  # stable: same depth keeps its order


def build(container: Container, inputs: SpecInputs) -> dict[str, Any]:
    """Assemble the OCI runtime spec."""
    config, host = container.config, container.host_config
    privileged = bool(host.get("Privileged"))
    path, args = container.path_and_args
    argv = [path, *args]
    if host.get("Init") and inputs.init_binary:
        argv = [INIT_PATH, "--", *argv]
    cap_list = capabilities.effective(host.get("CapAdd"), host.get("CapDrop"), privileged)
    tty = bool(config.get("Tty"))
    process: dict[str, Any] = {
        "terminal": tty,
        "user": {"uid": inputs.user.uid, "gid": inputs.user.gid,
                 **({"additionalGids": list(inputs.user.additional_gids)}
                    if inputs.user.additional_gids else {})},
        "args": argv,
        "env": environment(container, inputs.hostname, inputs.link_env),
        "cwd": config.get("WorkingDir") or "/",
        "capabilities": {k: cap_list for k in ("bounding", "effective", "permitted")},
        "noNewPrivileges": False,
        "oomScoreAdj": int(host.get("OomScoreAdj") or 0),
    }
    if tty and host.get("ConsoleSize") and len(host["ConsoleSize"]) == 2:
        height, width = host["ConsoleSize"]
        if height and width:
            process["consoleSize"] = {"height": int(height), "width": int(width)}
    rlimits = []
    for ulimit in host.get("Ulimits") or []:
        name = str(ulimit.get("Name", "")).upper()
        rlimits.append({"type": "RLIMIT_" + name.removeprefix("RLIMIT_"),
                        "hard": int(ulimit.get("Hard", 0)), "soft": int(ulimit.get("Soft", 0))})
    if rlimits:
        process["rlimits"] = rlimits
    security = list(host.get("SecurityOpt") or [])
    use_seccomp = not privileged
    profile = inputs.seccomp_profile
    for opt in security:
        key, _sep, value = opt.replace(":", "=", 1).partition("=")
        if key == "no-new-privileges" and value in ("", "true"):
            process["noNewPrivileges"] = True
        elif key == "no-new-privileges" and value == "false":
            process["noNewPrivileges"] = False
        elif key == "seccomp":
            if value == "unconfined":
                use_seccomp = False
            else:
                profile = seccomp.parse_profile(value)
        elif key in ("label", "apparmor", "systempaths"):
            continue
        else:
            raise InvalidParameter(f"invalid --security-opt 2: \"{opt}\"")
    shm_size = int(host.get("ShmSize") or DEFAULT_SHM)
    mounts = [
        _mount("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
        _mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        _mount("/dev/pts", "devpts", "devpts",
               ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        _mount("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev",
                                          "rw" if privileged else "ro"]),
        _mount("/sys/fs/cgroup", "cgroup", "cgroup",
               ["nosuid", "noexec", "nodev", "relatime", "rw" if privileged else "ro"]),
        _mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
        _mount("/dev/shm", "tmpfs", "shm",
               ["nosuid", "noexec", "nodev", "mode=1777", f"size={shm_size}"]),
    ]
    for mount in inputs.extra_mounts:
        if mount["type"] == "volume":
            raise InvalidParameter(f"volume at {mount['destination']} was not resolved")
    mounts += ordered_mounts(inputs.extra_mounts, inputs.etc_files,
                             inputs.init_binary if host.get("Init") else None)
    namespaces: list[dict[str, str]] = [{"type": t} for t in ("pid", "ipc", "uts", "mount")]
    if inputs.netns_path:
        namespaces.append({"type": "network", "path": inputs.netns_path})
    elif not inputs.host_network:
        namespaces.append({"type": "network"})
    # the host's network is not the host's name: only --uts=host shares the UTS namespace
    host_uts = host.get("UTSMode") == "host"
    if host_uts:
        namespaces = [n for n in namespaces if n["type"] != "uts"]
    network_mode = host.get("NetworkMode") or "default"
    sysctls = dict(host.get("Sysctls") or {})
    validate_sysctls(sysctls, network_mode)
    linux: dict[str, Any] = {
        "namespaces": namespaces,
        "cgroupsPath": inputs.cgroups_path,
        "resources": resources(host, inputs.swap_supported),
        "sysctl": sysctls,
        "maskedPaths": [] if privileged else MASKED_PATHS,
        "readonlyPaths": [] if privileged else READONLY_PATHS,
    }
    if use_seccomp and profile is not None:
        linux["seccomp"] = seccomp.to_oci(profile, set(cap_list))
    spec: dict[str, Any] = {
        "ociVersion": "1.0.2",
        "process": process,
        "root": {"path": str(inputs.rootfs), "readonly": bool(host.get("ReadonlyRootfs"))},
    }
    if not host_uts:
        spec["hostname"] = inputs.hostname
        if config.get("Domainname"):
            spec["domainname"] = config["Domainname"]
    spec.update({"mounts": mounts, "linux": linux,
                 "annotations": {"io.skiff.container.name": container.name}})
    if not inputs.host_network and not inputs.netns_path:
        # a namespace the runtime makes (--network none) has loopback down; skiff's own come
        # up with it (a hook for those too races crun: ip may exit before crun has written
        # the state to its stdin, and crun 1.8 fails the start on that EPIPE)
        spec["hooks"] = {"createContainer": [
            {"path": "/sbin/ip", "args": ["ip", "link", "set", "lo", "up"]}]}
    return spec

