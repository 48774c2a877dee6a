"""``docker create``/``run`` flags and the POST /containers/create body they make."""

from __future__ import annotations

import argparse
from typing import Any, NamedTuple

from skiff.cli import opts


def add_flags(p: argparse.ArgumentParser) -> None:
    """The container flags shared by create and run."""
    a = p.add_argument
    a("-a", "--attach", action="append", default=[], help="Attach to STDIN, STDOUT or STDERR")
    a("--add-host", action="append", default=[], help="Add a custom host-to-IP mapping")
    a("--cap-add", action="append", default=[], help="Add Linux capabilities")
    a("--cap-drop", action="append", default=[], help="Drop Linux capabilities")
    a("--cgroup-parent", help="Optional parent cgroup for the container")
    a("--cgroupns", help="Cgroup namespace to use (host|private)")
    a("--cidfile", help="Write the container ID to the file")
    a("--cpu-period", type=int, help="Limit CPU CFS (Completely Fair Scheduler) period")
    a("--cpu-quota", type=int, help="Limit CPU CFS (Completely Fair Scheduler) quota")
    a("-c", "--cpu-shares", type=int, help="CPU shares (relative weight)")
    a("--cpus", help="Number of CPUs")
    a("--cpuset-cpus", help="CPUs in which to allow execution (0-3, 0,1)")
    a("--cpuset-mems", help="MEMs in which to allow execution (0-3, 0,1)")
    a("--device", action="append", default=[], help="Add a host device to the container")
    a("--dns", action="append", default=[], help="Set custom DNS servers")
    a("--dns-option", action="append", default=[], help="Set DNS options")
    a("--dns-search", action="append", default=[], help="Set custom DNS search domains")
    a("--domainname", help="Container NIS domain name")
    a("--entrypoint", help="Overwrite the default ENTRYPOINT of the image")
    a("-e", "--env", action="append", default=[], help="Set environment variables")
    a("--env-file", action="append", default=[], help="Read in a file of environment variables")
    a("--expose", action="append", default=[], help="Expose a port or a range of ports")
    a("--group-add", action="append", default=[], help="Add additional groups to join")
    a("--health-cmd", help="Command to run to check health")
    a("--health-interval", help="Time between running the check (ms|s|m|h)")
    a("--health-retries", type=int, help="Consecutive failures needed to report unhealthy")
    a("--health-start-period", help="Start period for the container to initialize")
    a("--health-start-interval", help="Time between running the check during the start period")
    a("--health-timeout", help="Maximum time to allow one check to run (ms|s|m|h)")
    a("-h", "--hostname", help="Container host name")
    a("--init", action="store_true", default=None,
      help="Run an init inside the container that forwards signals and reaps processes")
    a("-i", "--interactive", action="store_true", help="Keep STDIN open even if not attached")
    a("--ipc", help="IPC mode to use")
    a("-l", "--label", action="append", default=[], help="Set meta data on a container")
    a("--label-file", action="append", default=[], help="Read in a line delimited file of labels")
    a("--log-driver", help="Logging driver for the container")
    a("--log-opt", action="append", default=[], help="Log driver options")
    a("-m", "--memory", help="Memory limit")
    a("--memory-reservation", help="Memory soft limit")
    a("--memory-swap", help="Swap limit equal to memory plus swap: '-1' to enable unlimited "
                           "swap")
    a("--memory-swappiness", type=int, help="Tune container memory swappiness (0 to 100)")
    a("--mount", action="append", default=[], help="Attach a filesystem mount to the container")
    a("--name", help="Assign a name to the container")
    a("--ip", help="IPv4 address (e.g., 172.30.100.104)")
    a("--ip6", help="IPv6 address (e.g., 2001:db8::33)")
    a("--link", action="append", default=[], help="Add link to another container")
    a("--link-local-ip", action="append", default=[],
      help="Container IPv4/IPv6 link-local addresses")
    a("--mac-address", help="Container MAC address (e.g., 92:d0:c6:0a:29:33)")
    a("--network", "--net", action="append", default=[],
      help="Connect a container to a network")
    a("--network-alias", "--net-alias", action="append", default=[],
      help="Add network-scoped alias for the container")
    a("--no-healthcheck", action="store_true", help="Disable any container-specified HEALTHCHECK")
    a("--oom-kill-disable", action="store_true", default=None, help="Disable OOM Killer")
    a("--oom-score-adj", type=int, help="Tune host's OOM preferences (-1000 to 1000)")
    a("--pid", help="PID namespace to use")
    a("--pids-limit", type=int, help="Tune container pids limit (set -1 for unlimited)")
    a("--platform", help="Set platform if server is multi-platform capable")
    a("--privileged", action="store_true", help="Give extended privileges to this container")
    a("-p", "--publish", action="append", default=[],
      help="Publish a container's port(s) to the host")
    a("-P", "--publish-all", action="store_true",
      help="Publish all exposed ports to random ports")
    a("--pull", default="missing", choices=["missing", "always", "never"],
      help='Pull image before running ("always", "missing", "never")')
    a("-q", "--quiet", action="store_true", help="Suppress the pull output")
    a("--read-only", action="store_true", help="Mount the container's root filesystem as "
                                               "read only")
    a("--restart", help="Restart policy to apply when a container exits")
    a("--rm", action="store_true", help="Automatically remove the container and its "
                                        "associated anonymous volumes when it exits")
    a("--runtime", help="Runtime to use for this container")
    a("--security-opt", action="append", default=[], help="Security Options")
    a("--shm-size", help="Size of /dev/shm")
    a("--stop-signal", help="Signal to stop the container")
    a("--stop-timeout", type=int, help="Timeout (in seconds) to stop a container")
    a("--storage-opt", action="append", default=[], help="Storage driver options")
    a("--sysctl", action="append", default=[], help="Sysctl options")
    a("--tmpfs", action="append", default=[], help="Mount a tmpfs directory")
    a("-t", "--tty", action="store_true", help="Allocate a pseudo-TTY")
    a("--ulimit", action="append", default=[], help="Ulimit options")
    a("-u", "--user", help="Username or UID (format: <name|uid>[:<group|gid>])")
    a("--userns", help="User namespace to use")
    a("--uts", help="UTS namespace to use")
    a("-v", "--volume", action="append", default=[], help="Bind mount a volume")
    a("--volume-driver", help="Optional volume driver for the container")
    a("--volumes-from", action="append", default=[], help="Mount volumes from the specified "
                                                          "container(s)")
    a("-w", "--workdir", help="Working directory inside the container")
    a("image", nargs="?", help="IMAGE")
    a("command", nargs=argparse.REMAINDER, help="[COMMAND] [ARG...]")


