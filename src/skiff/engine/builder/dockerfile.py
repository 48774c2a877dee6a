"""A Dockerfile read into typed instructions, with BuildKit's own parser (PyPI ``dockerfile``).

The parser gives each instruction its keyword, flags, arguments, heredocs and lines; this module
checks keywords and flags as Docker does, splits the arguments into the fields each instruction
has, and reads the parser directives (``# syntax=``, ``# escape=``, ``# check=``). Variables are
left as written: they are expanded per stage, when the build runs (see ``words``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import dockerfile as buildkit

from skiff.errdefs import InvalidParameter

# the flags each instruction takes; a name in MULTI may be given more than once
FLAGS: dict[str, frozenset[str]] = {
    "FROM": frozenset({"platform"}),
    "RUN": frozenset({"mount", "network", "security"}),
    "COPY": frozenset({"from", "chown", "chmod", "link", "parents", "exclude"}),
    "ADD": frozenset({"chown", "chmod", "link", "keep-git-dir", "checksum", "exclude",
                      "unpack"}),
    "HEALTHCHECK": frozenset({"interval", "timeout", "start-period", "start-interval",
                              "retries"}),
}
MULTI = frozenset({"mount", "exclude"})
BOOLEAN = frozenset({"link", "parents", "keep-git-dir"})
KEYWORDS = frozenset({"FROM", "ARG", "ENV", "LABEL", "RUN", "COPY", "ADD", "CMD", "ENTRYPOINT",
                      "WORKDIR", "USER", "EXPOSE", "VOLUME", "STOPSIGNAL", "SHELL", "HEALTHCHECK",
                      "ONBUILD", "MAINTAINER"})
DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$")


class DockerfileError(InvalidParameter):
    """A Dockerfile Docker would refuse, with the line it is on."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"Dockerfile parse error line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class Heredoc:
    """``<<NAME`` ... ``NAME``: a file's content (COPY) or a script (RUN)."""

    name: str
    content: str
    fd: int = 0


@dataclass(frozen=True)
class Instruction:
    """One instruction as written: keyword, checked flags, arguments and where it is."""

    keyword: str
    args: tuple[str, ...]
    line: int
    original: str
    json: bool = False  # the exec (JSON array) form
    flags: dict[str, list[str]] = field(default_factory=dict)
    heredocs: tuple[Heredoc, ...] = ()
    onbuild: Instruction | None = None  # ONBUILD's own instruction

    def flag(self, name: str, default: str | None = None) -> str | None:
        values = self.flags.get(name)
        return values[-1] if values else default

    def switch(self, name: str) -> bool:
        """A boolean flag: ``--link`` or ``--link=true``."""
        value = self.flag(name)
        if value is None:
            return False
        if value.lower() in ("", "true"):
            return True
        if value.lower() == "false":
            return False
        raise DockerfileError(self.line, f"expecting boolean value for flag {name}, not: {value}")


@dataclass(frozen=True)
class Directives:
    """The parser directives at the top of the file."""

    syntax: str = ""
    escape: str = "\\"
    check: str = ""


@dataclass(frozen=True)
class Dockerfile:
    directives: Directives
    instructions: tuple[Instruction, ...]


def read_directives(text: str) -> Directives:
    """``# syntax=``, ``# escape=`` and ``# check=`` before the first other line."""
    found: dict[str, str] = {}
    for raw in text.splitlines():
        match = DIRECTIVE.match(raw.strip())
        if not match:
            break
        key = match.group(1).lower()
        if key in found:
            raise DockerfileError(1, f"only one {key} parser directive can be used")
        found[key] = match.group(2)
    escape = found.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise DockerfileError(1, f"invalid escape token '{escape}' does not match ` or \\")
    return Directives(found.get("syntax", ""), escape, found.get("check", ""))


