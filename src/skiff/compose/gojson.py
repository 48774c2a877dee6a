"""Go's ``encoding/json`` output, byte for byte, for the values compose's config hash is made
of: structs keep their field order and drop ``omitempty`` fields left at their zero value,
maps sort their keys, strings escape ``<``, ``>`` and ``&``, float32 numbers print as Go
prints them, and ``time.Duration`` reads as ``1m30s``."""

from __future__ import annotations

import json
import struct
from decimal import Decimal
from typing import Any


class Struct(dict[str, Any]):
    """A Go struct: its fields in declaration order, never empty for ``omitempty``."""


class Value(Struct):
    """A struct held by value, not through a pointer: go-yaml's ``omitempty`` leaves it out
    when all its fields are zero (encoding/json never does)."""


class Ulimit(Struct):
    """compose-go's soft and hard ulimit pair: JSON leaves a zero limit out, YAML keeps it."""


class Extensions(dict[str, Any]):
    """A struct's ``x-`` keys, held inline: go-yaml writes them after its fields, sorted;
    encoding/json leaves them out (compose-go tags them ``json:"-"``)."""


INLINE = "#extensions"  # the name of a struct's Extensions field (never written)


class Number(str):
    """A number already written the Go way (a float32)."""


class Ptr:
    """A Go pointer to a scalar: kept by ``omitempty`` even when what it points at is zero."""

    def __init__(self, value: Any) -> None:
        self.value = value


def empty(value: Any) -> bool:
    """What ``omitempty`` leaves out: nil, false, 0, "", and empty slices and maps."""
    if isinstance(value, Struct | Ptr):
        return False
    if isinstance(value, Number):
        return float(value) == 0
    return value is None or value is False or (not isinstance(value, bool) and value == 0) \
        or value == "" or value == [] or value == {}


def fields(*pairs: tuple[str, Any, bool]) -> Struct:
    """A struct of ``(json name, value, omitempty)`` fields, in order."""
    out = Struct()
    for key, value, omit in pairs:
        if not (omit and empty(value)):
            out[key] = value
    return out


def omit(*pairs: tuple[str, Any]) -> Struct:
    """A struct whose fields are all ``omitempty``."""
    return fields(*((k, v, True) for k, v in pairs))


def float32(value: float) -> Number:
    """A float32 as ``strconv.FormatFloat(f, 'f' or 'e', -1, 32)`` writes it for JSON."""
    bits = struct.pack("<f", value)
    exact = struct.unpack("<f", bits)[0]
    if exact == 0:
        return Number("0")
    digits = repr(exact)
    for precision in range(1, 10):
        digits = f"{exact:.{precision}g}"
        if struct.pack("<f", float(digits)) == bits:
            break
    if 1e-6 <= abs(exact) < 1e21:
        text = format(Decimal(digits), "f")
        return Number(text)
    mantissa, _, exponent = f"{Decimal(digits):e}".partition("e")
    sign, magnitude = exponent[0], exponent[1:].lstrip("0")
    return Number(f"{mantissa}e{sign}{magnitude.zfill(2)}")


# what Go escapes in strings beyond JSON's own: HTML's <, > and &, and JavaScript's line ends
ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
           ("\u2029", "\\u2029"))


def _string(text: str) -> str:
    out = json.dumps(text, ensure_ascii=False)
    for char, escape in ESCAPES:
        out = out.replace(char, escape)
    return out


def dumps(value: Any) -> str:
    """``json.Marshal`` of a value built from Struct, Ptr, Number, dict (a Go map), list,
    str, int, bool and None."""
    if isinstance(value, Ptr):
        return dumps(value.value)
    if isinstance(value, Number):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return dumps(float32(value))
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Struct):
        return "{" + ",".join(f"{_string(k)}:{dumps(v)}" for k, v in value.items()
                              if not (isinstance(value, Ulimit) and v == 0)
                              and not isinstance(v, Extensions)) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(k)}:{dumps(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    raise TypeError(f"no Go JSON for {type(value).__name__}")
