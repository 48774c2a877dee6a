"""argparse configured to fail like docker's flag parser (messages and exit codes)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import Any, NoReturn

from skiff.cli.errors import UsageError

_BOOLS = {"true": True, "1": True, "t": True, "false": False, "0": False, "f": False}


class CommandParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors become UsageError (exit 125, docker's wording)."""

    def __init__(self, *args: Any, usage_line: str = "", interspersed: bool = True,
                 **kwargs: Any) -> None:
        kwargs.setdefault("add_help", True)
        super().__init__(*args, **kwargs)
        self.usage_line = usage_line
        self.interspersed = interspersed

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None,
                         ) -> tuple[argparse.Namespace, list[str]]:
        """Also accept pflag's ``--flag=true|false`` for boolean flags."""
        forced: dict[str, bool] = {}
        kept: list[str] = []
        remaining = list(args) if args is not None else []
        expect_value = False
        for i, arg in enumerate(remaining):
            if expect_value:
                expect_value = False
                kept.append(arg)
                continue
            if arg == "--" or (not arg.startswith("-") and not self.interspersed):
                kept.extend(remaining[i:])
                break
            name, sep, value = arg.partition("=")
            action = self._option_string_actions.get(name)
            if action is None and arg.startswith("-") and not arg.startswith("--") and not sep:
                action = self._option_string_actions.get("-" + arg[-1])
            if action is not None and sep and action.nargs == 0 and value.lower() in _BOOLS:
                forced[action.dest] = _BOOLS[value.lower()] == (action.const is not False)
                continue
            expect_value = action is not None and action.nargs != 0 and not sep and \
                (len(arg) == 2 or arg.startswith("--") or name[-1] == arg[-1])
            kept.append(arg)
        parsed, extras = super().parse_known_args(kept, namespace)
        if extras and self._subparsers is None:
            if not extras[0].startswith("-"):
                raise UsageError(self.prog, self.usage_line,
                                 f"'{self.prog}' accepts no arguments", code=1, prefixed=True)
            self.error("unrecognized arguments: " + " ".join(extras))
        for dest, flag in forced.items():
            setattr(parsed, dest, flag)
        return parsed, extras

    def error(self, message: str) -> NoReturn:
        text = _translate(message, self)
        if text.startswith("unknown command:"):
            usage = self.prog if " " in self.prog else ""  # groups show their name
            raise UsageError(self.prog, usage, text, code=1, prefixed=True)
        raise UsageError(self.prog, self.usage_line, text)


def command_words(probe: CommandParser, args: Sequence[str]) -> list[str] | None:
    """``args`` from the subcommand's name on, as a parser with ``probe``'s flags and
    subcommands would hand them to the subcommand ([] when no command is given).

    None when parsing would stop before that: a flag error, or help (``probe`` has no -h, so
    -h and --help are errors here). ``probe`` must not be used for anything else.
    """
    probe.add_argument("command_words", nargs=argparse.REMAINDER)
    try:
        words: list[str] = probe.parse_args(list(args)).command_words
    except UsageError:
        return None
    return words


def _flag_names(parser: argparse.ArgumentParser, dest_hint: str) -> str:
    for action in parser._actions:
        if "/".join(action.option_strings) == dest_hint:
            return ", ".join(action.option_strings)
    return dest_hint.replace("/", ", ")


def _translate(message: str, parser: argparse.ArgumentParser) -> str:
    match = re.match(r"unrecognized arguments: (\S+)", message)
    if match:
        return f"unknown flag: {match.group(1)}"
    match = re.match(r"argument (\S+): expected one argument", message)
    if match:
        name = match.group(1).split("/")[-1]
        return f"flag needs an argument: {name}"
    match = re.match(r"argument (\S+): invalid (\w+) value: '(.*)'", message)
    if match:
        flags = _flag_names(parser, match.group(1))
        value = match.group(3)
        why = f'strconv.ParseInt: parsing "{value}": invalid syntax' \
            if match.group(2) == "int" else "invalid syntax"
        return f'invalid argument "{value}" for "{flags}" flag: {why}'
    match = re.match(r"argument (\S+): invalid choice: '([^']*)'", message)
    if match:
        return f"unknown command: {parser.prog} {match.group(2)}"
    match = re.match(r"argument (\S+): (.*)", message)
    if match:
        flags = _flag_names(parser, match.group(1))
        return f'invalid argument for "{flags}" flag: {match.group(2)}'
    return message


def check_args(args: argparse.Namespace, values: Sequence[str], minimum: int,
               maximum: int | None = None) -> None:
    """Docker's argument-count checks ("requires at least 1 argument", exit 1)."""
    parser: CommandParser = args.parser
    count = len(values)
    message = ""
    name = f"'{parser.prog}'"
    plural = "s" if minimum != 1 else ""
    hint = "Run"
    if maximum == 0 and count:
        message = f"{name} accepts no arguments"
    elif maximum is not None and minimum == maximum and count != minimum:
        message = f"{name} requires {minimum} argument{plural}"
    elif count < minimum:
        message = f"{name} requires at least {minimum} argument{plural}"
        hint = "See"
    elif maximum is not None and count > maximum:
        message = f"{name} requires at most {maximum} argument{'s' if maximum != 1 else ''}"
    if message:
        raise UsageError(parser.prog, parser.usage_line, message, code=1, prefixed=True,
                         hint=hint)
