"""The ``none`` driver: output is dropped and ``docker logs`` is refused."""

from __future__ import annotations

from skiff.drivers.logging.records import RecordBatch


class NoneDriver:
    name = "none"

    def log(self, batch: RecordBatch) -> None:
        pass

    def close(self) -> None:
        pass