def parse(text: str) -> Dockerfile:
    """The Dockerfile's instructions, checked; a DockerfileError names the line at fault."""
    if not text.strip():
        raise InvalidParameter("the Dockerfile (Dockerfile) cannot be empty")
    directives = read_directives(text)
    try:
        commands = buildkit.parse_string(text)
    except buildkit.GoParseError as exc:
        raise DockerfileError(_line_of(text, str(exc)), str(exc)) from None
    instructions = tuple(_instruction(command) for command in commands)
    return Dockerfile(directives, instructions)


def _line_of(text: str, message: str) -> int:
    """The line the parser's error is on: the shortest head of the file that fails the same
    way (the parser does not say)."""
    lines = text.splitlines()
    for count in range(1, len(lines) + 1):
        try:
            buildkit.parse_string("\n".join(lines[:count]) + "\n")
        except buildkit.GoParseError as exc:
            if str(exc) == message:
                return count
    return 1


def _instruction(command: buildkit.Command) -> Instruction:
    keyword = command.cmd.upper()
    line = command.start_line
    if keyword not in KEYWORDS:
        raise DockerfileError(line, f"unknown instruction: {command.cmd}")
    heredocs = tuple(Heredoc(h.name, h.content, h.file_descriptor) for h in command.heredocs)
    if keyword == "ONBUILD":
        if not command.sub_cmd:
            raise DockerfileError(line, "ONBUILD requires at least one argument")
        inner_keyword = command.sub_cmd.upper()
        if inner_keyword in ("ONBUILD", "FROM", "MAINTAINER"):
            raise DockerfileError(line, f"{inner_keyword} isn't allowed as an ONBUILD trigger")
        inner = _instruction(buildkit.Command(
            command.sub_cmd, None, command.json, command.original, line, command.end_line,
            command.flags, command.value, command.heredocs))
        return Instruction(keyword, command.value, line, command.original, command.json,
                           onbuild=inner)
    flags = _flags(keyword, command.flags, line)
    args = tuple(command.value)
    _check_arity(keyword, args, line, command.json)
    return Instruction(keyword, args, line, command.original, command.json, flags, heredocs)


def _flags(keyword: str, raw: tuple[str, ...], line: int) -> dict[str, list[str]]:
    allowed = FLAGS.get(keyword, frozenset())
    flags: dict[str, list[str]] = {}
    for word in raw:
        name, sep, value = word.removeprefix("--").partition("=")
        if name not in allowed:
            raise DockerfileError(line, f"unknown flag: {name}")
        if not sep and name not in BOOLEAN:
            raise DockerfileError(line, f"missing a value on flag: {name}")
        if name in flags and name not in MULTI:
            raise DockerfileError(line, f"duplicate flag specified: {name}")
        flags.setdefault(name, []).append(value)
    return flags


ONE = frozenset({"WORKDIR", "USER", "STOPSIGNAL"})
NEED_ARGUMENTS = KEYWORDS - {"CMD", "ENTRYPOINT", "ONBUILD"}


def _check_arity(keyword: str, args: tuple[str, ...], line: int, json: bool) -> None:
    """What each instruction needs, in Docker's words."""
    if keyword in NEED_ARGUMENTS and not [a for a in args if a.strip()]:
        need = "exactly one argument" if keyword in ONE else "at least one argument"
        raise DockerfileError(line, f"{keyword} requires {need}")
    if keyword in ("COPY", "ADD") and len(args) < 2:
        raise DockerfileError(line, f"{keyword} requires at least two arguments, but only one "
                                    f"was provided. Destination could not be determined.")
    if keyword == "SHELL" and not json:
        raise DockerfileError(line, "SHELL requires the arguments to be in JSON form")
    if keyword == "FROM" and (len(args) not in (1, 3) or
                              (len(args) == 3 and args[1].upper() != "AS")):
        raise DockerfileError(line, "FROM requires either one or three arguments")
    if keyword in ONE and len(args) != 1:
        raise DockerfileError(line, f"{keyword} requires exactly one argument")
