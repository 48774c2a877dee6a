"""Re-indent raw JSON as Go's json.Indent does (docker inspect): key order, number
spelling and string escapes kept as the daemon sent them, 4-space indent."""

from __future__ import annotations


def indent(raw: str, prefix: str = "", unit: str = "    ") -> str:
    """Pretty-print one JSON text without re-encoding its values."""
    out: list[str] = []
    depth = 0
    i = 0
    n = len(raw)
    while i < n:
        ch = raw[i]
        if ch == '"':
            j = i + 1
            while j < n and raw[j] != '"':
                j += 2 if raw[j] == "\\" else 1
            out.append(raw[i:j + 1])
            i = j + 1
            continue
        if ch in " \t\r\n":
            i += 1
            continue
        if ch in "[{":
            k = i + 1
            while k < n and raw[k] in " \t\r\n":
                k += 1
            close = "]" if ch == "[" else "}"
            if k < n and raw[k] == close:
                out.append(ch + close)
                i = k + 1
                continue
            depth += 1
            out.append(ch + "\n" + prefix + unit * depth)
        elif ch in "]}":
            depth -= 1
            out.append("\n" + prefix + unit * depth + ch)
        elif ch == ",":
            out.append(",\n" + prefix + unit * depth)
        elif ch == ":":
            out.append(": ")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def indent_list(elements: list[str]) -> str:
    """``[elem, elem]`` indented, or ``[]`` when empty."""
    if not elements:
        return "[]"
    return indent("[" + ",".join(e.strip() for e in elements) + "]")
