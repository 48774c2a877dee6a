"""``${VAR}`` interpolation of compose files, matching docker compose v2 to the byte: every form
(``$V``, ``${V}``, ``${V:-d}``, ``${V-d}``, ``${V:?e}``, ``${V?e}``, ``${V:+a}``, ``${V+a}``),
nesting, ``$$`` for a dollar, its error messages and its paths; each use is recorded with where
its value came from (``compose config --environment``, ``compose explain``).

Compose's reading has quirks kept here on purpose, because files are written against it:

- A ``$`` that starts no name (``5$``, ``$1``, ``$-``) is left as it is; ``${`` that does not
  start a valid braced form (``${1}``, ``${}``, ``${A:x}``, an unclosed ``${A``) is an error.
- A braced form with an operator extends to the last ``}`` of its line; the ``}`` that closes it
  is then found by counting braces, where every ``{`` also skips the character after it. What
  follows the closing ``}`` is interpolated on its own, and an error there quotes that rest.
- Operator arguments (defaults, alternatives, error messages) are interpolated only when taken.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from skiff.compose.yamlfile import Override
from skiff.errdefs import InvalidParameter

Source = Literal["shell", "env-file", "default", "unset"]


@dataclass(frozen=True)
class Variable:
    """A variable the file may use, and where its value was set."""

    value: str
    source: Source
    origin: str = ""  # the env file's path when source is "env-file"


@dataclass(frozen=True)
class Use:
    """One variable met while interpolating: where, what it became and where that came from."""

    name: str
    path: str
    value: str | None  # None when unset and no default was taken
    source: Source
    origin: str = ""
    op: str = ""  # the operator of the form (":-", "+", ...); "" for $V and ${V}


Lookup = Callable[[str], Variable | None]


class InterpolationError(InvalidParameter):
    """A value that cannot be interpolated, in docker compose's words."""


class InvalidTemplate(InterpolationError):
    """A ``$`` form compose cannot read; ``template`` is the text it quotes."""

    def __init__(self, template: str, path: str) -> None:
        if path:
            message = (f"invalid interpolation format for {path}.\n"
                       f"You may need to escape any $ with another $.\n{template}")
        else:
            message = f"Invalid template: {go_quote(template)}"
        super().__init__(message)
        self.template = template
        self.path = path


class MissingRequired(InterpolationError):
    """``${V:?reason}`` or ``${V?reason}`` met without a value for ``V``."""

    def __init__(self, variable: str, reason: str, path: str) -> None:
        message = f"required variable {variable} is missing a value"
        if reason:
            message += f": {reason}"
        if path:
            message = f"error while interpolating {path}: {message}"
        super().__init__(message)
        self.variable = variable
        self.reason = reason
        self.path = path


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# One alternative per form; "invalid" (an empty group) matches "${" that no braced form fits.
_PATTERN = re.compile(
    r"\$(?:(?P<escaped>\$)|(?P<named>[A-Za-z_][A-Za-z0-9_]*)"
    r"|\{(?:(?P<braced>[A-Za-z_][A-Za-z0-9_]*(?::?[-+?].*)?)\}|(?P<invalid>)))"
)
_OPERATORS = (":?", ":-", ":+", "?", "-", "+")
_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
               "\v": "\\v", '"': '\\"', "\\": "\\\\"}


def substitute(text: str, lookup: Lookup, path: str = "",
               uses: list[Use] | None = None) -> str:
    """``text`` with its variables expanded and ``$$`` made ``$``; each use goes to ``uses``.

    Errors name ``path`` as compose does; without a path they are compose's bare template
    errors (``Invalid template: "${"``, ``required variable V is missing a value``)."""
    return _PATTERN.sub(lambda match: _replace(match, text, lookup, path, uses), text)


def _replace(match: re.Match[str], template: str, lookup: Lookup, path: str,
             uses: list[Use] | None) -> str:
    if match["escaped"]:
        return "$"
    if match["named"] is not None:
        return _plain(match["named"], lookup, path, uses)
    if match["braced"] is None:
        raise InvalidTemplate(template, path)
    whole = match.group(0)
    close = _closing_brace(whole)
    body, rest = (whole[2:close], whole[close + 1:]) if close >= 0 else (match["braced"], "")
    name = _NAME.match(body)
    assert name is not None  # the pattern starts every braced body with a name
    after = body[name.end():]
    if not after:
        value = _plain(name.group(0), lookup, path, uses)
    else:
        op = next(o for o in _OPERATORS if after.startswith(o))
        value = _operate(name.group(0), op, after[len(op):], lookup, path, uses)
    return value + substitute(rest, lookup, path, uses)


def _closing_brace(text: str) -> int:
    """The index of the ``}`` closing the ``{`` at index 1, counted as compose counts; -1."""
    depth = 0
    index = 0
    while index < len(text):
        if text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        elif text[index] == "{":
            depth += 1
            index += 1  # compose does not look at the character after a "{"
        index += 1
    return -1


def _plain(name: str, lookup: Lookup, path: str, uses: list[Use] | None) -> str:
    found = lookup(name)
    _record(uses, name, path, found, "")
    return found.value if found is not None else ""


def _operate(name: str, op: str, argument: str, lookup: Lookup, path: str,
             uses: list[Use] | None) -> str:
    found = lookup(name)
    missing = found is None or (op.startswith(":") and found.value == "")
    kind = op[-1]
    if kind == "?" and missing:
        raise MissingRequired(name, substitute(argument, lookup, path, uses), path)
    if kind == "-" and missing:
        default = substitute(argument, lookup, path, uses)
        if uses is not None:
            uses.append(Use(name, path, default, "default", "", op))
        return default
    _record(uses, name, path, found, op)
    if kind == "+":
        return "" if missing else substitute(argument, lookup, path, uses)
    assert found is not None
    return found.value


def _record(uses: list[Use] | None, name: str, path: str, found: Variable | None,
            op: str) -> None:
    if uses is None:
        return
    if found is None:
        uses.append(Use(name, path, None, "unset", "", op))
    else:
        uses.append(Use(name, path, found.value, found.source, found.origin, op))


def interpolate(data: Any, lookup: Lookup, uses: list[Use] | None = None,
                path: str = "") -> Any:
    """A new parsed YAML tree with every string value interpolated; keys stay as they are.

    Paths are compose's: keys joined by ``.`` (a ``.`` inside a key below the top level
    becomes a ghost emoji, as compose-go writes it) and ``[]`` for any list item."""
    if isinstance(data, str):
        return substitute(data, lookup, path, uses)
    if isinstance(data, dict):
        return {key: interpolate(value, lookup, uses, _child(path, str(key)))
                for key, value in data.items()}
    if isinstance(data, list):
        return [interpolate(item, lookup, uses, _child(path, "[]")) for item in data]
    if isinstance(data, Override):
        return Override(interpolate(data.value, lookup, uses, path))
    return data


def _child(path: str, part: str) -> str:
    if not path:
        return part
    return f"{path}.{part.replace('.', chr(0x1F47B))}"


def unset_warnings(uses: list[Use]) -> list[str]:
    """docker compose's warning for each ``$V`` or ``${V}`` met with ``V`` unset, in order."""
    return [f"The {go_quote(use.name)} variable is not set. Defaulting to a blank string."
            for use in uses if use.source == "unset" and not use.op]


def go_quote(text: str) -> str:
    """``text`` quoted as Go's ``%q`` does, which compose's messages use."""
    out = ['"']
    for char in text:
        if char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)
