"""Interactive sessions: raw local TTY, window-size forwarding, signal proxying, detach keys."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING

from skiff.cli import terminal
from skiff.cli.attach import DEFAULT_DETACH_KEYS
from skiff.cli.errors import StatusError
from skiff.client import ClientError

if TYPE_CHECKING:  # at run time, Client would load http.client (see skiff.client)
    from skiff.client import Client

PROXIED_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")


@contextlib.contextmanager
def signal_proxy(client: Client, container_id: str, enabled: bool) -> Iterator[None]:
    """Forward the signals we receive to the container (docker's --sig-proxy)."""
    if not enabled:
        yield
        return

    def forward(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(ClientError):
            client.containers.kill(container_id, signal.Signals(signum).name)

    previous = {}
    for name in PROXIED_SIGNALS:
        sig = getattr(signal, name)
        previous[sig] = signal.signal(sig, forward)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def resize_tty(client: Client, container_id: str) -> None:
    size = terminal.size(sys.stdout.fileno())
    if size:
        with contextlib.suppress(ClientError):
            client.containers.resize(container_id, size[0], size[1])


def resize_exec_tty(client: Client, exec_id: str) -> None:
    size = terminal.size(sys.stdout.fileno())
    if size:
        with contextlib.suppress(ClientError):
            client.execs.resize(exec_id, size[0], size[1])


@contextlib.contextmanager
def tty_session(client: Client, container_id: str, tty: bool, raw: bool,
                resize: Callable[[], None] | None = None) -> Iterator[None]:
    """Raw local terminal and window-size forwarding for a TTY container (or, with
    ``resize``, for whatever that callback resizes: an exec's TTY)."""
    if not tty:
        yield
        return
    stdin_fd = sys.stdin.fileno()
    with contextlib.ExitStack() as stack:
        if raw and terminal.is_terminal(stdin_fd):
            stack.enter_context(terminal.raw_mode(stdin_fd))
        if terminal.is_terminal(sys.stdout.fileno()):
            stack.enter_context(terminal.on_resize(
                resize or (lambda: resize_tty(client, container_id))))
        yield


def detach_keys(args: argparse.Namespace) -> bytes:
    try:
        return terminal.parse_detach_keys(args.detach_keys) if args.detach_keys \
            else DEFAULT_DETACH_KEYS
    except ValueError as exc:
        raise StatusError(125, str(exc)) from None
