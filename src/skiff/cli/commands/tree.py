"""The command tree: top-level verbs, the container/image/system groups and their aliases."""

from __future__ import annotations

import argparse

from skiff.cli.commands import (
    attach,
    execs,
    files,
    images,
    inspect,
    lifecycle,
    logs,
    networks,
    ps,
    run,
    system,
    volumes,
)
from skiff.cli.commands.common import Subparsers, command
from skiff.cli.parser import CommandParser
from skiff.cli.session import Session


def _group_help(session: Session, args: argparse.Namespace) -> int:
    args.parser.print_help(session.out)
    return 0


def _group(sub: Subparsers, name: str, help: str) -> Subparsers:
    parser = command(sub, name, _group_help, "COMMAND", help)
    return parser.add_subparsers(title="Commands", metavar="COMMAND", prog=parser.prog,
                                 parser_class=CommandParser)


def _container_group(sub: Subparsers) -> None:
    group = _group(sub, "container", "Manage containers")
    attach.add_attach(group)
    files.add_cp(group)
    run.add_create(group)
    files.add_diff(group)
    execs.add_exec(group)
    files.add_export(group)
    inspect.add_inspect(group, kind="container")
    lifecycle.add_kill(group)
    logs.add_logs(group)
    ps.add_ps(group, "ls", aliases=("ps", "list"))
    lifecycle.add_pause(group)
    volumes.add_port(group)
    lifecycle.add_prune(group)
    lifecycle.add_rename(group)
    lifecycle.add_restart(group)
    lifecycle.add_rm(group, aliases=("remove",))
    run.add_run(group)
    lifecycle.add_start(group)
    lifecycle.add_stop(group)
    ps.add_top(group)
    lifecycle.add_unpause(group)
    lifecycle.add_update(group)
    lifecycle.add_wait(group)


def _image_group(sub: Subparsers) -> None:
    group = _group(sub, "image", "Manage images")
    images.add_history(group)
    images.add_import(group)
    inspect.add_inspect(group, kind="image")
    images.add_load(group)
    images.add_images(group, "ls", aliases=("images", "list"))
    images.add_image_prune(group)
    images.add_rmi(group, "rm", aliases=("rmi", "remove"))
    images.add_save(group)
    images.add_tag(group)


def _system_group(sub: Subparsers) -> None:
    group = _group(sub, "system", "Manage Docker")
    system.add_df(group)
    system.add_events(group)
    system.add_info(group)
    system.add_system_prune(group)
    system.add_version(group)


def _network_group(sub: Subparsers) -> None:
    networks.add_network_group(_group(sub, "network", "Manage networks"))


def _volume_group(sub: Subparsers) -> None:
    volumes.add_volume_group(_group(sub, "volume", "Manage volumes"))


def add_all(sub: Subparsers) -> None:
    """Every command, in the order ``skiff --help`` lists them."""
    run.add_run(sub)
    ps.add_ps(sub)
    images.add_images(sub)
    execs.add_exec(sub)
    system.add_info(sub)
    system.add_version(sub)
    attach.add_attach(sub)
    files.add_cp(sub)
    run.add_create(sub)
    files.add_diff(sub)
    system.add_events(sub)
    files.add_export(sub)
    images.add_history(sub)
    images.add_import(sub)
    inspect.add_inspect(sub)
    lifecycle.add_kill(sub)
    images.add_load(sub)
    logs.add_logs(sub)
    lifecycle.add_pause(sub)
    volumes.add_port(sub)
    lifecycle.add_rename(sub)
    lifecycle.add_restart(sub)
    lifecycle.add_rm(sub)
    images.add_rmi(sub)
    images.add_save(sub)
    lifecycle.add_start(sub)
    lifecycle.add_stop(sub)
    images.add_tag(sub)
    ps.add_top(sub)
    lifecycle.add_unpause(sub)
    lifecycle.add_update(sub)
    lifecycle.add_wait(sub)
    _container_group(sub)
    _image_group(sub)
    _network_group(sub)
    _system_group(sub)
    _volume_group(sub)
