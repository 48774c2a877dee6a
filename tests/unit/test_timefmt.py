"""skiff.api.timefmt: RFC 3339 with nanoseconds and the since/until argument forms."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from skiff.api import timefmt
from skiff.errdefs import InvalidParameter

S = 1_000_000_000
# 2026-11-30T04:00:00Z
BASE = int(datetime(2026, 11, 30, 4, 0, 0, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (BASE * S, "2026-11-30T04:00:00Z"),
        (BASE * S + 123456789, "2026-11-30T04:00:00.123456789Z"),
        (BASE * S + 500_000_000, "2026-11-30T04:00:00.5Z"),
        (BASE * S + 120_000_000, "2026-11-30T04:00:00.12Z"),
        (BASE * S + 1, "2026-11-30T04:00:00.000000001Z"),
        (1 * S, "1970-01-01T00:00:01Z"),
    ],
)
def test_rfc3339nano_trims_trailing_zeros(ns: int, text: str) -> None:
    assert timefmt.rfc3339nano(ns) == text


@pytest.mark.parametrize("ns", [0, -5])
def test_rfc3339nano_zero_time(ns: int) -> None:
    assert timefmt.rfc3339nano(ns) == "0001-01-01T00:00:00Z" == timefmt.ZERO_TIME


def test_rfc3339fixed_pads_nine_digits() -> None:
    assert timefmt.rfc3339fixed(BASE * S + 500_000_000) == "2026-11-30T04:00:00.500000000Z"
    assert timefmt.rfc3339fixed(BASE * S) == "2026-11-30T04:00:00.000000000Z"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0),
        ("1700000000", 1_700_000_000 * S),
        ("1700000000.5", 1_700_000_000 * S + 500_000_000),
        ("1700000000.000000001", 1_700_000_000 * S + 1),
        ("1700000000.123456789", 1_700_000_000 * S + 123_456_789),
        (" 1700000000 ", 1_700_000_000 * S),
    ],
)
def test_unix_timestamps(value: str, expected: int) -> None:
    assert timefmt.parse_timestamp_ns(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-30T04:00:00Z", BASE * S),
        ("2026-11-30T04:00:00.123456789Z", BASE * S + 123_456_789),
        ("2026-11-30T04:00:00.1Z", BASE * S + 100_000_000),
        ("2026-11-30T06:00:00+02:00", BASE * S),
        ("2026-11-29T23:00:00-05:00", BASE * S),
        ("2026-11-30T04:00Z", BASE * S),
        ("2026-11-30Z", (BASE - 4 * 3600) * S),
    ],
)
def test_rfc3339(value: str, expected: int) -> None:
    assert timefmt.parse_timestamp_ns(value) == expected


@pytest.mark.parametrize(
    ("value", "ago"),
    [
        ("10s", 10 * S),
        ("10m", 600 * S),
        ("1h30m", 5400 * S),
        ("1.5h", 5400 * S),
        ("500ms", S // 2),
        ("250us", 250_000),
        ("250µs", 250_000),
        ("7ns", 7),
        ("2h45m30s", (2 * 3600 + 45 * 60 + 30) * S),
    ],
)
def test_durations_count_back_from_now(value: str, ago: int) -> None:
    now = BASE * S
    assert timefmt.parse_timestamp_ns(value, now=now) == now - ago


def test_duration_uses_the_clock_by_default() -> None:
    before = timefmt.now_ns()
    value = timefmt.parse_timestamp_ns("1m")
    after = timefmt.now_ns()
    assert before - 60 * S <= value <= after - 60 * S


@pytest.mark.parametrize("value", ["", "   ", "yesterday", "10x", "1h30", "-5m", "h", "12:00"])
def test_invalid_values(value: str) -> None:
    with pytest.raises(InvalidParameter):
        timefmt.parse_timestamp_ns(value)


def test_invalid_value_message() -> None:
    with pytest.raises(InvalidParameter) as info:
        timefmt.parse_timestamp_ns("yesterday")
    assert info.value.message == 'failed to parse value as time or duration: "yesterday"'


def test_parse_duration() -> None:
    assert timefmt.parse_duration_ns("1h30m") == 5400 * S
    assert timefmt.parse_duration_ns("1.000000001s") == S + 1
    with pytest.raises(InvalidParameter, match='time: invalid duration "5"'):
        timefmt.parse_duration_ns("5")
    with pytest.raises(InvalidParameter):
        timefmt.parse_duration_ns("")


@pytest.mark.parametrize("ns", [BASE * S, BASE * S + 1, BASE * S + 123_456_789, S])
def test_round_trip(ns: int) -> None:
    assert timefmt.from_iso(timefmt.rfc3339nano(ns)) == ns
    assert timefmt.from_iso(timefmt.rfc3339fixed(ns)) == ns
