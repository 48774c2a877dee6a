"""Docker's human-readable durations, as the ``Status`` column and the CLI print them."""

from __future__ import annotations


def human_duration(seconds: float) -> str:
    """Docker's go-units HumanDuration."""
    seconds = int(seconds)
    if seconds < 1:
        return "Less than a second"
    if seconds == 1:
        return "1 second"
    if seconds < 60:
        return f"{int(seconds)} seconds"
    minutes = seconds / 60
    if int(minutes) == 1:
        return "About a minute"
    if minutes < 60:
        return f"{int(minutes)} minutes"
    hours = int(seconds / 3600 + 0.5)  # Go rounds halves up
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
    return f"{hours // 24 // 365} years"
