"""Docker's human-readable durations, as the ``Status`` column and the CLI print them."""

from __future__ import annotations

import re


def human_duration(seconds: float) -> str:
    """Docker's go-units HumanDuration: "Less than a second", "About a minute", "3 days"."""
    secs = int(seconds)
    if secs < 1:
        return "Less than a second"
    if secs == 1:
        return "1 second"
    if secs < 60:
        return f"{secs} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


_RAM = re.compile(r"^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")


def ram_in_bytes(text: str) -> int:
    """go-units RAMInBytes: "512m", "1.5g", "100" (binary multipliers)."""
    match = _RAM.match(text.strip())
    if not match:
        raise ValueError(f"invalid size: '{text}'")
    number = float(match.group(1))
    unit = (match.group(2) or "").lower()
    factor = 1024 ** " kmgtp".index(unit) if unit else 1
    return int(number * factor)