class ContainerSpec(NamedTuple):
    """What create needs: the body, the name, the platform and how to pull.

    A NamedTuple rather than a dataclass: importing dataclasses (which imports inspect) would
    cost ``run`` ~7 ms at start-up.
    """

    body: dict[str, Any]
    name: str | None
    image: str
    platform: str | None = None
    pull: str = "missing"
    quiet_pull: bool = False


def _set(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != [] and value != {}:
        target[key] = value


def _healthcheck(args: argparse.Namespace) -> dict[str, Any] | None:
    fields = (args.health_cmd, args.health_interval, args.health_retries,
              args.health_start_period, args.health_start_interval, args.health_timeout)
    if args.no_healthcheck:
        if any(f is not None for f in fields):
            raise opts.InvalidFlag("--no-healthcheck", "true", "--no-healthcheck conflicts "
                                   "with --health-* options")
        return {"Test": ["NONE"]}
    if all(f is None for f in fields):
        return None
    check: dict[str, Any] = {}
    if args.health_cmd is not None:
        check["Test"] = ["CMD-SHELL", args.health_cmd]
    _set(check, "Interval", opts.duration_ns("--health-interval", args.health_interval))
    _set(check, "Timeout", opts.duration_ns("--health-timeout", args.health_timeout))
    _set(check, "StartPeriod", opts.duration_ns("--health-start-period",
                                                args.health_start_period))
    _set(check, "StartInterval", opts.duration_ns("--health-start-interval",
                                                  args.health_start_interval))
    _set(check, "Retries", args.health_retries)
    return check


def attach_streams(args: argparse.Namespace, detach: bool) -> tuple[bool, bool, bool]:
    """(stdin, stdout, stderr) to attach: -a if given, else out and err, plus in with -i."""
    if detach:
        return False, False, False
    if args.attach:
        wanted = {s.lower() for s in args.attach}
        for stream in wanted:
            if stream not in ("stdin", "stdout", "stderr"):
                raise opts.InvalidFlag("--attach", stream, "valid streams are STDIN, STDOUT "
                                       "and STDERR")
        return "stdin" in wanted, "stdout" in wanted, "stderr" in wanted
    return bool(args.interactive), True, True


def build(args: argparse.Namespace, detach: bool, console_size: tuple[int, int] | None,
          for_run: bool) -> ContainerSpec:
    """The create body for these flags (raises opts.InvalidFlag)."""
    stdin, stdout, stderr = attach_streams(args, detach)
    env = opts.env_list(args.env)
    for path in args.env_file:
        env = opts.read_env_file(path) + env
    labels: dict[str, str] = {}
    for path in args.label_file:
        labels.update(opts.label_map(_lines(path)))
    labels.update(opts.label_map(args.label))

    binds: list[str] = []
    volumes: dict[str, dict[str, Any]] = {}
    for item in args.volume:
        bind, anonymous = opts.volume(item)
        if bind:
            binds.append(bind)
        else:
            volumes[anonymous] = {}
    exposed, port_bindings = opts.ports(args.publish)
    exposed.update(opts.expose(args.expose))

    config: dict[str, Any] = {
        "Hostname": args.hostname or "", "Domainname": args.domainname or "",
        "User": args.user or "", "AttachStdin": stdin, "AttachStdout": stdout,
        "AttachStderr": stderr, "Tty": bool(args.tty), "OpenStdin": bool(args.interactive),
        "StdinOnce": bool(for_run and stdin and not detach), "Env": env,
        "Cmd": list(args.command) or None, "Image": args.image,
        "WorkingDir": args.workdir or "", "Labels": labels,
    }
    if volumes:
        config["Volumes"] = volumes
    if args.entrypoint is not None:
        config["Entrypoint"] = [args.entrypoint]
    _set(config, "ExposedPorts", exposed)
    _set(config, "StopSignal", args.stop_signal)
    _set(config, "StopTimeout", args.stop_timeout)
    _set(config, "Healthcheck", _healthcheck(args))

    if args.restart and args.rm and opts.restart_policy(args.restart)["Name"] != "no":
        raise opts.InvalidFlag("--restart", args.restart, "Conflicting options: --restart "
                               "and --rm")
    network_mode, endpoints = opts.networks(args.network, args.network_alias, args.ip,
                                            args.ip6, args.link_local_ip, args.mac_address)
    if endpoints:
        config["NetworkingConfig"] = {"EndpointsConfig": endpoints}
    host: dict[str, Any] = {
        "Binds": binds or None,
        "NetworkMode": network_mode,
        "RestartPolicy": opts.restart_policy(args.restart or "no"),
        "AutoRemove": bool(args.rm),
        "Privileged": bool(args.privileged),
        "ReadonlyRootfs": bool(args.read_only),
        "PublishAllPorts": bool(args.publish_all),
    }
    log_config: dict[str, Any] = {"Type": args.log_driver or "",
                                  "Config": opts.key_value_map("--log-opt", args.log_opt)}
    host["LogConfig"] = log_config
    _set(host, "PortBindings", port_bindings)
    _set(host, "CapAdd", args.cap_add)
    _set(host, "CapDrop", args.cap_drop)
    _set(host, "Dns", args.dns)
    _set(host, "DnsOptions", args.dns_option)
    _set(host, "DnsSearch", args.dns_search)
    _set(host, "ExtraHosts", args.add_host)
    _set(host, "Links", args.link)
    _set(host, "GroupAdd", args.group_add)
    _set(host, "IpcMode", args.ipc)
    _set(host, "PidMode", args.pid)
    _set(host, "UTSMode", args.uts)
    _set(host, "UsernsMode", args.userns)
    _set(host, "CgroupnsMode", args.cgroupns)
    _set(host, "CgroupParent", args.cgroup_parent)
    _set(host, "ContainerIDFile", args.cidfile)
    _set(host, "SecurityOpt", opts.security_opts(args.security_opt))
    _set(host, "StorageOpt", opts.key_value_map("--storage-opt", args.storage_opt))
    _set(host, "Sysctls", opts.key_value_map("--sysctl", args.sysctl))
    _set(host, "Tmpfs", opts.tmpfs_map(args.tmpfs))
    _set(host, "Mounts", [opts.mount(m) for m in args.mount])
    _set(host, "VolumeDriver", args.volume_driver)
    _set(host, "VolumesFrom", args.volumes_from)
    _set(host, "Runtime", args.runtime)
    _set(host, "Init", args.init)
    _set(host, "ShmSize", opts.memory("--shm-size", args.shm_size))
    _set(host, "Memory", opts.memory("--memory", args.memory))
    _set(host, "MemorySwap", opts.memory("--memory-swap", args.memory_swap))
    _set(host, "MemoryReservation", opts.memory("--memory-reservation",
                                                args.memory_reservation))
    _set(host, "MemorySwappiness", args.memory_swappiness)
    _set(host, "NanoCpus", opts.nano_cpus(args.cpus))
    _set(host, "CpuShares", args.cpu_shares)
    _set(host, "CpuPeriod", args.cpu_period)
    _set(host, "CpuQuota", args.cpu_quota)
    _set(host, "CpusetCpus", args.cpuset_cpus)
    _set(host, "CpusetMems", args.cpuset_mems)
    _set(host, "PidsLimit", args.pids_limit)
    _set(host, "OomKillDisable", args.oom_kill_disable)
    _set(host, "OomScoreAdj", args.oom_score_adj)
    _set(host, "Ulimits", [opts.ulimit(u) for u in args.ulimit])
    _set(host, "Devices", [opts.device(d) for d in args.device])
    if args.tty and console_size:
        host["ConsoleSize"] = list(console_size)
    config["HostConfig"] = host
    return ContainerSpec(config, args.name, args.image, args.platform, args.pull, args.quiet)


def _lines(path: str) -> list[str]:
    try:
        with open(path) as fh:
            return [line.strip() for line in fh
                    if line.strip() and not line.lstrip().startswith("#")]
    except OSError as exc:
        raise opts.InvalidFlag("--label-file", path, str(exc)) from None
