"""Container state changes: start, stop, restart, kill, pause, unpause, rm, wait, rename,
update, prune."""

from __future__ import annotations

import argparse
import sys

from skiff.cli import opts
from skiff.cli.attach import Pump
from skiff.cli.commands.common import (
    Subparsers,
    add_filter_flag,
    command,
    confirm,
    filters_from,
    for_each,
)
from skiff.cli.errors import StatusError, UsageError
from skiff.cli.format.units import human_size
from skiff.cli.interactive import detach_keys, tty_session
from skiff.cli.parser import check_args
from skiff.cli.session import Session
from skiff.client import APIError


def start(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.containers, 1)
    client = session.client
    if not (args.attach or args.interactive):
        return for_each(session, args.containers, client.containers.start,
                        summary=lambda failed: "Error: failed to start containers: "
                                               + ", ".join(failed))
    if len(args.containers) > 1:
        raise StatusError(1, "you cannot start and attach multiple containers at once")
    ref = args.containers[0]
    info = client.containers.inspect(ref)
    container_id = str(info["Id"])
    tty = bool(info["Config"].get("Tty"))
    stdin = bool(args.interactive and info["Config"].get("OpenStdin"))
    keys = detach_keys(args)
    stream = client.containers.attach(container_id, stdin=stdin, stdout=True, stderr=True,
                                      stream=True, detach_keys=args.detach_keys)
    stream.tty = tty
    waiter = client.containers.wait(container_id, "next-exit")
    pump = Pump(stream, session.out_bytes, session.err_bytes,
                sys.stdin.fileno() if stdin else None, keys if tty else None)
    with tty_session(client, container_id, tty, raw=stdin):
        client.containers.start(container_id)
        detached = pump.run()
    if detached:
        waiter.close()
        return 0
    return int(waiter.result().get("StatusCode", 0))


def stop(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.containers, 1)
    containers = session.client.containers
    return for_each(session, args.containers,
                    lambda ref: containers.stop(ref, args.time, args.signal))


def restart(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.containers, 1)
    containers = session.client.containers
    return for_each(session, args.containers,
                    lambda ref: containers.restart(ref, args.time, args.signal))


def kill(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.containers, 1)
    containers = session.client.containers
    return for_each(session, args.containers, lambda ref: containers.kill(ref, args.signal))


def pause(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.containers, 1)
    return for_each(session, args.containers, session.client.containers.pause)


def unpause(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.containers, 1)
    return for_each(session, args.containers, session.client.containers.unpause)


def remove(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.containers, 1)
    containers = session.client.containers
    return for_each(session, args.containers,
                    lambda ref: containers.remove(ref, args.force, args.volumes, args.link),
                    ignore_not_found=args.force)


def wait(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.containers, 1)
    containers = session.client.containers
    errors: list[str] = []
    for ref in args.containers:
        try:
            result = containers.wait(ref, "not-running").result()
        except APIError as exc:
            errors.append(str(exc))
            continue
        session.print(str(result.get("StatusCode", -1)))
        session.out.flush()
    if errors:
        raise StatusError(1, "\n".join(errors))
    return 0


def rename(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.names, 2, 2)
    old, new = args.names
    new = new.strip()
    if not new or new.startswith("/"):
        raise StatusError(1, "Error: Neither old nor new names may be empty")
    try:
        session.client.containers.rename(old, new)
    except APIError as exc:
        raise StatusError(1, f"{exc}\nError: failed to rename container named {old}") from None
    return 0


def update(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.containers, 1)
    body: dict[str, object] = {}
    try:
        values = {
            "CpuShares": args.cpu_shares, "CpuPeriod": args.cpu_period,
            "CpuQuota": args.cpu_quota, "CpusetCpus": args.cpuset_cpus,
            "CpusetMems": args.cpuset_mems, "NanoCpus": opts.nano_cpus(args.cpus),
            "Memory": opts.memory("--memory", args.memory),
            "MemorySwap": opts.memory("--memory-swap", args.memory_swap),
            "MemoryReservation": opts.memory("--memory-reservation", args.memory_reservation),
            "PidsLimit": args.pids_limit, "BlkioWeight": args.blkio_weight,
        }
        if args.restart:
            body["RestartPolicy"] = opts.restart_policy(args.restart)
    except opts.InvalidFlag as exc:
        raise UsageError(args.parser.prog, args.parser.usage_line, str(exc)) from None
    body.update({k: v for k, v in values.items() if v is not None})
    if not body:
        raise StatusError(1, "you must provide one or more flags when using this command")
    containers = session.client.containers

    def apply(ref: str) -> None:
        for warning in containers.update(ref, body).get("Warnings") or []:
            session.warn(warning)
    return for_each(session, args.containers, apply)


