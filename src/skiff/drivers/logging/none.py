"""The ``none`` driver: output is dropped and ``docker logs`` is refused."""

from __future__ import annotations

from skiff.drivers.logging.base import LogBatch


class NoneDriver:
    name = "none"

    def log(self, batch: LogBatch) -> bool:
        return True

    def close(self) -> None:
        pass
