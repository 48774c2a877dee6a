"""Decoders for streamed bodies: 8-byte multiplexed frames and concatenated JSON messages."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from skiff.api.stdcopy import STDERR, STDOUT, Demuxer
from skiff.client.errors import StreamError

__all__ = ["STDERR", "STDOUT", "demux", "json_messages", "raise_stream_errors"]


def demux(chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """Split a multiplexed body into (stream, payload) pairs (1 = stdout, 2 = stderr)."""
    demuxer = Demuxer()
    for chunk in chunks:
        yield from demuxer.feed(chunk)


def json_messages(chunks: Iterable[bytes]) -> Iterator[Any]:
    """Decode a stream of JSON values, newline-separated or simply concatenated."""
    decoder = json.JSONDecoder()
    buf = ""
    pending = b""
    for chunk in chunks:
        pending += chunk
        try:
            buf += pending.decode()
            pending = b""
        except UnicodeDecodeError:
            continue  # a multi-byte character split across chunks
        while True:
            stripped = buf.lstrip()
            if not stripped:
                buf = ""
                break
            try:
                value, end = decoder.raw_decode(stripped)
            except ValueError:
                buf = stripped
                break
            yield value
            buf = stripped[end:]
    if buf.strip():
        yield json.loads(buf)


def raise_stream_errors(messages: Iterable[Any]) -> Iterator[Any]:
    """Pass messages through, raising StreamError at the first ``{"error": ...}``."""
    for message in messages:
        if isinstance(message, dict) and message.get("error"):
            detail = message.get("errorDetail") or {}
            code = detail.get("code")
            raise StreamError(str(detail.get("message") or message["error"]),
                              code if isinstance(code, int) else 0)
        yield message
