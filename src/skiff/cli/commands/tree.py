"""The command tree: top-level verbs, the container/image/system groups and their aliases.

So that a command starts fast, ``add_commands`` can build only the branch one command line
needs: given the words from the command's name on, it adds only that command (in a group: the
group and that one subcommand), importing only its module. It adds them all when there are no
words (``build_parser()``), or when they do not simply name a command (an unknown one, help
asked for, a bad flag): help and error messages are then those of the whole tree.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from typing import TYPE_CHECKING, NamedTuple

from skiff.cli.commands.common import Subparsers, command
from skiff.cli.parser import CommandParser, command_words

if TYPE_CHECKING:  # main imports this module; the session only once a command runs
    from skiff.cli.session import Session


class Command(NamedTuple):
    """A command whose parser ``skiff.cli.commands.<module>.<adder>`` adds, given the name,
    the aliases (if any) and the ``kind`` (if set)."""

    module: str
    adder: str
    aliases: tuple[str, ...] = ()
    kind: str | None = None

    def add(self, sub: Subparsers, name: str, words: Sequence[str] | None) -> None:
        options: dict[str, object] = {"aliases": self.aliases} if self.aliases else {}
        if self.kind:
            options["kind"] = self.kind
        _function(self.module, self.adder)(sub, name, **options)


class Group(NamedTuple):
    """``skiff <group> COMMAND``: its help line and its commands, which are added one by one
    like the top-level ones, or (``Command``) all at once by that command's adder."""

    help: str
    commands: Mapping[str, Command] | Command
    aliases: tuple[str, ...] = ()  # none yet; looked up like a command's

    def add(self, sub: Subparsers, name: str, words: Sequence[str] | None) -> None:
        parser = command(sub, name, _group_help, "COMMAND", self.help)
        group = parser.add_subparsers(title="Commands", metavar="COMMAND", prog=parser.prog,
                                      parser_class=CommandParser)
        if isinstance(self.commands, Command):
            _function(self.commands.module, self.commands.adder)(group)
            return
        # A group's only flag is -h. Without a command it prints its help, listing them all.
        sub_words = None if words is None else command_words(CommandParser(add_help=False),
                                                             words)
        add_commands(group, sub_words or None, self.commands)


def _function(module: str, name: str) -> Callable[..., None]:
    """``skiff.cli.commands.<module>.<name>``; the module is imported now."""
    function: Callable[..., None] = getattr(import_module(f"skiff.cli.commands.{module}"), name)
    return function


def _group_help(session: Session, args: argparse.Namespace) -> int:
    args.parser.print_help(session.out)
    return 0


CONTAINER = {
    "attach": Command("attach", "add_attach"),
    "commit": Command("build", "add_commit"),
    "cp": Command("files", "add_cp"),
    "create": Command("run", "add_create"),
    "diff": Command("files", "add_diff"),
    "exec": Command("execs", "add_exec"),
    "export": Command("files", "add_export"),
    "inspect": Command("inspect", "add_inspect", kind="container"),
    "kill": Command("lifecycle", "add_kill"),
    "logs": Command("logs", "add_logs"),
    "ls": Command("ps", "add_ps", aliases=("ps", "list")),
    "pause": Command("lifecycle", "add_pause"),
    "port": Command("volumes", "add_port"),
    "prune": Command("lifecycle", "add_prune"),
    "rename": Command("lifecycle", "add_rename"),
    "restart": Command("lifecycle", "add_restart"),
    "rm": Command("lifecycle", "add_rm", aliases=("remove",)),
    "run": Command("run", "add_run"),
    "start": Command("lifecycle", "add_start"),
    "stats": Command("stats", "add_stats"),
    "stop": Command("lifecycle", "add_stop"),
    "top": Command("ps", "add_top"),
    "unpause": Command("lifecycle", "add_unpause"),
    "update": Command("lifecycle", "add_update"),
    "wait": Command("lifecycle", "add_wait"),
}

IMAGE = {
    "build": Command("build", "add_build"),
    "history": Command("images", "add_history"),
    "import": Command("images", "add_import"),
    "inspect": Command("inspect", "add_inspect", kind="image"),
    "load": Command("images", "add_load"),
    "ls": Command("images", "add_images", aliases=("images", "list")),
    "prune": Command("images", "add_image_prune"),
    "rm": Command("images", "add_rmi", aliases=("rmi", "remove")),
    "save": Command("images", "add_save"),
    "tag": Command("images", "add_tag"),
}

SYSTEM = {
    "df": Command("system", "add_df"),
    "events": Command("system", "add_events"),
    "info": Command("system", "add_info"),
    "prune": Command("system", "add_system_prune"),
    "version": Command("system", "add_version"),
}

#: Every command, in the order ``skiff --help`` lists them.
TOP_LEVEL: dict[str, Command | Group] = {
    "run": Command("run", "add_run"),
    "ps": Command("ps", "add_ps"),
    "images": Command("images", "add_images"),
    "exec": Command("execs", "add_exec"),
    "info": Command("system", "add_info"),
    "version": Command("system", "add_version"),
    "attach": Command("attach", "add_attach"),
    "build": Command("build", "add_build"),
    "commit": Command("build", "add_commit"),
    "cp": Command("files", "add_cp"),
    "create": Command("run", "add_create"),
    "diff": Command("files", "add_diff"),
    "events": Command("system", "add_events"),
    "export": Command("files", "add_export"),
    "history": Command("images", "add_history"),
    "import": Command("images", "add_import"),
    "inspect": Command("inspect", "add_inspect"),
    "kill": Command("lifecycle", "add_kill"),
    "load": Command("images", "add_load"),
    "logs": Command("logs", "add_logs"),
    "pause": Command("lifecycle", "add_pause"),
    "port": Command("volumes", "add_port"),
    "rename": Command("lifecycle", "add_rename"),
    "restart": Command("lifecycle", "add_restart"),
    "rm": Command("lifecycle", "add_rm"),
    "rmi": Command("images", "add_rmi"),
    "save": Command("images", "add_save"),
    "start": Command("lifecycle", "add_start"),
    "stats": Command("stats", "add_stats"),
    "stop": Command("lifecycle", "add_stop"),
    "tag": Command("images", "add_tag"),
    "top": Command("ps", "add_top"),
    "unpause": Command("lifecycle", "add_unpause"),
    "update": Command("lifecycle", "add_update"),
    "wait": Command("lifecycle", "add_wait"),
    "builder": Group("Manage builds", Command("builder", "add_builder_group")),
    "compose": Command("compose", "add_compose"),
    "container": Group("Manage containers", CONTAINER),
    "image": Group("Manage images", IMAGE),
    "network": Group("Manage networks", Command("networks", "add_network_group")),
    "system": Group("Manage Docker", SYSTEM),
    "volume": Group("Manage volumes", Command("volumes", "add_volume_group")),
}


def add_commands(sub: Subparsers, words: Sequence[str] | None = None,
                 commands: Mapping[str, Command | Group] = TOP_LEVEL) -> None:
    """Add ``commands`` to ``sub``: only the one ``words`` (the command line from the
    command's name on) names, if it names one, else all of them."""
    chosen = _find(commands, words[0]) if words else None
    if words and chosen:
        commands[chosen].add(sub, chosen, words[1:])
        return
    for name, entry in commands.items():
        entry.add(sub, name, None)


def _find(commands: Mapping[str, Command | Group], word: str) -> str | None:
    """The command ``word`` is the name or an alias of."""
    return next((name for name, entry in commands.items()
                 if word == name or word in entry.aliases), None)
