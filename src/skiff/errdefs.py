"""Error kinds shared by every layer; the server maps each kind to one HTTP status."""

from __future__ import annotations


class SkiffError(Exception):
    """Base of every error skiff reports to a client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidParameter(SkiffError):
    """The request is malformed or asks for something impossible (400)."""


class Unauthorized(SkiffError):
    """Credentials are missing or wrong (401)."""


class Forbidden(SkiffError):
    """The operation is refused by policy (403)."""


class NotFound(SkiffError):
    """The object does not exist (404)."""


class Conflict(SkiffError):
    """The object is in a state that forbids the operation (409)."""


class NotModified(SkiffError):
    """The operation had nothing to do, e.g. starting a running container (304)."""


class NotImplementedYet(SkiffError):
    """The API exists in Docker but skiff does not serve it (501)."""


class Unavailable(SkiffError):
    """A needed component is not available right now (503)."""


class System(SkiffError):
    """An unexpected failure of the host or of a component (500)."""


STATUS: dict[type[SkiffError], int] = {
    InvalidParameter: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    NotModified: 304,
    NotImplementedYet: 501,
    Unavailable: 503,
    System: 500,
}


def status_for(err: BaseException) -> int:
    """Return the HTTP status for an error: the first kind found in its class hierarchy."""
    return next((STATUS[c] for c in type(err).__mro__ if c in STATUS), 500)
