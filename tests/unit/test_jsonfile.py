"""skiff.drivers.logging.jsonfile: Docker's json-file line format, options and rotation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from skiff.api.timefmt import rfc3339fixed
from skiff.drivers.logging.base import LogMessage, ReadConfig
from skiff.drivers.logging.chunks import StreamBatch
from skiff.drivers.logging.jsonfile import (
    JsonFileDriver,
    parse_size,
    read_json_logs,
    validate_options,
)
from skiff.drivers.logging.logfiles import rotated_files
from skiff.drivers.logging.records import RecordBatch
from skiff.errdefs import InvalidParameter

S = 1_000_000_000
BASE = int(datetime(2026, 11, 30, 4, 0, 0, tzinfo=UTC).timestamp()) * S


def rec(stream: str, text: bytes, ns: int, partial: bool = False) -> bytes:
    """One conmon k8s-file record."""
    stamp = rfc3339fixed(ns)[:-1] + "+00:00"
    return f"{stamp} {stream} {'P' if partial else 'F'} ".encode() + text + b"\n"


class _Stopped:
    def is_running(self) -> bool:
        return False

    async def wait_for_data(self, timeout: float) -> None:
        await asyncio.sleep(0)


def read_back(path: Path, **kwargs: int | bool) -> list[LogMessage]:
    """Every message, one per line (timestamps on, so lines are not merged)."""
    kwargs.setdefault("timestamps", True)

    async def collect() -> list[LogMessage]:
        stream: AsyncIterator[list[LogMessage]] = read_json_logs(
            path, ReadConfig(**kwargs), _Stopped())  # type: ignore[arg-type]
        return [m async for batch in stream for m in batch]

    return asyncio.run(collect())


def write(path: Path, options: dict[str, str], *records: bytes) -> None:
    driver = JsonFileDriver(path, options)
    try:
        driver.log(RecordBatch(b"".join(records)))
    finally:
        driver.close()


LINE_HI = '{"log":"hi\\n","stream":"stdout","time":"2026-11-30T04:00:00.123456789Z"}\n'


def test_on_disk_line_format_simple_batch(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    write(log, {}, rec("stdout", b"hi", BASE + 123456789))
    assert log.read_text() == LINE_HI


def test_on_disk_line_format_general_batch(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    write(log, {}, rec("stdout", b"hi", BASE + 123456789),
          rec("stderr", b"err", BASE + 123456789))
    assert log.read_text() == LINE_HI + (
        '{"log":"err\\n","stream":"stderr","time":"2026-11-30T04:00:00.123456789Z"}\n')


def test_time_is_go_rfc3339nano(tmp_path: Path) -> None:
    # jsonlog formats "time" with time.RFC3339Nano ("2006-01-02T15:04:05.999999999Z07:00", as
    # the module docstring says): trailing zeros of the fraction are dropped
    log = tmp_path / "c-json.log"
    write(log, {}, rec("stdout", b"a", BASE + 120_000_000))
    assert json.loads(log.read_text())["time"] == "2026-11-30T04:00:00.12Z"


def test_partial_records_and_escapes(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    write(log, {}, rec("stdout", b"no newline", BASE, partial=True),
          rec("stdout", 'héllo "q" \\ \t'.encode(), BASE + 1),
          rec("stderr", b"\x1b[1mbold", BASE + 2))
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [entry["log"] for entry in lines] == ['no newlinehéllo "q" \\ \t\n',
                                                 "\x1b[1mbold\n"]
    assert [entry["stream"] for entry in lines] == ["stdout", "stderr"]
    assert all(list(entry) == ["log", "stream", "time"] for entry in lines)


def test_partial_record_that_mentions_the_marker_stays_partial(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    write(log, {}, rec("stdout", b"full", BASE),
          rec("stdout", b"see +00:00 stdout F here", BASE + 1, partial=True))
    assert [json.loads(line)["log"] for line in log.read_text().splitlines()] == [
        "full\n", "see +00:00 stdout F here"]


def test_stderr_record_that_mentions_the_stdout_marker_stays_stderr(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    write(log, {}, rec("stdout", b"out", BASE), rec("stderr", b"x +00:00 stdout F y", BASE + 1))
    assert [json.loads(line)["stream"] for line in log.read_text().splitlines()] == [
        "stdout", "stderr"]


def test_appends_to_an_existing_file(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    write(log, {}, rec("stdout", b"1", BASE))
    write(log, {}, rec("stdout", b"2", BASE + S))
    assert [m.data for m in read_back(log)] == [b"1\n", b"2\n"]


def _line_size(text: bytes) -> int:
    return len(json.dumps({"log": text.decode(), "stream": "stdout",
                           "time": "2026-11-30T04:00:00.000000001Z"}, separators=(",", ":"))) + 1


@pytest.mark.parametrize("batched", [False, True])
def test_rotation_keeps_max_file_files_below_max_size(tmp_path: Path, batched: bool) -> None:
    log = tmp_path / "c-json.log"
    size = _line_size(b"message 0\n")
    driver = JsonFileDriver(log, {"max-size": str(size * 2), "max-file": "3"})
    records = [rec("stdout", f"message {i}".encode(), BASE + i + 1) for i in range(10)]
    try:
        if batched:
            driver.log(RecordBatch(b"".join(records)))
        else:
            for record in records:
                driver.log(RecordBatch(record))
    finally:
        driver.close()
    files = rotated_files(log)
    assert files == [tmp_path / "c-json.log.2", tmp_path / "c-json.log.1", log]
    assert not (tmp_path / "c-json.log.3").exists()
    for file in files:
        assert file.stat().st_size <= size * 2
    kept = [m.data.decode() for m in read_back(log)]
    assert kept == [f"message {i}\n" for i in range(4, 10)]
    assert json.loads(log.read_text().splitlines()[-1])["log"] == "message 9\n"


def test_rotation_with_a_single_file(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    size = _line_size(b"message 0\n")
    driver = JsonFileDriver(log, {"max-size": str(size), "max-file": "1"})
    try:
        for i in range(3):
            driver.log(RecordBatch(rec("stdout", f"message {i}".encode(), BASE + i + 1)))
    finally:
        driver.close()
    assert rotated_files(log) == [log]
    assert not (tmp_path / "c-json.log.1").exists()
    assert [m.data for m in read_back(log)] == [b"message 2\n"]


def test_rotation_continues_after_reopen(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    size = _line_size(b"message 0\n")
    options = {"max-size": str(size * 2), "max-file": "2"}
    for i in range(5):
        write(log, options, rec("stdout", f"message {i}".encode(), BASE + i + 1))
    assert log.stat().st_size <= size * 2
    assert [m.data.decode() for m in read_back(log)] == [f"message {i}\n" for i in range(2, 5)]


def test_read_tail_since_until(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    size = _line_size(b"message 0\n")
    driver = JsonFileDriver(log, {"max-size": str(size * 2), "max-file": "5"})
    try:
        for i in range(8):
            driver.log(RecordBatch(rec("stdout", f"message {i}".encode(), BASE + i * S)))
    finally:
        driver.close()
    assert [m.data for m in read_back(log, tail=3)] == [b"message 5\n", b"message 6\n",
                                                        b"message 7\n"]
    assert [m.data for m in read_back(log, tail=0)] == []
    assert [m.data for m in read_back(log, since_ns=BASE + 6 * S)] == [b"message 6\n",
                                                                     b"message 7\n"]
    assert [m.data for m in read_back(log, until_ns=BASE + S)] == [b"message 0\n",
                                                                  b"message 1\n"]
    assert [m.time_ns for m in read_back(log)] == [BASE + i * S for i in range(8)]


def test_read_without_timestamps_keeps_content_and_streams(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    write(log, {}, *[rec("stdout", f"o{i}".encode(), BASE + i) for i in range(5)],
          rec("stderr", b"e0", BASE + 5), rec("stdout", b"o5", BASE + 6))
    messages = read_back(log, timestamps=False)
    out = b"".join(m.data for m in messages if m.stream == "stdout")
    err = b"".join(m.data for m in messages if m.stream == "stderr")
    assert out == b"o0\no1\no2\no3\no4\no5\n"
    assert err == b"e0\n"


@pytest.mark.parametrize(("text", "size"), [("10m", 10 * 1024**2), ("512k", 512 * 1024),
                                            ("1g", 1024**3), ("100", 100), ("10mb", 10 * 1024**2),
                                            ("1.5k", 1536), (" 2M ", 2 * 1024**2)])
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "abc", "10x", "k"])
def test_parse_size_invalid(text: str) -> None:
    with pytest.raises(InvalidParameter, match="invalid size"):
        parse_size(text)


def test_validate_options_accepts_docker_options() -> None:
    validate_options({"max-size": "10m", "max-file": "3", "labels": "a", "env": "B",
                      "tag": "{{.Name}}", "compress": "false", "mode": "blocking"})
    validate_options({"max-file": "1"})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"bogus": "1"}, "unknown log opt 'bogus' for json-file log driver"),
        ({"max-size": "abc"}, "invalid size: 'abc'"),
        ({"max-size": "0"}, "max-size must be a positive number"),
        ({"max-size": "1m", "max-file": "x"}, "max-file must be a number"),
        ({"max-size": "1m", "max-file": "0"}, "max-file cannot be less than 1"),
        ({"max-file": "3"}, "max-file cannot be set without max-size"),
    ],
)
def test_validate_options_errors(options: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        validate_options(options)
    assert info.value.message == message


def test_big_batches_are_written_in_the_background_in_order(tmp_path: Path) -> None:
    """A big batch may still be in flight when log returns (False); the next log and close
    wait for it, so lines stay in order and all are there after close."""
    path = tmp_path / "c-json.log"
    driver = JsonFileDriver(path, {})
    big = b"".join(b"%07d\n" % n for n in range(200_000))  # 1.6 MB
    assert driver.log(StreamBatch([("stdout", big)], BASE)) is False
    assert driver.log(StreamBatch([("stderr", b"small\n")], BASE + 1)) is True
    assert driver.log(StreamBatch([("stdout", big)], BASE + 2)) is False
    driver.close()
    entries = [json.loads(line) for line in path.read_bytes().splitlines()]
    assert len(entries) == 400_001
    assert entries[199_999]["log"] == "0199999\n" and entries[200_000]["log"] == "small\n"
    assert entries[200_000]["stream"] == "stderr" and entries[-1]["log"] == "0199999\n"
    sized = JsonFileDriver(tmp_path / "s-json.log", {"max-size": "10m"})
    assert sized.log(StreamBatch([("stdout", big)], BASE)) is True  # rotation: at once
    sized.close()
