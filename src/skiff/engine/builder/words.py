"""Variable substitution and word splitting in Dockerfile instructions, as the builder does it.

``$name`` and ``${name}`` with the modifiers ``:-`` ``-`` ``:+`` ``+`` ``:?`` ``?`` and the
pattern forms ``#`` ``##`` ``%`` ``%%`` ``/`` ``//``; single quotes keep everything, double
quotes keep everything but ``$`` and the escape character; the escape character (``\\`` or the
one ``# escape=`` chose) makes the next character literal. Every expansion records the variable
it read, so a build step's cache key holds exactly the build arguments it used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class WordError(ValueError):
    """A malformed substitution (``${``, ``${x:?message}``), in Docker's words."""


@dataclass
class Expander:
    """Expands words against ``env``; ``used`` collects the names that were read."""

    env: Mapping[str, str]
    escape: str = "\\"
    used: set[str] = field(default_factory=set)

    def word(self, text: str) -> str:
        """One word: quotes removed, variables replaced, never split."""
        return "".join(_Scan(self, text).words(split=False))

    def words(self, text: str) -> list[str]:
        """Split on unquoted whitespace after substitution (for EXPOSE, VOLUME, USER ...)."""
        return _Scan(self, text).words(split=True)


class _Scan:
    def __init__(self, owner: Expander, text: str) -> None:
        self.owner, self.text, self.pos = owner, text, 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        ch = self.peek()
        self.pos += 1
        return ch

    def words(self, split: bool) -> list[str]:
        out: list[str] = []
        current: str | None = None  # None: between words

        def add(text: str) -> None:
            nonlocal current
            current = (current or "") + text

        def end() -> None:
            nonlocal current
            if current is not None:
                out.append(current)
            current = None

        while self.pos < len(self.text):
            ch = self.take()
            if split and ch.isspace():
                end()
            elif ch == "'":
                add(self._single())
            elif ch == '"':
                add(self._double())
            elif ch == self.owner.escape:
                add(self.take())  # a lone escape at the end is dropped
            elif ch == "$" and split:  # an unquoted value splits where it has spaces
                for i, piece in enumerate(re.split(r"\s+", self._dollar())):
                    if i:
                        end()
                    if piece:
                        add(piece)
            elif ch == "$":
                add(self._dollar())
            else:
                add(ch)
        if not split:
            return [current or ""]
        end()
        return out

    def _single(self) -> str:
        end = self.text.find("'", self.pos)
        if end < 0:
            raise WordError("unexpected end of statement while looking for matching single-quote")
        value, self.pos = self.text[self.pos:end], end + 1
        return value

    def _double(self) -> str:
        parts: list[str] = []
        while True:
            ch = self.take()
            if ch == "":
                raise WordError("unexpected end of statement while looking for matching "
                                "double-quote")
            if ch == '"':
                return "".join(parts)
            if ch == self.owner.escape:
                following = self.peek()
                if following in ('"', "$", self.owner.escape):
                    parts.append(self.take())
                else:
                    parts.append(ch)
            elif ch == "$":
                parts.append(self._dollar())
            else:
                parts.append(ch)

    def _dollar(self) -> str:
        if self.peek() == "{":
            self.take()
            return self._braced()
        found = NAME.match(self.text, self.pos)
        if not found:
            return "$"
        self.pos = found.end()
        return self._value(found.group()) or ""

    def _value(self, name: str) -> str | None:
        self.owner.used.add(name)
        return self.owner.env.get(name)

    def _braced(self) -> str:
        found = NAME.match(self.text, self.pos)
        if not found:
            raise WordError(f"bad substitution: {self.text}")
        name = found.group()
        self.pos = found.end()
        value = self._value(name)
        ch = self.take()
        if ch == "":
            raise WordError(f"syntax error: missing '}}' in {self.text}")
        if ch == "}":
            return value or ""
        op = ":" + self.take() if ch == ":" else ch
        if op in (":-", "-", ":+", "+", ":?", "?"):
            word = self._until_brace()
            empty = value is None or (op.startswith(":") and value == "")
            if op.endswith("-"):
                return word if empty else value or ""
            if op.endswith("+"):
                return "" if empty else word
            if empty:
                raise WordError(f"{name}: {word or 'is not allowed to be unset'}")
            return value or ""
        if op in ("#", "%"):
            longest = self.peek() == op
            if longest:
                self.take()
            return _trim(value or "", self._until_brace(pattern=True), op == "#", longest)
        if op == "/":
            every = self.peek() == "/"
            if every:
                self.take()
            pattern, replacement = self._until_brace(stop="/", pattern=True), ""
            if self.text[self.pos - 1] == "/":
                replacement = self._until_brace()
            return _replace(value or "", pattern, replacement, every)
        raise WordError(f"unsupported modifier ({op}) in substitution: {self.text}")

    def _until_brace(self, stop: str = "", pattern: bool = False) -> str:
        """The word inside ``${...}`` up to its closing brace (or ``stop``), itself expanded;
        a ``pattern`` keeps its escapes (as ``\\``) for the glob."""
        parts: list[str] = []
        while True:
            ch = self.take()
            if ch == "":
                raise WordError(f"syntax error: missing '}}' in {self.text}")
            if ch == "}" or (stop and ch == stop):
                return "".join(parts)
            if ch == self.owner.escape:
                parts.append("\\" + self.take() if pattern else self.take())
            elif ch == "$":
                parts.append(self._dollar())
            elif ch == "'":
                parts.append(self._single())
            elif ch == '"':
                parts.append(self._double())
            else:
                parts.append(ch)


def _glob(pattern: str) -> re.Pattern[str]:
    """A pattern of ``?`` and ``*`` (``\\?`` and ``\\*`` literal) as a regular expression."""
    out, chars = [], iter(pattern)
    for ch in chars:
        if ch == "\\":
            out.append(re.escape(next(chars, "\\")))
        else:
            out.append({"?": ".", "*": ".*"}.get(ch) or re.escape(ch))
    return re.compile("".join(out), re.S)


def _trim(value: str, pattern: str, front: bool, longest: bool) -> str:
    cuts = range(len(value) + 1)
    order = reversed(cuts) if longest else cuts
    matcher = _glob(pattern)
    for n in order:
        part = value[:n] if front else value[len(value) - n:]
        if matcher.fullmatch(part):
            return value[n:] if front else value[:len(value) - n]
    return value


def _replace(value: str, pattern: str, replacement: str, every: bool) -> str:
    matcher = _glob(pattern)
    out, i, done = [], 0, False
    while i < len(value):
        if not done:
            for end in range(len(value), i, -1):  # the longest match, as shells do
                if matcher.fullmatch(value[i:end]):
                    out.append(replacement)
                    i, done = end, not every
                    break
            else:
                out.append(value[i])
                i += 1
            continue
        out.append(value[i])
        i += 1
    return "".join(out)
