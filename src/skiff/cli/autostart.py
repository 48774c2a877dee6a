"""Start a local skiffd when nothing answers on the default socket and we are root."""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from skiff.cli.errors import StatusError
from skiff.client import ConnectionFailed

if TYPE_CHECKING:  # at run time, Client would load http.client (see skiff.client)
    from skiff.client import Client

LOG_FILE = Path("/var/log/skiffd.log")
LOCK_FILE = Path("/run/skiff/autostart.lock")
WAIT_SECONDS = 30.0


def find_skiffd() -> str | None:
    """skiffd next to this interpreter (a venv's bin/), else on PATH."""
    beside = Path(sys.executable).parent / "skiffd"
    if beside.exists():
        return str(beside)
    return shutil.which("skiffd")


def _answers(client: Client) -> bool:
    try:
        client.api.ping()
    except ConnectionFailed:
        return False
    return True


def _lock(lock: TextIO) -> None:
    """Take the start lock, waiting at most WAIT_SECONDS for the skiff that holds it."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise StatusError(1, f"skiff: another skiff has been starting skiffd for "
                                     f"{WAIT_SECONDS:.0f}s ({LOCK_FILE} is locked)") from None
            time.sleep(0.05)


def ensure_daemon(client: Client, err: TextIO) -> None:
    """Ping; if the default daemon is down and we may start it, start it and wait."""
    if _answers(client) or not client.host.is_default or os.geteuid() != 0:
        return
    LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK_FILE, "w") as lock:
        _lock(lock)  # one skiff starts it; the others wait for it
        if _answers(client):
            return
        skiffd = find_skiffd()
        if skiffd is None:
            return  # the caller reports the connection failure
        import subprocess  # imported here: only starting skiffd needs it (~1.5 ms)

        LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
        with open(LOG_FILE, "ab") as log:
            process = subprocess.Popen([skiffd], stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=log, start_new_session=True, close_fds=True)
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if _answers(client):
                err.write(f"skiff: started skiffd (pid {process.pid})\n")
                err.flush()
                process.returncode = 0  # it lives on without us; do not reap it
                return
            if process.poll() is not None:
                raise StatusError(1, f"skiff: skiffd exited with status {process.returncode};"
                                     f" see {LOG_FILE}")
            time.sleep(0.05)
        raise StatusError(1, f"skiff: skiffd (pid {process.pid}) did not answer within "
                             f"{WAIT_SECONDS:.0f}s; see {LOG_FILE}")