def prune(session: Session, args: argparse.Namespace) -> int:
    filters = filters_from(args)
    if not confirm(session, "WARNING! This will remove all stopped containers.\n"
                            "Are you sure you want to continue?", args.force):
        return 0
    report = session.client.containers.prune(filters)
    deleted = report.get("ContainersDeleted") or []
    if deleted:
        session.print("Deleted Containers:")
        for container_id in deleted:
            session.print(container_id)
        session.print()
    session.print(f"Total reclaimed space: {human_size(report.get('SpaceReclaimed') or 0)}")
    return 0


def _containers(p: argparse.ArgumentParser) -> None:
    p.add_argument("containers", nargs="*", metavar="CONTAINER")


def add_start(sub: Subparsers, name: str = "start") -> None:
    p = command(sub, name, start, "[OPTIONS] CONTAINER [CONTAINER...]",
                "Start one or more stopped containers")
    p.add_argument("-a", "--attach", action="store_true",
                   help="Attach STDOUT/STDERR and forward signals")
    p.add_argument("-i", "--interactive", action="store_true", help="Attach container's STDIN")
    p.add_argument("--detach-keys", help="Override the key sequence for detaching a container")
    _containers(p)


def _stop_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("-s", "--signal", help="Signal to send to the container")
    p.add_argument("-t", "--timeout", dest="time", type=int,
                   help="Seconds to wait before killing the container")
    p.add_argument("--time", dest="time", type=int, help=argparse.SUPPRESS)
    _containers(p)


def add_stop(sub: Subparsers, name: str = "stop") -> None:
    _stop_flags(command(sub, name, stop, "[OPTIONS] CONTAINER [CONTAINER...]",
                        "Stop one or more running containers"))


def add_restart(sub: Subparsers, name: str = "restart") -> None:
    _stop_flags(command(sub, name, restart, "[OPTIONS] CONTAINER [CONTAINER...]",
                        "Restart one or more containers"))


def add_kill(sub: Subparsers, name: str = "kill") -> None:
    p = command(sub, name, kill, "[OPTIONS] CONTAINER [CONTAINER...]",
                "Kill one or more running containers")
    p.add_argument("-s", "--signal", help="Signal to send to the container")
    _containers(p)


def add_pause(sub: Subparsers, name: str = "pause") -> None:
    _containers(command(sub, name, pause, "CONTAINER [CONTAINER...]",
                        "Pause all processes within one or more containers"))


def add_unpause(sub: Subparsers, name: str = "unpause") -> None:
    _containers(command(sub, name, unpause, "CONTAINER [CONTAINER...]",
                        "Unpause all processes within one or more containers"))


def add_rm(sub: Subparsers, name: str = "rm", aliases: tuple[str, ...] = ()) -> None:
    p = command(sub, name, remove, "[OPTIONS] CONTAINER [CONTAINER...]",
                "Remove one or more containers", aliases=aliases)
    p.add_argument("-f", "--force", action="store_true",
                   help="Force the removal of a running container (uses SIGKILL)")
    p.add_argument("-l", "--link", action="store_true", help="Remove the specified link")
    p.add_argument("-v", "--volumes", action="store_true",
                   help="Remove anonymous volumes associated with the container")
    _containers(p)


def add_wait(sub: Subparsers, name: str = "wait") -> None:
    _containers(command(sub, name, wait, "CONTAINER [CONTAINER...]",
                        "Block until one or more containers stop, then print their exit codes"))


def add_rename(sub: Subparsers, name: str = "rename") -> None:
    p = command(sub, name, rename, "CONTAINER NEW_NAME", "Rename a container")
    p.add_argument("names", nargs="*")


def add_update(sub: Subparsers, name: str = "update") -> None:
    p = command(sub, name, update, "[OPTIONS] CONTAINER [CONTAINER...]",
                "Update configuration of one or more containers")
    a = p.add_argument
    a("--blkio-weight", type=int, help="Block IO (relative weight), between 10 and 1000")
    a("--cpu-period", type=int, help="Limit CPU CFS (Completely Fair Scheduler) period")
    a("--cpu-quota", type=int, help="Limit CPU CFS (Completely Fair Scheduler) quota")
    a("-c", "--cpu-shares", type=int, help="CPU shares (relative weight)")
    a("--cpus", help="Number of CPUs")
    a("--cpuset-cpus", help="CPUs in which to allow execution (0-3, 0,1)")
    a("--cpuset-mems", help="MEMs in which to allow execution (0-3, 0,1)")
    a("-m", "--memory", help="Memory limit")
    a("--memory-reservation", help="Memory soft limit")
    a("--memory-swap", help="Swap limit equal to memory plus swap: -1 to enable unlimited swap")
    a("--pids-limit", type=int, help="Tune container pids limit (set -1 for unlimited)")
    a("--restart", help="Restart policy to apply when a container exits")
    _containers(p)


def add_prune(sub: Subparsers, name: str = "prune") -> None:
    p = command(sub, name, prune, "[OPTIONS]", "Remove all stopped containers")
    add_filter_flag(p, "Provide filter values (e.g. \"until=<timestamp>\")", short=False)
    p.add_argument("-f", "--force", action="store_true", help="Do not prompt for confirmation")
