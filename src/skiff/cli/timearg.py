"""``--since``/``--until`` values as docker sends them: durations and dates become unix time."""

from __future__ import annotations

import re
import time
from datetime import datetime

from skiff.cli.format.units import parse_go_duration

_FORMATS = ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z",
            "%Y-%m-%dT%H%z", "%Y-%m-%d%z")
_LOCAL_FORMATS = ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
                  "%Y-%m-%dT%H", "%Y-%m-%d")


def _seconds(value: float) -> str:
    whole = int(value // 1)
    nanos = round((value - whole) * 1e9)
    if nanos >= 1_000_000_000:
        whole, nanos = whole + 1, 0
    return f"{whole}.{nanos:09d}"


def timestamp_arg(value: str, now: float | None = None) -> str:
    """Docker's GetTimestamp: "10m" -> now-10m, RFC 3339 -> unix, unix kept as given."""
    reference = time.time() if now is None else now
    if not value:
        return value
    if value != "0":
        try:
            return _seconds(reference - parse_go_duration(value))
        except ValueError:
            pass
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return value
    text = value.replace("Z", "+0000")
    text = re.sub(r"([+-]\d\d):(\d\d)$", r"\1\2", text)
    text = re.sub(r"\.(\d{6})\d+", r".\1", text)
    has_zone = bool(re.search(r"[+-]\d{4}$", text))
    for fmt in _FORMATS if has_zone else _LOCAL_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.astimezone()
        return _seconds(parsed.timestamp())
    raise ValueError(f'failed to parse value as time or duration: "{value}"')
