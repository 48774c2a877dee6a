"""The ``filters`` query parameter: JSON of {key: [values]} or the legacy {key: {value: true}}."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from skiff.errdefs import InvalidParameter

Filters = dict[str, list[str]]


def parse(raw: str | None, allowed: Iterable[str]) -> Filters:
    """Decode and validate filters; unknown keys are refused with dockerd's wording."""
    if not raw:
        return {}
    try:
        decoded = json.loads(raw)
    except ValueError as exc:
        raise InvalidParameter(f"invalid filter: {exc}") from None
    if not isinstance(decoded, dict):
        raise InvalidParameter("invalid filter: expected a JSON object")
    result: Filters = {}
    for key, value in decoded.items():
        if isinstance(value, dict):
            values = [str(k) for k, enabled in value.items() if enabled]
        elif isinstance(value, list):
            values = [str(v) for v in value]
        elif isinstance(value, str):
            values = [value]
        else:
            raise InvalidParameter(f"invalid filter '{key}'")
        result[key] = values
    allowed_set = set(allowed)
    for key in result:
        if key not in allowed_set:
            raise InvalidParameter(f"invalid filter '{key}'")
    return result


def encode(filters: Filters) -> str:
    """Encode filters for a query string."""
    return json.dumps(filters)


def match_labels(wanted: list[str], labels: dict[str, str]) -> bool:
    """Docker's ``label`` filter: every ``key`` or ``key=value`` must match."""
    for item in wanted:
        key, sep, value = item.partition("=")
        if key not in labels:
            return False
        if sep and labels[key] != value:
            return False
    return True


def parse_bool(key: str, value: str) -> bool:
    """A boolean filter value (``dangling=true``)."""
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise InvalidParameter(f"invalid filter '{key}={value}'")


def match(patterns: list[str], value: str) -> bool:
    """dockerd's ``filters.Args.Match``: a value equal to a pattern, or a regular expression
    found in it (``name=^v1$``, ``name=v1``); a pattern that does not compile matches nothing,
    without an error, as in dockerd."""
    for pattern in patterns:
        if pattern == value:
            return True
        try:
            if re.search(pattern, value):
                return True
        except re.error:
            continue
    return False
