"""``.env``, ``--env-file`` and ``env_file`` files read as docker compose v2 reads them.

One statement per ``KEY=VALUE`` (or ``KEY: VALUE``, or ``export KEY=VALUE``); blank lines and
``#`` lines are skipped. A key is letters, digits and ``_ . - [ ]``. An unquoted value runs to
the end of its line, is cut at `` #`` and trimmed. A single-quoted value is literal but for
``\\'``; a double-quoted one takes ``\\a \\b \\f \\n \\r \\t \\v \\" \\\\ \\$`` and ``\\0NNN``
(octal); either may span lines, and what follows the closing quote on its line is read as more
statements (a ``#`` comment, usually). Unquoted and double-quoted values are interpolated, a
variable taken from the lookup (the shell) first and then from the keys above it. A key alone
on its line takes the lookup's value, or is left out.

Two places where compose-go slips are read as it means them: a key alone on the last line with
no newline after it (compose-go sets the empty key to its name), and line numbers in errors
(compose-go's can be off after a quoted value over several lines or a key with spaces).
Errors add the line to interpolation errors too, which compose-go reports without one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

from skiff.compose.interpolation import InterpolationError, Variable, go_quote, substitute
from skiff.errdefs import InvalidParameter, NotFound

_EXPORT = re.compile(r"export[\t\n\f\r ]")
_ESCAPE = re.compile(r'\\(?:[abcfnrtv$"\\]|0[0-9]{0,3})')
_ESCAPED = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
            '"': '"', "\\": "\\", "$": "$$"}  # "$$" so that interpolation leaves a "$"
_BLANK = frozenset("\t\v\f\r \x85\xa0")  # the spaces compose skips within a line
_KEY_PUNCTUATION = frozenset("_.-[]")


def parse(text: str, path: str = ".env",
          lookup: Callable[[str], str | None] | None = None) -> dict[str, str]:
    """The variables ``text`` sets, in file order; errors name ``path`` and the line."""
    return _Parser(text.removeprefix("\ufeff"), path, lookup).run()


def load(path: Path, lookup: Callable[[str], str | None] | None = None) -> dict[str, str]:
    """The variables the file at ``path`` sets (see ``parse``)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"couldn't find env file: {path}") from None
    except IsADirectoryError:
        raise InvalidParameter(f"{path} is a directory") from None
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise InvalidParameter(f"failed to read {path}: {reason}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidParameter(f"failed to read {path}: not UTF-8 text at byte {exc.start}") \
            from None
    return parse(text, str(path), lookup)


class _Parser:
    """One pass over a file's text; ``line`` is the line of the statement being read."""

    def __init__(self, text: str, path: str, lookup: Callable[[str], str | None] | None) -> None:
        self.text = text
        self.path = path
        self.lookup = lookup
        self.values: dict[str, str] = {}
        self.line = 1
        self._counted = 0  # self.line counts the newlines before this index

    def run(self) -> dict[str, str]:
        pos = self._statement(0)
        while pos < len(self.text):
            self.line += self.text.count("\n", self._counted, pos)
            self._counted = pos
            pos = self._statement(self._entry(pos))
        return self.values

    def _statement(self, pos: int) -> int:
        """The index where the next statement starts, past spaces and comments."""
        text = self.text
        while pos < len(text):
            if _is_space(text[pos]):
                pos += 1
            elif text[pos] == "#":
                newline = text.find("\n", pos)
                pos = len(text) if newline < 0 else newline
            else:
                break
        return pos

    def _entry(self, pos: int) -> int:
        """Read the statement at ``pos`` into ``values``; the index after it."""
        text = self.text
        if _EXPORT.match(text, pos):
            pos = self._skip_blanks(pos + len("export"))
        start = end = pos
        while end < len(text) and text[end] not in "=:\n":
            char = text[end]
            if not (char in _BLANK or char in _KEY_PUNCTUATION or _letter_or_number(char)):
                first_line = text[start:].split("\n", 1)[0]
                raise self._error(f"unexpected character {go_quote(char)} in variable name "
                                  f"{go_quote(first_line)}")
            end += 1
        key = _rstrip(text[start:end])
        if " " in key:
            raise self._error("key cannot contain a space")
        if end >= len(text) or text[end] == "\n":  # a key alone: the lookup's value, if any
            given = self.lookup(key) if self.lookup is not None else None
            if given is not None:
                self.values[key] = given
            return end + 1
        pos = self._skip_blanks(end + 1)
        if pos < len(text) and text[pos] in "'\"":
            value, pos = self._quoted(pos)
        else:
            newline = text.find("\n", pos)
            stop = len(text) if newline < 0 else newline
            value = self._expand(_rstrip(text[pos:stop].split(" #", 1)[0]))
            pos = stop + 1
        self.values[key] = value
        return pos

    def _quoted(self, pos: int) -> tuple[str, int]:
        """The value of the quoted string opening at ``pos``, and the index after it."""
        text = self.text
        quote = text[pos]
        chars: list[str] = []
        escaped = False
        for index in range(pos + 1, len(text)):
            char = text[index]
            if escaped:
                escaped = False
                if char != quote:
                    chars.append("\\")
                chars.append(char)
            elif char == "\\":
                escaped = True
            elif char == quote:
                value = "".join(chars)
                if quote == '"':
                    value = self._expand(_ESCAPE.sub(_unescape, value))
                return value, index + 1
            else:
                chars.append(char)
        newline = text.find("\n", pos)
        shown = text[pos:] if newline < 0 else text[pos:newline]
        raise self._error(f"unterminated quoted value {shown}")

    def _expand(self, value: str) -> str:
        try:
            return substitute(value, self._resolve)
        except InterpolationError as exc:
            raise self._error(exc.message) from None

    def _resolve(self, name: str) -> Variable | None:
        given = self.lookup(name) if self.lookup is not None else None
        if given is not None:
            return Variable(given, "shell")
        if name in self.values:
            return Variable(self.values[name], "env-file", self.path)
        return None

    def _skip_blanks(self, pos: int) -> int:
        while pos < len(self.text) and self.text[pos] in _BLANK:
            pos += 1
        return pos

    def _error(self, message: str) -> InvalidParameter:
        return InvalidParameter(f"failed to read {self.path}: line {self.line}: {message}")


def _unescape(match: re.Match[str]) -> str:
    """One escape of a double-quoted value. ``\\0NNN`` is octal when NNN is three octal digits
    up to 377; otherwise compose still drops its ``0`` (``\\012`` becomes ``\\12``)."""
    sequence = match.group(0)
    if sequence[1] != "0":
        return _ESCAPED.get(sequence[1], sequence)
    digits = sequence[2:]
    if len(digits) == 3 and set(digits) <= set("01234567") and int(digits, 8) <= 0o377:
        return chr(int(digits, 8))
    return "\\" + digits


def _is_space(char: str) -> bool:
    """Go's unicode.IsSpace (Python's isspace also takes the separators \\x1c-\\x1f)."""
    return char.isspace() and char not in "\x1c\x1d\x1e\x1f"


def _letter_or_number(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN"


def _rstrip(text: str) -> str:
    end = len(text)
    while end and _is_space(text[end - 1]):
        end -= 1
    return text[:end]
