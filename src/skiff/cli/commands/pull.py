"""Pulling an image for run/create, and showing JSON progress messages as docker does."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

from skiff.cli import reference
from skiff.client.streams import raise_stream_errors

if TYPE_CHECKING:  # at run time, Client would load http.client (see skiff.client)
    from skiff.client import Client


def show_progress(messages: Iterable[Any], out: TextIO) -> None:
    """Print status lines (without progress bars); raise StreamError on an error message."""
    for message in raise_stream_errors(messages):
        if not isinstance(message, dict):
            continue
        if "stream" in message:
            out.write(str(message["stream"]))
            continue
        status = message.get("status")
        if not status or message.get("progressDetail", {}).get("total"):
            continue
        prefix = f"{message['id']}: " if message.get("id") else ""
        out.write(f"{prefix}{status}\n")
    out.flush()


def pull(client: Client, image: str, out: TextIO, platform: str | None = None) -> None:
    """POST /images/create?fromImage=...; the pull's errors raise."""
    ref = reference.parse(image)
    tag = ref.digest or ref.tag or reference.DEFAULT_TAG
    show_progress(client.images.pull(ref.name, tag, platform), out)
