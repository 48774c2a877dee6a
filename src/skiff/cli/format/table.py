"""Go's text/tabwriter as docker configures it: cells end at tabs, padding 3, minimum width."""

from __future__ import annotations


def _cells(text: str) -> list[list[str]]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.split("\t") for line in lines]


def tabwrite(text: str, minwidth: int = 10, padding: int = 3) -> str:
    """Align tab-terminated cells into columns, block by block, as tabwriter.Writer does.

    A column block is a run of consecutive lines that have a cell in that column; the text
    after the last tab of a line is not part of any column.
    """
    lines = _cells(text)
    out: list[str] = []
    _format(lines, 0, len(lines), [], out, minwidth, padding)
    return "".join(line + "\n" for line in out)


def _format(lines: list[list[str]], start: int, end: int, widths: list[int], out: list[str],
            minwidth: int, padding: int) -> None:
    column = len(widths)
    line0 = start
    this = start
    while this < end:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        _write(lines, line0, this, widths, out)
        line0 = this
        width = minwidth
        while this < end and column < len(lines[this]) - 1:
            width = max(width, len(lines[this][column]) + padding)
            this += 1
        _format(lines, line0, this, [*widths, width], out, minwidth, padding)
        line0 = this
    _write(lines, line0, end, widths, out)


def _write(lines: list[list[str]], start: int, end: int, widths: list[int],
           out: list[str]) -> None:
    for cells in lines[start:end]:
        parts = []
        for j, cell in enumerate(cells):
            if j < len(widths) and j < len(cells) - 1:
                parts.append(cell.ljust(widths[j]))
            else:
                parts.append(cell)
        out.append("".join(parts))
