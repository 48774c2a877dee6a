"""conmon's k8s-file journal: record parsing (skiff.drivers.logging.records, where the journal's
line parser now lives) and skiff.drivers.runtime.journal.JournalReader on a real file."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from skiff.drivers.logging.base import LogMessage
from skiff.drivers.logging.records import DATA_OFFSET, STAMP_LEN, RecordBatch, parse_stamp
from skiff.drivers.runtime.journal import JournalReader

S = 1_000_000_000
BASE = int(datetime(2026, 11, 30, 4, 0, 0, tzinfo=UTC).timestamp()) * S


def parse(data: bytes) -> list[LogMessage]:
    return RecordBatch(data).messages({})


# records --------------------------------------------------------------------------------------

def test_layout_constants() -> None:
    line = b"2026-11-30T04:00:00.123456789+00:00 stdout F hello"
    assert len(b"2026-11-30T04:00:00.123456789+00:00") == STAMP_LEN
    assert line[DATA_OFFSET:] == b"hello"


def test_full_line() -> None:
    data = b"2026-11-30T04:00:00.123456789+00:00 stdout F hello\n"
    assert parse(data) == [LogMessage("stdout", b"hello\n", BASE + 123456789)]


def test_stderr_line() -> None:
    data = b"2026-11-30T04:00:00.000000001+00:00 stderr F oops\n"
    assert parse(data) == [LogMessage("stderr", b"oops\n", BASE + 1)]


def test_lines_cut_by_the_monitor_are_joined() -> None:
    data = (b"2026-11-30T04:00:00.100000000+00:00 stdout P hel\n"
            b"2026-11-30T04:00:00.200000000+00:00 stdout P lo \n"
            b"2026-11-30T04:00:00.300000000+00:00 stdout F world\n")
    messages = parse(data)
    assert [m.data for m in messages] == [b"hello world\n"]
    assert [m.time_ns for m in messages] == [BASE + 300_000_000]


def test_a_trailing_partial_line_has_no_newline() -> None:
    data = (b"2026-11-30T04:00:00.100000000+00:00 stdout F one\n"
            b"2026-11-30T04:00:00.200000000+00:00 stdout P prompt> \n")
    messages = parse(data)
    assert [m.data for m in messages] == [b"one\n", b"prompt> "]
    assert messages[1].time_ns == BASE + 200_000_000


def test_content_keeps_its_spaces() -> None:
    data = b"2026-11-30T04:00:00.500000000+00:00 stdout F  a  b  \n"
    assert parse(data)[0].data == b" a  b  \n"


def test_empty_line() -> None:
    assert parse(b"2026-11-30T04:00:00.500000000+00:00 stdout F \n")[0].data == b"\n"
    assert parse(b"2026-11-30T04:00:00.500000000+00:00 stdout F\n")[0].data == b"\n"


def test_time_zone_offset_and_precision() -> None:
    data = (b"2026-11-30T06:00:00.5+02:00 stdout F a\n"
            b"2026-11-29T23:00:00-05:00 stdout F b\n"
            b"2026-11-30T04:00:00.000123+00:00 stdout F c\n")
    assert [m.time_ns for m in parse(data)] == [BASE + 500_000_000, BASE, BASE + 123_000]


def test_malformed_lines_are_skipped() -> None:
    data = (b"garbage\n"
            b"not-a-time stdout F x\n"
            b"2026-11-30T04:00:00.100000000+00:00 stdout F ok\n")
    assert [m.data for m in parse(data)] == [b"ok\n"]


def test_parse_stamp_cache_is_shared_across_seconds() -> None:
    cache: dict[bytes, int] = {}
    stamps = [b"2026-11-30T04:00:00.100000000+00:00", b"2026-11-30T04:00:00.900000000+00:00",
              b"2026-11-30T04:00:01.100000000+00:00"]
    assert [parse_stamp(s, cache) for s in stamps] == [BASE + 100_000_000, BASE + 900_000_000,
                                                       BASE + S + 100_000_000]
    assert cache


def test_many_lines_in_order() -> None:
    data = b"".join(b"2026-11-30T04:00:00.%09d+00:00 stdout F line %d\n" % (i, i)
                    for i in range(1, 1001))
    messages = parse(data)
    assert len(messages) == 1000
    assert messages[-1] == LogMessage("stdout", b"line 1000\n", BASE + 1000)


def test_lines() -> None:
    batch = RecordBatch(b"a\nb\n")
    assert batch.lines() == [b"a", b"b"]


@pytest.mark.parametrize(
    ("raw", "stream"),
    [
        (b"2026-11-30T04:00:00.100000000+00:00 stdout F a\n"
         b"2026-11-30T04:00:00.200000000+00:00 stdout F b\n", "stdout"),
        (b"2026-11-30T04:00:00.100000000+00:00 stderr F a\n", "stderr"),
        ("2026-11-30T04:00:00.100000000+00:00 stdout F héllo\n".encode(), "stdout"),
        (b"2026-11-30T04:00:00.100000000+00:00 stdout F a\n"
         b"2026-11-30T04:00:00.200000000+00:00 stderr F b\n", None),
        (b"2026-11-30T04:00:00.100000000+00:00 stdout P a\n", "stdout"),
        (b'2026-11-30T04:00:00.100000000+00:00 stdout F say "hi"\n', None),
        (b"2026-11-30T04:00:00.100000000+00:00 stdout F tab\there\n", None),
        (b"2026-11-30T04:00:00.100000000+00:00 stdout F back\\slash\n", None),
        (b"2026-11-30T04:00:00.100000000+00:00 stdout F \xff\xfe\n", None),
        (b"2026-11-30T06:00:00.100000000+02:00 stdout F a\n", None),
        (b"", None),
    ],
    ids=["stdout", "stderr", "utf8", "mixed", "partial", "quote", "tab", "backslash",
         "invalid-utf8", "not-utc", "empty"],
)
def test_simple_stream(raw: bytes, stream: str | None) -> None:
    assert RecordBatch(raw).simple_stream() == stream


def test_partial_record_mentioning_the_marker_is_not_simple() -> None:
    # the data of a P record happens to contain "+00:00 stdout F ": it is still partial
    raw = (b"2026-11-30T04:00:00.100000000+00:00 stdout F full\n"
           b"2026-11-30T04:00:00.200000000+00:00 stdout P see +00:00 stdout F here\n")
    assert RecordBatch(raw).simple_stream() is None


def test_stderr_record_mentioning_the_stdout_marker_is_not_simple() -> None:
    raw = (b"2026-11-30T04:00:00.100000000+00:00 stdout F out\n"
           b"2026-11-30T04:00:00.200000000+00:00 stderr F x +00:00 stdout F y\n")
    assert RecordBatch(raw).simple_stream() is None


# JournalReader ---------------------------------------------------------------------------------

def record(i: int, stream: str = "stdout", flag: str = "F") -> bytes:
    return b"2026-11-30T04:00:00.%09d+00:00 %s %s line %d\n" % (i, stream.encode(),
                                                                 flag.encode(), i)


def test_reader_returns_complete_records_incrementally(tmp_path: Path) -> None:
    journal, offsets = tmp_path / "ctr.log", tmp_path / "ctr.offset"
    reader = JournalReader(journal, offsets)
    assert reader.read() is None  # no file yet
    journal.write_bytes(record(1) + record(2, "stderr"))
    batch = reader.read()
    assert batch is not None
    assert batch.raw == record(1) + record(2, "stderr")
    assert reader.read() is None
    with open(journal, "ab") as fh:
        fh.write(record(3)[:20])
    assert reader.read() is None  # incomplete record
    with open(journal, "ab") as fh:
        fh.write(record(3)[20:] + record(4, flag="P"))
    batch = reader.read()
    assert batch is not None
    assert [m.data for m in batch.messages()] == [b"line 3\n"]  # the cut line waits
    with open(journal, "ab") as fh:
        fh.write(record(5))
    batch = reader.read()
    assert batch is not None
    assert [m.data for m in batch.messages()] == [b"line 4line 5\n"]
    with open(journal, "ab") as fh:
        fh.write(record(6, flag="P"))
    assert reader.read() is None
    batch = reader.read(final=True)  # the container exited: nothing more will come
    assert batch is not None
    assert [m.data for m in batch.messages()] == [b"line 6"]
    reader.close()


def test_reader_resumes_from_the_saved_offset(tmp_path: Path) -> None:
    journal, offsets = tmp_path / "ctr.log", tmp_path / "ctr.offset"
    journal.write_bytes(record(1) + record(2))
    first = JournalReader(journal, offsets)
    assert first.read() is not None
    first.commit()  # the driver wrote the batch
    with open(journal, "ab") as fh:
        fh.write(record(3))
    assert first.read() is not None  # read but never written: a crash comes here
    first.close()
    ino, offset = offsets.read_text().split()
    assert (int(ino), int(offset)) == (os.stat(journal).st_ino, len(record(1) + record(2)))
    second = JournalReader(journal, offsets)
    batch = second.read()
    assert batch is not None and batch.raw == record(3)
    second.close()


def test_reader_follows_a_reopened_journal(tmp_path: Path) -> None:
    journal, offsets = tmp_path / "ctr.log", tmp_path / "ctr.offset"
    journal.write_bytes(record(1))
    reader = JournalReader(journal, offsets)
    assert reader.read() is not None
    with open(journal, "ab") as fh:
        fh.write(record(2) + record(3)[:10])  # conmon wrote more, then reopened
    os.rename(journal, tmp_path / "ctr.log.old")
    journal.write_bytes(record(4))
    batch = reader.read()
    assert batch is not None
    assert [m.data for m in batch.messages()] == [b"line 2\n", b"line 4\n"]
    assert batch.raw.startswith(record(2))
    assert batch.raw.endswith(record(4))
    with open(journal, "ab") as fh:
        fh.write(record(5))
    batch = reader.read()
    assert batch is not None and batch.raw == record(5)
    reader.close()


def test_reader_starts_over_on_a_different_file(tmp_path: Path) -> None:
    journal, offsets = tmp_path / "ctr.log", tmp_path / "ctr.offset"
    journal.write_bytes(record(1))
    reader = JournalReader(journal, offsets)
    assert reader.read() is not None
    reader.close()
    replacement = tmp_path / "ctr.log.new"
    replacement.write_bytes(record(9))  # a new inode: the saved offset does not apply
    os.replace(replacement, journal)
    reader = JournalReader(journal, offsets)
    batch = reader.read()
    assert batch is not None and batch.raw == record(9)
    reader.close()


def test_one_rotation_request_until_the_journal_was_rotated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second request before the first rotation is seen would lose a whole file."""
    import skiff.drivers.runtime.journal as journal_module

    monkeypatch.setattr(journal_module, "ROTATE_AFTER", 2 * len(record(1)))
    journal, offsets = tmp_path / "ctr.log", tmp_path / "ctr.offset"
    journal.write_bytes(record(1))
    reader = JournalReader(journal, offsets)
    assert reader.read() is not None
    assert not reader.take_rotation()
    with open(journal, "ab") as fh:
        fh.write(record(2))
    assert reader.read() is not None
    assert reader.take_rotation()
    with open(journal, "ab") as fh:
        fh.write(record(3))
    assert reader.read() is not None
    assert not reader.take_rotation()  # still the first file: conmon has not rotated yet
    replacement = tmp_path / "ctr.log.new"
    replacement.write_bytes(record(4))
    os.replace(replacement, journal)  # conmon's rotation
    batch = reader.read()
    assert batch is not None and batch.raw == record(4)
    assert not reader.take_rotation()  # the new file is still small
    with open(journal, "ab") as fh:
        fh.write(record(5))
    assert reader.read() is not None
    assert reader.take_rotation()
    reader.close()


def test_the_final_read_after_a_rotation_holds_nothing_back(tmp_path: Path) -> None:
    """At exit, a cut line at the end of the new journal must come out, not wait for more."""
    journal, offsets = tmp_path / "ctr.log", tmp_path / "ctr.offset"
    journal.write_bytes(record(1))
    reader = JournalReader(journal, offsets)
    assert reader.read() is not None
    replacement = tmp_path / "ctr.log.new"
    replacement.write_bytes(record(2) + record(3, flag="P"))
    os.replace(replacement, journal)  # conmon rotated, then the container exited
    batch = reader.read(final=True)
    assert batch is not None
    assert [m.data for m in batch.messages()] == [b"line 2\n", b"line 3"]
    reader.close()
