"""Errors that end a command with a given exit status."""

from __future__ import annotations


class StatusError(Exception):
    """Exit with ``code``, printing ``message`` (if any) to stderr."""

    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message or "")
        self.code = code
        self.message = message


class FormatError(Exception):
    """The user's template does not parse or does not execute; the message is docker's."""


class UsageError(Exception):
    """Bad flags or arguments: docker prints the message, the usage line and a hint."""

    def __init__(self, prog: str, usage: str, message: str, code: int = 125,
                 prefixed: bool = False, hint: str = "Run") -> None:
        super().__init__(message)
        self.prog = prog
        self.usage = usage
        self.message = message
        self.code = code
        self.prefixed = prefixed
        self.hint = hint

    def render(self) -> str:
        """The text docker prints for this error."""
        head = f"{self.prog.split()[0]}: {self.message}" if self.prefixed else self.message
        usage = f"\nUsage:  {self.usage}\n" if self.usage else ""
        hint = "See" if self.hint == "See" else "Run"
        return f"{head}\n{usage}\n{hint} '{self.prog} --help' for more information\n"
