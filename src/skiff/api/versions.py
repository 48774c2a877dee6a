"""API versions served and how a request's version is negotiated (as dockerd does)."""

from __future__ import annotations

from skiff.errdefs import InvalidParameter

MIN_VERSION = "1.24"
MAX_VERSION = "1.50"
DEFAULT_VERSION = MAX_VERSION



def as_tuple(version: str) -> tuple[int, int]:
    """Parse "1.43" into (1, 43)."""
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


def check(version: str) -> None:
    """Refuse versions outside [MIN_VERSION, MAX_VERSION] with dockerd's wording."""
    if as_tuple(version) > as_tuple(MAX_VERSION):
        raise InvalidParameter(
            f"client version {version} is too new. Maximum supported API version is {MAX_VERSION}"
        )
    if as_tuple(version) < as_tuple(MIN_VERSION):
        raise InvalidParameter(
            f"client version {version} is too old. Minimum supported API version is "
            f"{MIN_VERSION}, please upgrade your client to a newer version"
        )

