"""``.env`` and ``env_file`` files as compose reads them: ``KEY=VALUE`` (``export`` allowed),
comments, single quotes (literal), double quotes (escapes, several lines), unquoted values
trimmed with `` #`` comments cut, and ``${VAR}`` in unquoted and double-quoted values from the
keys above or the shell; ``KEY`` alone takes the shell's value."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from skiff.errdefs import InvalidParameter

_KEY = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*(=|$)")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def _unescape(text: str) -> str:
    out, index = [], 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text) and text[index + 1] in _ESCAPES:
            out.append(_ESCAPES[text[index + 1]])
            index += 2
            continue
        out.append(text[index])
        index += 1
    return "".join(out)


def parse(text: str, path: str = ".env",
          lookup: Callable[[str], str | None] | None = None) -> dict[str, str]:
    from skiff.compose.interpolation import Variable, substitute

    values: dict[str, str] = {}

    def resolve(name: str) -> Variable | None:
        if name in values:
            return Variable(values[name], "env-file", path)
        given = lookup(name) if lookup else None
        return Variable(given, "shell") if given is not None else None

    lines = text.splitlines()
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _KEY.match(line)
        if match is None:
            raise InvalidParameter(f"failed to read {path}: line {number}: unexpected "
                                   f"character in variable name {stripped.split('=')[0]!r}")
        key = match.group(1)
        if not match.group(2):  # KEY alone: the shell's value, if it has one
            given = lookup(key) if lookup else None
            if given is not None:
                values[key] = given
            continue
        raw = line[match.end():].lstrip()
        if raw.startswith("'"):
            end = raw.find("'", 1)
            while end < 0 and number < len(lines):
                raw += "\n" + lines[number]
                number += 1
                end = raw.find("'", 1)
            if end < 0:
                raise InvalidParameter(f"failed to read {path}: line {number}: unterminated "
                                       f"quoted value")
            values[key] = raw[1:end]
        elif raw.startswith('"'):
            end = _close_double(raw)
            while end < 0 and number < len(lines):
                raw += "\n" + lines[number]
                number += 1
                end = _close_double(raw)
            if end < 0:
                raise InvalidParameter(f"failed to read {path}: line {number}: unterminated "
                                       f"quoted value")
            values[key] = substitute(_unescape(raw[1:end]), resolve, key)
        else:
            value = re.split(r"\s+#", raw, maxsplit=1)[0].strip()
            values[key] = substitute(value, resolve, key)
    return values


def _close_double(raw: str) -> int:
    index = 1
    while index < len(raw):
        if raw[index] == "\\":
            index += 2
            continue
        if raw[index] == '"':
            return index
        index += 1
    return -1


def load(path: Path, lookup: Callable[[str], str | None] | None = None) -> dict[str, str]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidParameter(f"failed to read {path}: {exc.strerror}") from None
    return parse(text, str(path), lookup)
