"""Several containers' logs as one stream, each line behind its container's name (``web-1  |
...``), coloured on a terminal as compose colours them; followed until the containers stop or
the caller stops it."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TextIO

from skiff.client import Client, ClientError
from skiff.client.streams import demux

# compose's palette: the ANSI colours it gives services in turn
COLOURS = ("36", "33", "32", "35", "34", "96", "93", "92", "95", "94")


@dataclass(frozen=True)
class LogOptions:
    follow: bool = False
    tail: str | None = None
    timestamps: bool = False
    since: str | None = None
    until: str | None = None
    prefix: bool = True
    colour: bool = False


class Printer:
    """Writes lines behind a padded prefix per container, from any thread."""

    def __init__(self, out: TextIO, names: Iterable[str], options: LogOptions) -> None:
        self.out, self.options = out, options
        self.names = list(names)
        self.width = max((len(n) for n in self.names), default=0)
        self._lock = threading.Lock()

    def prefix(self, name: str) -> str:
        if not self.options.prefix:
            return ""
        text = f"{name.ljust(self.width)}  | "
        if self.options.colour:
            colour = COLOURS[self.names.index(name) % len(COLOURS)] if name in self.names \
                else "0"
            return f"\x1b[{colour}m{text}\x1b[0m"
        return text

    def note(self, name: str, text: str) -> None:
        """A line about a container rather than from it (``web-1 exited with code 0``)."""
        with self._lock:
            self.out.write(f"{name} {text}\n")
            self.out.flush()

    def line(self, name: str, text: str) -> None:
        with self._lock:
            self.out.write(self.prefix(name) + text + "\n")
            self.out.flush()


def _tty(client: Client, container_id: str) -> bool:
    try:
        return bool(client.containers.inspect(container_id)["Config"].get("Tty"))
    except ClientError:
        return False


def stream(client: Client, container_id: str, name: str, printer: Printer,
           options: LogOptions) -> None:
    """One container's log lines to the printer (until it ends, when following)."""
    chunks = client.containers.logs(container_id, follow=options.follow,
                                    timestamps=options.timestamps, tail=options.tail,
                                    since=options.since, until=options.until)
    pending = ""
    parts = ((1, c) for c in chunks) if _tty(client, container_id) else demux(chunks)
    for _, data in parts:
        pending += data.decode(errors="replace")
        *lines, pending = pending.split("\n")
        for text in lines:
            printer.line(name, text.rstrip("\r"))
    if pending:
        printer.line(name, pending)


def follow_all(client: Client, containers: list[tuple[str, str]], printer: Printer,
               options: LogOptions, on_end: Callable[[str], None] | None = None) -> None:
    """Every container's logs at once; returns when all have ended (``on_end`` is told of
    each as it does)."""
    done: queue.Queue[str] = queue.Queue()

    def one(container_id: str, name: str) -> None:
        try:
            stream(client, container_id, name, printer, options)
        except ClientError:
            pass
        finally:
            done.put(container_id)

    threads = [threading.Thread(target=one, args=c, daemon=True) for c in containers]
    for thread in threads:
        thread.start()
    for _ in threads:
        ended = done.get()
        if on_end is not None:
            on_end(ended)
