""".dockerignore: which files of a build context the builder never sees.

One pattern per line, ``#`` comments, ``!`` for exceptions; the last pattern that matches a
path decides. Patterns use ``*``, ``?``, ``[...]`` within one path element and ``**`` across any
number of them, are relative to the context root (a leading ``/`` and ``./`` mean nothing), and
a pattern that matches a directory matches everything under it. The client applies them when it
makes the context tar; the builder applies them again to contexts it fetches itself.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Pattern:
    text: str
    exception: bool
    regex: re.Pattern[str]


def parse(text: str) -> list[Pattern]:
    """The patterns of a .dockerignore file's text."""
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        line = line[1:].strip() if exception else line
        if not line:
            continue
        cleaned = posixpath.normpath(line).lstrip("/")
        cleaned = "" if cleaned == "." else cleaned
        patterns.append(Pattern(cleaned, exception, _regex(cleaned)))
    return patterns


def _regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):  # "**/" is any number of directories, none too
                i += 1
                out.append("(?:.*/)?")
            else:
                out.append(".*")
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1:end]
                body = "^" + body[1:] if body.startswith("!") else body
                out.append(f"[{body}]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z", re.S)


class Matcher:
    """Decides paths (relative to the context root, ``/``-separated) against the patterns."""

    def __init__(self, patterns: list[Pattern]) -> None:
        self.patterns = patterns
        self.has_exceptions = any(p.exception for p in patterns)

    def excluded(self, path: str) -> bool:
        path = posixpath.normpath(path).lstrip("/")
        parents = _ancestors(path)
        result = False
        for pattern in self.patterns:
            if pattern.regex.match(path) or any(pattern.regex.match(p) for p in parents):
                result = not pattern.exception
        return result

    def may_keep_inside(self, directory: str) -> bool:
        """Whether an excluded directory can still hold a path an exception brings back (so a
        walk has to go into it)."""
        if not self.has_exceptions:
            return False
        prefix = posixpath.normpath(directory).lstrip("/") + "/"
        return any(p.exception and (p.text.startswith(prefix) or "*" in p.text or
                                    "?" in p.text or "[" in p.text) for p in self.patterns)


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:n]) for n in range(1, len(parts))]
