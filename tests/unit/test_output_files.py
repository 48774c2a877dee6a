"""Output files read into log batches: json-file lines from plain chunks, open lines held,
offsets kept across a restart of the reader, consumed bytes freed."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from skiff.drivers.logging.chunks import StreamBatch
from skiff.drivers.runtime import outputfiles
from skiff.drivers.runtime.outputfiles import OutputReader


def _decoded(data: bytes) -> list[tuple[str, str]]:
    return [(entry["stream"], entry["log"]) for entry in map(json.loads, data.splitlines())]


@pytest.mark.parametrize("text", [
    "plain\n", "two\nlines\n", 'quote " and \\ backslash\n', "tab\there\r\n", "naïve ünïcode\n",
    "open line", "\n\n", "x" * 100_000 + "\n"])
def test_plain_chunks_convert_as_json_encodes_them(text: str) -> None:
    batch = StreamBatch([("stdout", text.encode()), ("stderr", b"err\n")], time.time_ns())
    pieces = batch.json_lines()
    assert pieces is not None
    converted = b"".join(pieces)
    lines = text.split("\n")
    expected = [("stdout", line + "\n") for line in lines[:-1]]
    expected += [("stdout", lines[-1])] if lines[-1] else []
    assert _decoded(converted) == [*expected, ("stderr", "err\n")]
    assert [(m.stream, m.data.decode()) for m in batch.messages()] == _decoded(converted)


@pytest.mark.parametrize("data", [b"bell \x07\n", b"\xff\xfe not utf-8\n", b"esc \x1b[0m\n"])
def test_control_characters_and_bad_utf8_take_the_line_by_line_path(data: bytes) -> None:
    assert StreamBatch([("stdout", data)], 0).json_lines() is None


def _files(tmp_path: Path) -> tuple[Path, Path]:
    out, err = outputfiles.paths(tmp_path)
    out.touch()
    err.touch()
    return out, err


def _append(path: Path, data: bytes) -> None:
    with open(path, "ab") as fh:
        fh.write(data)


def test_whole_lines_are_read_and_an_open_line_waits(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    out, err = _files(tmp_path)
    reader = OutputReader(tmp_path)
    _append(out, b"one\ntw")
    _append(err, b"oops\n")
    batch = reader.read()
    assert batch is not None and batch.chunks == [("stdout", b"one\n"), ("stderr", b"oops\n")]
    assert reader.fresh == [("stdout", b"one\ntw"), ("stderr", b"oops\n")]
    assert reader.holding_since
    assert reader.read() is None and reader.fresh == []  # nothing new, the open line waits
    _append(out, b"o\n")
    batch = reader.read()
    assert batch is not None and batch.chunks == [("stdout", b"two\n")]
    assert reader.fresh == [("stdout", b"o\n")] and not reader.holding_since
    _append(out, b"prompt> ")
    assert reader.read() is None
    monkeypatch.setattr(outputfiles, "HOLD", 0.0)
    batch = reader.read()  # waited long enough: logged as it is
    assert batch is not None and batch.chunks == [("stdout", b"prompt> ")]
    reader.close()


def test_a_last_open_line_is_given_when_the_container_ended(tmp_path: Path) -> None:
    out, _ = _files(tmp_path)
    _append(out, b"no newline")
    reader = OutputReader(tmp_path)
    assert reader.read() is None
    batch = reader.read(final=True)
    assert batch is not None and batch.chunks == [("stdout", b"no newline")]
    reader.close()


def test_a_new_reader_goes_on_from_the_committed_offsets(tmp_path: Path) -> None:
    out, _ = _files(tmp_path)
    first = OutputReader(tmp_path)
    _append(out, b"a\nb\n")
    assert first.read() is not None
    first.commit()
    _append(out, b"c\n")  # written while no reader runs
    assert first.read() is not None  # read but never committed: it comes again
    first.close()
    second = OutputReader(tmp_path)
    batch = second.read()
    assert batch is not None and batch.chunks == [("stdout", b"c\n")]
    second.close()


def test_a_backlog_is_read_in_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outputfiles, "READ_SIZE", 1024)
    out, _ = _files(tmp_path)
    _append(out, b"0123456789abcde\n" * 200)
    reader = OutputReader(tmp_path)
    got = b""
    while (batch := reader.read(final=True)) is not None:
        got += b"".join(data for _, data in batch.chunks)
        if not reader.more:
            break
    assert got == b"0123456789abcde\n" * 200
    reader.close()


def test_consumed_output_is_freed_from_disk(tmp_path: Path) -> None:
    out, _ = _files(tmp_path)
    _append(out, b"x" * 1023 + b"\n")
    _append(out, (b"y" * 1023 + b"\n") * 4096)  # 4 MiB
    reader = OutputReader(tmp_path)
    while reader.read() is not None:
        reader.commit()
    stat = os.stat(out)
    assert stat.st_size == 4097 * 1024
    assert stat.st_blocks * 512 < 64 * 1024  # the file keeps its size, not its bytes
    reader.close()
