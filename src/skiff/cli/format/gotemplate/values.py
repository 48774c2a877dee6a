"""Go semantics for template values: how fmt prints them, how json encodes them, truthiness."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


class Context:
    """A Go struct-like value: fields are looked up by name, unknown fields are errors.

    Subclasses expose fields as methods named like Go's (``ID``, ``Names``); a method that
    takes arguments is callable from a template with them (``{{.Label "com.example"}}``).
    """

    type_name = "*formatter.Context"
    json_escapes_html = True  # docker's contexts marshal through MarshalJSON, which escapes

    def template_field(self, name: str) -> Any:
        """The value (or bound method) of field ``name``; KeyError when there is none."""
        if not name[:1].isupper():
            raise KeyError(name)
        attr = getattr(self, name, None)
        if attr is None:
            raise KeyError(name)
        return attr

    def template_json(self) -> Any:
        """What ``{{json .}}`` encodes."""
        return {}

    def __str__(self) -> str:
        return go_format(self.template_json())


class Struct(dict[str, Any]):
    """A decoded JSON object that behaves like a Go struct (field order kept in json).

    With a ``type_name``, unknown fields are errors naming that type (a typed Go value);
    without, they behave like a missing map key (docker inspect's raw fallback).
    """

    def __init__(self, *args: Any, type_name: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.type_name = type_name


class NilList(list[Any]):
    """A nil Go slice: prints ``[]``, encodes as ``null``."""


class NilMap(dict[str, Any]):
    """A nil Go map: prints ``map[]``, encodes as ``null``."""


def type_name(value: Any) -> str:
    """Go's name for the type of a decoded JSON value."""
    if isinstance(value, Context):
        return value.type_name
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "[]interface {}"
    if isinstance(value, Struct) and value.type_name:
        return value.type_name
    if isinstance(value, Mapping):
        return "map[string]interface {}"
    if value is None:
        return "<nil>"
    return type(value).__name__


def _float_parts(value: float) -> tuple[str, int]:
    """Shortest round-trip digits and decimal exponent of a positive finite float."""
    _sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(str(d) for d in digits)
    assert isinstance(exponent, int)
    return text, len(text) - 1 + exponent


def _float_exp(value: float) -> str:
    digits, exp = _float_parts(value)
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _float_plain(value: float) -> str:
    digits, exp = _float_parts(value)
    if exp < 0:
        return "0." + "0" * (-exp - 1) + digits
    if exp + 1 >= len(digits):
        return digits + "0" * (exp + 1 - len(digits))
    return digits[:exp + 1] + "." + digits[exp + 1:]


def format_float(value: float) -> str:
    """fmt's %v for float64: shortest digits, exponent form from 1e+06 up or below 1e-04."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    _, exp = _float_parts(magnitude)
    if exp < -4 or exp >= 21 or exp >= 6:
        return sign + _float_exp(magnitude)
    return sign + _float_plain(magnitude)


def _json_float(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    sign = "-" if value < 0 else ""
    _, exp = _float_parts(magnitude)
    if exp < -6 or exp >= 21:
        text = _float_exp(magnitude)
        mantissa, _, e = text.partition("e")
        return sign + mantissa + "e" + e[0] + e[1:].lstrip("0")
    return sign + _float_plain(magnitude)


def go_format(value: Any) -> str:
    """fmt's %v: ``[a b]`` for lists, ``map[k:v]`` for maps (keys sorted), ``<nil>`` for nil."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Context):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_format(v) for v in value) + "]"
    if isinstance(value, Struct):
        return "{" + " ".join(go_format(v) for v in value.values()) + "}"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{go_format(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, NilList | NilMap):
        return None
    if isinstance(value, Context):
        encoded = _jsonable(value.template_json())
        return _Escaped(encoded) if value.json_escapes_html else encoded
    if isinstance(value, Struct):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class _Escaped:
    """A value marshalled by a MarshalJSON method: Go escapes HTML characters there."""

    def __init__(self, value: Any) -> None:
        self.value = value


def _encode(value: Any) -> str:
    if isinstance(value, _Escaped):
        text = _encode(value.value)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _json_float(value) if math.isfinite(value) else "null"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_encode(v)}"
                              for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def go_json(value: Any) -> str:
    """encoding/json as docker's ``json`` template function uses it (maps sorted, no HTML
    escaping, compact)."""
    text = _encode(_jsonable(value))
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def truth(value: Any) -> bool:
    """Go template truthiness: zero values and empty containers are false."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str | list | tuple | Mapping):
        return len(value) > 0
    return True
