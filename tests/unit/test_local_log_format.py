"""The local driver's files in Docker's format: framed protobuf LogEntry records, written,
rotated and read back (forwards, from the end, across compressed rotations)."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

from skiff.drivers.logging.base import LogMessage, ReadConfig
from skiff.drivers.logging.chunks import StreamBatch
from skiff.drivers.logging.localfile import FRAMES, LocalDriver, entry, parse, read_local_logs


def test_a_record_is_a_length_a_log_entry_and_the_length_again() -> None:
    # source "stdout" (field 1), time_nano 1 (field 2), line "hi" (field 3, no newline)
    body = b"\x0a\x06stdout\x10\x01\x1a\x02hi"
    assert entry("stdout", b"hi\n", 1) == b"\x00\x00\x00\x0e" + body + b"\x00\x00\x00\x0e"
    # a line without its newline is partial (field 4)
    assert entry("stderr", b"no end", 2).endswith(b"\x20\x01\x00\x00\x00\x14")


def test_records_read_back_as_they_were_written() -> None:
    for message in (LogMessage("stdout", b"line\n", 1_733_570_000_123_456_789),
                    LogMessage("stderr", b"partial", 5), LogMessage("stdout", b"\n", 0),
                    LogMessage("stdout", "ünïcode ✓\n".encode() * 100, 42)):
        framed = entry(message.stream, message.data, message.time_ns)
        assert parse(framed[4:-4]) == message


def test_unknown_fields_are_skipped() -> None:
    # partial_log_metadata (field 5, a message) and a fixed64 field 9 that skiff never writes
    body = b"\x0a\x06stdout\x2a\x04\x08\x01\x12\x00\x49" + bytes(8) + b"\x1a\x01x"
    assert parse(body) == LogMessage("stdout", b"x\n", 0)


class _Ended:
    def is_running(self) -> bool:
        return False

    async def wait_for_data(self, timeout: float) -> None:
        await asyncio.sleep(0)


def _read(path: Path, config: ReadConfig) -> list[LogMessage]:
    async def main() -> list[LogMessage]:
        return [m async for batch in read_local_logs(path, config, _Ended()) for m in batch]

    return asyncio.run(main())


def test_rotated_compressed_files_read_whole_and_from_the_end(tmp_path: Path) -> None:
    path = tmp_path / "container.log"
    driver = LocalDriver(path, {"max-size": "1k", "max-file": "3", "compress": "true"})
    for n in range(300):
        driver.log(StreamBatch([("stdout", f"line {n}\n".encode())], 1000 + n))
    driver.close()
    assert (tmp_path / "container.log.1.gz").exists()
    with gzip.open(tmp_path / "container.log.1.gz") as packed:
        rotated = list(FRAMES.decode(packed.read()))  # framed records, not json lines
    assert rotated and all(m.data.startswith(b"line ") for m in rotated)
    kept = _read(path, ReadConfig())
    numbers = [int(m.data.split()[1]) for m in kept]
    assert numbers == list(range(numbers[0], 300)) and numbers[0] > 0  # oldest rotated away
    assert all(m.stream == "stdout" and m.time_ns == 1000 + n
               for m, n in zip(kept, numbers, strict=True))
    assert [m.data for m in _read(path, ReadConfig(tail=3))] == [
        b"line 297\n", b"line 298\n", b"line 299\n"]
    tail = _read(path, ReadConfig(tail=len(kept) - 1))  # reaches into the rotations
    assert [m.data for m in tail] == [m.data for m in kept[1:]]
    since = _read(path, ReadConfig(since_ns=1295))
    assert [m.time_ns for m in since] == [1295, 1296, 1297, 1298, 1299]


def test_a_torn_last_record_waits_for_the_rest() -> None:
    framed = entry("stdout", b"a\n", 1) + entry("stdout", b"b\n", 2)
    pending = bytearray()

    class _Chunks:
        def __init__(self, parts: list[bytes]) -> None:
            self.parts = parts

        def read(self, size: int) -> bytes:
            return self.parts.pop(0) if self.parts else b""

    blocks = list(FRAMES.blocks(_Chunks([framed[:-3]]), pending))  # type: ignore[arg-type]
    assert [m.data for b in blocks for m in FRAMES.decode(b)] == [b"a\n"]
    assert bytes(pending) == framed[len(framed) // 2:-3]
