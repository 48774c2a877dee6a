"""Template functions: Go's builtins and docker's additions (json, join, split, lower, ...)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from skiff.cli.format.gotemplate.values import go_format, go_json, truth, type_name


class FuncError(Exception):
    """A function failed; the executor reports it as ``error calling <name>: ...``."""


@dataclass(frozen=True)
class Func:
    """A callable with Go's arity rules (``max_args`` None means variadic)."""

    fn: Callable[..., Any]
    min_args: int
    max_args: int | None


def _index(item: Any, *keys: Any) -> Any:
    for key in keys:
        if item is None:
            raise FuncError("index of untyped nil")
        if isinstance(item, Mapping):
            if key in item:
                item = item[key]
            elif item and all(isinstance(v, str) for v in item.values()):
                item = ""  # map[string]string yields its zero value
            else:
                item = None
        elif isinstance(item, list | tuple | str):
            if not isinstance(key, int) or isinstance(key, bool):
                raise FuncError(f"cannot index slice/array with type {type_name(key)}")
            if not 0 <= key < len(item):
                if isinstance(item, str):
                    raise FuncError("reflect: string index out of range")
                raise FuncError(f"index out of range: {key}")
            item = item[key] if not isinstance(item, str) else ord(item[key])
        else:
            raise FuncError(f"can't index item of type {type_name(item)}")
    return item


def _slice(item: Any, *bounds: Any) -> Any:
    if not isinstance(item, list | tuple | str):
        raise FuncError(f"can't slice item of type {type_name(item)}")
    start = bounds[0] if bounds else 0
    end = bounds[1] if len(bounds) > 1 else len(item)
    if not 0 <= start <= end <= len(item):
        raise FuncError(f"index out of range: {end}")
    return item[start:end]


def _len(item: Any) -> int:
    if item is None:
        raise FuncError("len of nil pointer")
    if isinstance(item, str | list | tuple | Mapping):
        return len(item)
    raise FuncError(f"len of type {type_name(item)}")


def _join(items: Any, sep: str) -> str:
    if items is None:
        return ""
    if not isinstance(items, list | tuple):
        raise FuncError(f"wrong type for value; expected []string; got {type_name(items)}")
    return sep.join(go_format(i) for i in items)


def _title(text: str) -> str:
    return re.sub(r"(^|[^\w'])(\w)", lambda m: m.group(1) + m.group(2).upper(), text)


def _truncate(text: str, length: int) -> str:
    return text[:length] if len(text) > length else text


def _pad(text: str, before: int, after: int) -> str:
    return " " * before + text + " " * after


def sprint(*args: Any) -> str:
    """fmt.Sprint: spaces between operands when neither is a string."""
    out = ""
    for i, arg in enumerate(args):
        if i and not isinstance(arg, str) and not isinstance(args[i - 1], str):
            out += " "
        out += go_format(arg)
    return out


def sprintln(*args: Any) -> str:
    """fmt.Sprintln: spaces between all operands, then a newline."""
    return " ".join(go_format(a) for a in args) + "\n"


_VERB = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*))?([a-zA-Z%])")


def sprintf(fmt: str, *args: Any) -> str:
    """fmt.Sprintf for the common verbs (%v %s %d %q %t %f %g %e %x %X %c %%)."""
    out: list[str] = []
    pos = 0
    arg_i = 0
    for match in _VERB.finditer(fmt):
        out.append(fmt[pos:match.start()])
        pos = match.end()
        flags, width, prec, verb = match.groups()
        if verb == "%":
            out.append("%")
            continue
        if arg_i >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        arg = args[arg_i]
        arg_i += 1
        out.append(_format_verb(arg, flags, width, prec, verb))
    out.append(fmt[pos:])
    if arg_i < len(args):
        extra = ", ".join(f"{type_name(a)}={go_format(a)}" for a in args[arg_i:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _format_verb(arg: Any, flags: str, width: str | None, prec: str | None, verb: str) -> str:
    spec = flags.replace("#", "") + (width or "") + (f".{prec}" if prec else "")
    if verb in "dxXob" and isinstance(arg, int) and not isinstance(arg, bool):
        return format(arg, spec + ("d" if verb == "d" else verb))
    if verb in "feEgG" and isinstance(arg, int | float) and not isinstance(arg, bool):
        return format(float(arg), spec + verb)
    if verb == "q" and isinstance(arg, str):
        text = go_json(arg)
    elif verb == "t" and isinstance(arg, bool):
        text = go_format(arg)
    elif verb == "c" and isinstance(arg, int):
        text = chr(arg)
    elif verb in "sv":
        text = go_format(arg)
        if prec:
            text = text[:int(prec)]
    else:
        return f"%!{verb}({type_name(arg)}={go_format(arg)})"
    align = "<" if "-" in flags else ">"
    return format(text, f"{align}{width}") if width else text


def _comparable(a: Any, b: Any) -> tuple[Any, Any]:
    numbers = (int, float)
    if (isinstance(a, bool) != isinstance(b, bool) or \
            isinstance(a, numbers) != isinstance(b, numbers) or \
            isinstance(a, str) != isinstance(b, str)) and a is not None and b is not None:
        raise FuncError("incompatible types for comparison")
    return a, b


def _eq(a: Any, *others: Any) -> bool:
    if not others:
        raise FuncError("missing argument for comparison")
    return any(x == y for x, y in (_comparable(a, o) for o in others))


def _ne(a: Any, b: Any) -> bool:
    x, y = _comparable(a, b)
    return bool(x != y)


def _ordered(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        x, y = _comparable(a, b)
        if x is None or isinstance(x, bool | Mapping | list):
            raise FuncError("invalid type for comparison")
        return op(x, y)
    return compare


def _and(*args: Any) -> Any:
    for arg in args:
        if not truth(arg):
            return arg
    return args[-1]


def _or(*args: Any) -> Any:
    for arg in args:
        if truth(arg):
            return arg
    return args[-1]


def _split(text: str, sep: str) -> list[str]:
    if sep == "":
        return list(text)
    return text.split(sep)


BUILTINS: dict[str, Func] = {
    "and": Func(_and, 1, None),
    "or": Func(_or, 1, None),
    "not": Func(lambda a: not truth(a), 1, 1),
    "len": Func(_len, 1, 1),
    "index": Func(_index, 1, None),
    "slice": Func(_slice, 1, 3),
    "print": Func(sprint, 0, None),
    "printf": Func(sprintf, 1, None),
    "println": Func(sprintln, 0, None),
    "eq": Func(_eq, 1, None),
    "ne": Func(_ne, 2, 2),
    "lt": Func(_ordered(lambda a, b: a < b), 2, 2),
    "le": Func(_ordered(lambda a, b: a <= b), 2, 2),
    "gt": Func(_ordered(lambda a, b: a > b), 2, 2),
    "ge": Func(_ordered(lambda a, b: a >= b), 2, 2),
    # docker's additions
    "json": Func(go_json, 1, 1),
    "split": Func(_split, 2, 2),
    "join": Func(_join, 2, 2),
    "title": Func(_title, 1, 1),
    "lower": Func(lambda s: str(s).lower(), 1, 1),
    "upper": Func(lambda s: str(s).upper(), 1, 1),
    "pad": Func(_pad, 3, 3),
    "truncate": Func(_truncate, 2, 2),
}
