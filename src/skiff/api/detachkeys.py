"""Detach key sequences (``--detach-keys``): Docker's ``ctrl-p,ctrl-q`` notation to bytes."""

from __future__ import annotations

from skiff.errdefs import InvalidParameter

DEFAULT = "ctrl-p,ctrl-q"
_PUNCTUATION = {"@": 0, "[": 27, "\\": 28, "]": 29, "^": 30, "_": 31}


def parse(keys: str | None) -> bytes:
    """The byte sequence; None means Docker's default, an empty string disables detaching."""
    if keys is None:
        keys = DEFAULT
    result = bytearray()
    for key in filter(None, (k.strip() for k in keys.split(","))):
        if key.startswith("ctrl-") and len(key) == 6:
            char = key[5]
            if char.isalpha():
                result.append(ord(char.lower()) - ord("a") + 1)
                continue
            if char in _PUNCTUATION:
                result.append(_PUNCTUATION[char])
                continue
        elif len(key) == 1:
            result.append(ord(key))
            continue
        raise InvalidParameter(f"Invalid detach keys ({keys}) provided")
    return bytes(result)
