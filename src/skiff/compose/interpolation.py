"""``${VAR}`` interpolation as compose does it, in every form: ``$V``, ``${V}``, ``${V:-d}``,
``${V-d}``, ``${V:?e}``, ``${V?e}``, ``${V:+a}``, ``${V+a}``, nested (``${A:-${B}}``) and
``$$`` for a dollar; each use recorded with where its value came from (``compose explain``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from skiff.compose.yamlfile import Override
from skiff.errdefs import InvalidParameter


@dataclass(frozen=True)
class Variable:
    value: str
    source: str  # "shell" or "env-file"
    origin: str = ""  # the env file's path


@dataclass(frozen=True)
class Use:
    """One ``${VAR}`` met while interpolating: where, and what it became."""

    name: str
    path: str
    value: str | None
    source: str  # "shell", "env-file", "default" or "unset"
    origin: str = ""


class InterpolationError(InvalidParameter):
    """A template that cannot be expanded, in compose's words."""


Lookup = Callable[[str], Variable | None]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = (":?", "?", ":-", "-", ":+", "+")


def _closing(text: str, start: int) -> int:
    """The index of the ``}`` that closes the ``${`` before ``start``; -1 if none."""
    depth = 1
    index = start
    while index < len(text):
        if text.startswith("${", index):
            depth += 1
            index += 2
            continue
        if text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1


def _invalid(path: str, text: str) -> InterpolationError:
    return InterpolationError(f"invalid interpolation format for {path}.\nYou may need to "
                              f"escape any $ with another $.\n{text}")


def substitute(text: str, lookup: Lookup, path: str = "",
               uses: list[Use] | None = None) -> str:
    """``text`` with every variable expanded; ``$$`` becomes ``$``."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "$":
            out.append(char)
            index += 1
            continue
        following = text[index + 1:index + 2]
        if following == "$":
            out.append("$")
            index += 2
            continue
        if following == "{":
            end = _closing(text, index + 2)
            if end < 0:
                raise _invalid(path, text)
            out.append(_braced(text[index + 2:end], lookup, path, uses, text))
            index = end + 1
            continue
        match = _NAME.match(text, index + 1)
        if match is None:
            raise _invalid(path, text)
        out.append(_value(match.group(0), lookup, path, uses) or "")
        index = match.end()
    return "".join(out)


def _value(name: str, lookup: Lookup, path: str, uses: list[Use] | None) -> str | None:
    found = lookup(name)
    _record(uses, name, path, found)
    return found.value if found is not None else None


def _braced(body: str, lookup: Lookup, path: str, uses: list[Use] | None,
            whole: str) -> str:
    match = _NAME.match(body)
    if match is None:
        raise _invalid(path, whole)
    name, rest = match.group(0), body[match.end():]
    if not rest:
        return _value(name, lookup, path, uses) or ""
    operator = next((op for op in _OPERATORS if rest.startswith(op)), None)
    if operator is None:
        raise _invalid(path, whole)
    argument = rest[len(operator):]
    found = lookup(name)
    value = found.value if found is not None else None
    empty_counts = operator.startswith(":")
    missing = value is None or (empty_counts and value == "")
    if operator in (":?", "?"):
        if missing:
            message = substitute(argument, lookup, path, uses)
            raise InterpolationError(f"required variable {name} is missing a value"
                                     + (f": {message}" if message else ""))
        _record(uses, name, path, found)
        return value or ""
    if operator in (":-", "-"):
        if missing:
            default = substitute(argument, lookup, path, uses)
            if uses is not None:
                uses.append(Use(name, path, default, "default"))
            return default
        _record(uses, name, path, found)
        return value or ""
    # ":+" and "+": the alternative when set
    _record(uses, name, path, found)
    return "" if missing else substitute(argument, lookup, path, uses)


def _record(uses: list[Use] | None, name: str, path: str, found: Variable | None) -> None:
    if uses is not None:
        uses.append(Use(name, path, found.value if found else None,
                        found.source if found else "unset", found.origin if found else ""))


def interpolate(data: Any, lookup: Lookup, uses: list[Use] | None = None,
                path: str = "") -> Any:
    """A parsed YAML tree with its strings expanded (keys are left as they are)."""
    if isinstance(data, dict):
        return {k: interpolate(v, lookup, uses, f"{path}.{k}" if path else str(k))
                for k, v in data.items()}
    if isinstance(data, list):
        return [interpolate(v, lookup, uses, f"{path}[{i}]") for i, v in enumerate(data)]
    if isinstance(data, str):
        return substitute(data, lookup, path, uses)
    if isinstance(data, Override):
        return Override(interpolate(data.value, lookup, uses, path))
    return data
