"""skiff.api.stdcopy: Docker's 8-byte multiplexed stream header and the incremental Demuxer."""

from __future__ import annotations

import pytest

from skiff.api import stdcopy
from skiff.api.stdcopy import Demuxer, frame


def test_header_layout() -> None:
    assert stdcopy.HEADER_SIZE == 8
    assert frame(stdcopy.STDOUT, b"hi") == b"\x01\x00\x00\x00\x00\x00\x00\x02hi"
    assert frame(stdcopy.STDERR, b"") == b"\x02\x00\x00\x00\x00\x00\x00\x00"
    assert frame(stdcopy.STDIN, b"x")[0] == 0
    assert frame(stdcopy.SYSTEMERR, b"x")[0] == 3


def test_size_is_big_endian_32_bit() -> None:
    payload = b"a" * 0x010203
    encoded = frame(stdcopy.STDOUT, payload)
    assert encoded[4:8] == b"\x00\x01\x02\x03"
    assert encoded[8:] == payload


def test_demux_round_trip_in_one_feed() -> None:
    data = frame(1, b"out\n") + frame(2, b"err\n") + frame(1, b"") + frame(3, b"boom")
    assert list(Demuxer().feed(data)) == [(1, b"out\n"), (2, b"err\n"), (1, b""), (3, b"boom")]


def test_demux_byte_by_byte() -> None:
    data = frame(1, b"hello") + frame(2, b"world" * 100)
    demux = Demuxer()
    got = []
    for i in range(len(data)):
        got.extend(demux.feed(data[i : i + 1]))
    assert got == [(1, b"hello"), (2, b"world" * 100)]


@pytest.mark.parametrize("cut", [1, 7, 8, 9, 12])
def test_demux_split_anywhere(cut: int) -> None:
    data = frame(1, b"abcd") + frame(2, b"efgh")
    demux = Demuxer()
    first = list(demux.feed(data[:cut]))
    second = list(demux.feed(data[cut:]))
    assert first + second == [(1, b"abcd"), (2, b"efgh")]


def test_demux_keeps_incomplete_frame_until_completed() -> None:
    demux = Demuxer()
    encoded = frame(1, b"partial payload")
    assert list(demux.feed(encoded[:-3])) == []
    assert list(demux.feed(b"")) == []
    assert list(demux.feed(encoded[-3:])) == [(1, b"partial payload")]


def test_payload_bytes_are_copied() -> None:
    demux = Demuxer()
    frames = list(demux.feed(frame(1, b"abc")))
    list(demux.feed(frame(1, b"zzz")))
    assert frames == [(1, b"abc")]
    assert isinstance(frames[0][1], bytes)
