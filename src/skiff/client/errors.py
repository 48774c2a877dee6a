"""Errors raised by the client: daemon error replies and unreachable daemons."""

from __future__ import annotations


class ClientError(Exception):
    """Base of every error the client raises."""


class ConnectionFailed(ClientError):
    """Nothing answers at the daemon's address."""

    def __init__(self, host: str, reason: str = "") -> None:
        self.host = host
        self.reason = reason
        super().__init__(f"Cannot connect to the Docker daemon at {host}. "
                         "Is the docker daemon running?")


class APIError(ClientError):
    """The daemon answered with an error status and a ``{"message": ...}`` body."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"Error response from daemon: {message}")

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def conflict(self) -> bool:
        return self.status == 409


class StreamError(ClientError):
    """An ``{"error": ...}`` message inside a JSON progress stream (pull, load, import)."""

    def __init__(self, message: str, code: int = 0) -> None:
        self.message = message
        self.code = code  # errorDetail's code (a failed RUN's exit status), 0 when none
        super().__init__(message)
