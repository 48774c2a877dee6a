"""Docker's human units: sizes (decimal "1.98MB", binary "1.5GiB"), durations, truncation."""

from __future__ import annotations

import re
import time
from datetime import datetime

from skiff.api.humanize import human_duration
from skiff.cli.format.gotemplate.values import format_float

DECIMAL = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
BINARY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
SHORT_ID = 12


def _go_g(value: float, precision: int) -> str:
    """Go's %.<precision>g."""
    text = f"{value:.{precision}g}"
    if "e" in text:
        mantissa, _, exp = text.partition("e")
        sign = exp[0]
        text = f"{mantissa}e{sign}{int(exp[1:]):02d}"
    return text


def _scaled(size: float, base: float, units: tuple[str, ...]) -> tuple[float, str]:
    i = 0
    while size >= base and i < len(units) - 1:
        size /= base
        i += 1
    return size, units[i]


def human_size(size: float, precision: int = 4) -> str:
    """go-units HumanSizeWithPrecision: decimal units ("1.983MB" at 4, "1.98MB" at 3)."""
    value, unit = _scaled(float(size), 1000.0, DECIMAL)
    return _go_g(value, precision) + unit


def bytes_size(size: float) -> str:
    """go-units BytesSize: binary units with 4 significant digits ("23.54GiB")."""
    value, unit = _scaled(float(size), 1024.0, BINARY)
    return _go_g(value, 4) + unit


_RAM = re.compile(r"^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")


def from_human_size(text: str) -> int:
    """go-units FromHumanSize: decimal multipliers ("64m" = 64000000)."""
    match = _RAM.match(text.strip())
    if not match:
        raise ValueError(f"invalid size: '{text}'")
    unit = (match.group(2) or "").lower()
    factor = 1000 ** " kmgtp".index(unit) if unit else 1
    return int(float(match.group(1)) * factor)


def ago(timestamp: float, now: float | None = None) -> str:
    """``<duration> ago`` since a unix timestamp."""
    current = time.time() if now is None else now
    return human_duration(current - timestamp) + " ago"


def go_time(timestamp: float) -> str:
    """Go's time.Time.String() in local time: "2024-01-02 15:04:05 +0000 UTC"."""
    local = datetime.fromtimestamp(timestamp).astimezone()
    zone = local.tzname() or ""
    return local.strftime("%Y-%m-%d %H:%M:%S %z ") + zone


def parse_rfc3339(text: str) -> float:
    """Unix time of an RFC 3339 timestamp (nanoseconds tolerated)."""
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$", text)
    if not match:
        raise ValueError(f"invalid timestamp {text!r}")
    zone = match.group(3) or "Z"
    base = datetime.fromisoformat(match.group(1) + ("+00:00" if zone == "Z" else zone))
    fraction = float("0" + match.group(2)) if match.group(2) else 0.0
    return base.timestamp() + fraction


def rfc3339_local_nano(ns: int) -> str:
    """Events' time column: 2006-01-02T15:04:05.000000000Z07:00 in local time."""
    secs, frac = divmod(ns, 1_000_000_000)
    local = datetime.fromtimestamp(secs).astimezone()
    offset = local.strftime("%z")
    zone = "Z" if offset in ("+0000", "-0000") else f"{offset[:3]}:{offset[3:]}"
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}" + zone


def truncate_id(value: str) -> str:
    """12 hex characters, without the ``sha256:`` prefix."""
    if ":" in value:
        value = value.split(":", 1)[1]
    return value[:SHORT_ID]


def ellipsis(text: str, width: int) -> str:
    """Cut to ``width`` characters, the last one being "…" when cut."""
    if len(text) <= width:
        return text
    if width <= 1:
        return text[:width]
    return text[:width - 1] + "…"


def percent(value: float) -> str:
    """fmt's %v of a float percentage."""
    return format_float(value)


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
               "\v": "\\v", "\\": "\\\\", '"': '\\"'}


def go_quote(text: str) -> str:
    """strconv.Quote: double-quoted, Go escapes, printable Unicode kept."""
    out = ['"']
    for ch in text:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        elif not ch.isprintable() and ch != " ":
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_GO_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0,
                   "m": 60.0, "h": 3600.0}


def parse_go_duration(text: str) -> float:
    """Go's time.ParseDuration, in seconds: "1h30m", "500ms", "-2s", "0"."""
    value = text.strip()
    sign = -1.0 if value.startswith("-") else 1.0
    value = value.lstrip("+-")
    if value == "0":
        return 0.0
    pos = 0
    total = 0.0
    for match in _GO_DURATION.finditer(value):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if pos != len(value) or not value:
        raise ValueError(f'time: invalid duration "{text}"')
    return sign * total
