"""Compose clients run as a user runs them, against a test daemon; and an HTTP fetch that
waits for a published port to answer."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

SKIFF = [sys.executable, "-m", "skiff.cli.main", "compose"]


class Compose:
    """One compose client (``argv``) in a project directory, pointed at one daemon; ``env``
    is added to every run, the caller's COMPOSE_* variables are not passed on."""

    def __init__(self, argv: list[str], host: str, directory: Path, project: str,
                 env: dict[str, str] | None = None) -> None:
        self.argv, self.host, self.directory, self.project = argv, host, directory, project
        self.env = env or {}

    def __call__(self, *args: str, check: bool = True, timeout: float = 120,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
        environ.update(DOCKER_HOST=self.host, **self.env, **(env or {}))
        result = subprocess.run([*self.argv, "-p", self.project, *args], cwd=self.directory,
                                capture_output=True, text=True, timeout=timeout, env=environ)
        if check and result.returncode != 0:
            raise AssertionError(f"{self.argv[-1]} {' '.join(args)} exited "
                                 f"{result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result


def get_when_up(url: str, limit: float = 15.0) -> str:
    """The body at ``url``, asked again until it answers or ``limit`` seconds pass."""
    end = time.monotonic() + limit
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)
