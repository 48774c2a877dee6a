"""The ``none`` driver: output is dropped and ``docker logs`` is refused."""

from __future__ import annotations

from skiff.drivers.logging.base import LogMessage


class NoneDriver:
    name = "none"

    def log(self, messages: list[LogMessage]) -> None:
        pass

    def close(self) -> None:
        pass
