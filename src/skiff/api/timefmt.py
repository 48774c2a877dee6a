"""Docker's time formats: RFC 3339 with nanoseconds, and since/until arguments."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from skiff.errdefs import InvalidParameter

ZERO_TIME = "0001-01-01T00:00:00Z"


def now_ns() -> int:
    return time.time_ns()


def rfc3339nano(ns: int) -> str:
    """Format nanoseconds since the epoch as Go's RFC3339Nano in UTC (trailing zeros dropped)."""
    if ns <= 0:
        return ZERO_TIME
    secs, frac = divmod(ns, 1_000_000_000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    if frac:
        return f"{base}.{frac:09d}".rstrip("0") + "Z"
    return base + "Z"


def rfc3339fixed(ns: int) -> str:
    """Nanosecond precision with all nine digits (Docker's json-file log ``time``)."""
    secs, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z"


_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?$"
)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9,
          "h": 3600 * 10**9}


def parse_duration_ns(text: str) -> int:
    """Parse a Go duration such as ``1h30m`` or ``10s``."""
    pos = 0
    total = 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise InvalidParameter(f"time: invalid duration \"{text}\"")
    return int(total)


def parse_timestamp_ns(value: str, now: int | None = None) -> int:
    """Parse since/until: unix seconds (with fraction), RFC 3339, or a duration ago."""
    value = value.strip()
    if not value:
        raise InvalidParameter("empty timestamp")
    if re.fullmatch(r"\d+(\.\d{1,9})?", value):
        secs, _, frac = value.partition(".")
        return int(secs) * 10**9 + int((frac or "0").ljust(9, "0"))
    match = _RFC3339.match(value)
    if match:
        date, clock, frac, zone = match.groups()
        clock = clock or "00:00:00"
        if clock.count(":") == 1:
            clock += ":00"
        stamp = datetime.fromisoformat(f"{date}T{clock}{_zone(zone)}")
        return int(stamp.timestamp()) * 10**9 + int((frac or "0").ljust(9, "0"))
    try:
        ago = parse_duration_ns(value)
    except InvalidParameter:
        raise InvalidParameter(f"failed to parse value as time or duration: \"{value}\"") from None
    return (now if now is not None else now_ns()) - ago


def _zone(zone: str | None) -> str:
    if zone in (None, "Z"):
        return "+00:00"
    return zone


def from_iso(text: str) -> int:
    """Parse an RFC 3339 string we wrote back into nanoseconds."""
    return parse_timestamp_ns(text)


def iso_now() -> str:
    return rfc3339nano(now_ns())


__all__ = ["UTC", "ZERO_TIME", "from_iso", "iso_now", "now_ns", "parse_duration_ns",
           "parse_timestamp_ns", "rfc3339fixed", "rfc3339nano"]


def go_duration(ns: int) -> str:
    """``time.Duration.String()``: ``0s``, ``1.5ms``, ``1m30s``, ``1h0m0s``."""
    if ns == 0:
        return "0s"
    sign, ns = ("-" if ns < 0 else ""), abs(ns)
    if ns < 1_000_000_000:
        if ns < 1000:
            return f"{sign}{ns}ns"
        unit, scale = ("µs", 1000) if ns < 1_000_000 else ("ms", 1_000_000)
        return f"{sign}{_fraction(ns, scale)}{unit}"
    seconds, rest = divmod(ns, 1_000_000_000)
    text = _fraction(seconds % 60 * 1_000_000_000 + rest, 1_000_000_000) + "s"
    if seconds >= 60:
        text = f"{seconds // 60 % 60}m{text}"
    if seconds >= 3600:
        text = f"{seconds // 3600}h{text}"
    return sign + text


def _fraction(value: int, scale: int) -> str:
    whole, part = divmod(value, scale)
    decimals = str(part).rjust(len(str(scale)) - 1, "0").rstrip("0")
    return f"{whole}.{decimals}" if decimals else str(whole)
