"""Restart policies (no, always, unless-stopped, on-failure[:N]) and Docker's backoff."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FIRST_DELAY = 0.1
MAX_DELAY = 60.0
RESET_AFTER = 10.0  # a container that ran this long starts again from the first delay


def policy_of(host_config: dict[str, Any]) -> tuple[str, int]:
    policy = host_config.get("RestartPolicy") or {}
    return (policy.get("Name") or "no"), int(policy.get("MaximumRetryCount") or 0)


def after_exit(host_config: dict[str, Any], exit_code: int, restart_count: int,
               manually_stopped: bool) -> bool:
    """Whether a container that just exited is restarted."""
    name, maximum = policy_of(host_config)
    if manually_stopped:
        return False
    if name in ("always", "unless-stopped"):
        return True
    if name == "on-failure":
        return exit_code != 0 and (maximum == 0 or restart_count < maximum)
    return False


def at_daemon_start(host_config: dict[str, Any], manually_stopped: bool) -> bool:
    """Whether a stopped container is started when skiffd starts (as after a reboot)."""
    name, _ = policy_of(host_config)
    return name == "always" or (name == "unless-stopped" and not manually_stopped)


@dataclass
class Backoff:
    """Doubling delays from 100 ms, back to the start after a run of ten seconds."""

    delay: float = 0.0

    def next(self, ran_for: float) -> float:
        if ran_for >= RESET_AFTER or self.delay == 0.0:
            self.delay = FIRST_DELAY
        else:
            self.delay = min(self.delay * 2, MAX_DELAY)
        return self.delay
