"""skiff.api.filters: the ``filters`` query parameter in both encodings, and label matching."""

from __future__ import annotations

import json

import pytest

from skiff.api import filters
from skiff.errdefs import InvalidParameter

ALLOWED = ("label", "dangling", "reference")


@pytest.mark.parametrize("raw", [None, ""])
def test_empty_means_no_filters(raw: str | None) -> None:
    assert filters.parse(raw, ALLOWED) == {}


def test_list_form() -> None:
    raw = json.dumps({"label": ["a=b", "c"], "reference": ["busybox"]})
    assert filters.parse(raw, ALLOWED) == {"label": ["a=b", "c"], "reference": ["busybox"]}


def test_legacy_map_form_keeps_enabled_values_only() -> None:
    raw = json.dumps({"dangling": {"true": True}, "label": {"a=b": True, "off": False}})
    assert filters.parse(raw, ALLOWED) == {"dangling": ["true"], "label": ["a=b"]}


def test_both_forms_agree() -> None:
    as_list = filters.parse('{"label":["x=y"]}', ALLOWED)
    as_map = filters.parse('{"label":{"x=y":true}}', ALLOWED)
    assert as_list == as_map == {"label": ["x=y"]}


def test_unknown_key_refused_with_dockerd_wording() -> None:
    with pytest.raises(InvalidParameter) as info:
        filters.parse('{"bogus":["1"]}', ALLOWED)
    assert info.value.message == "invalid filter 'bogus'"


def test_unknown_key_refused_in_legacy_form_too() -> None:
    with pytest.raises(InvalidParameter, match="invalid filter 'bogus'"):
        filters.parse('{"bogus":{"1":true}}', ALLOWED)


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"label"', "42"])
def test_malformed_json_refused(raw: str) -> None:
    with pytest.raises(InvalidParameter, match="invalid filter"):
        filters.parse(raw, ALLOWED)


def test_non_string_value_type_refused() -> None:
    with pytest.raises(InvalidParameter):
        filters.parse('{"label": 5}', ALLOWED)


def test_encode_round_trip() -> None:
    value = {"label": ["a=b"], "dangling": ["true"]}
    assert filters.parse(filters.encode(value), ALLOWED) == value


@pytest.mark.parametrize(
    ("wanted", "labels", "expected"),
    [
        ([], {}, True),
        ([], {"a": "1"}, True),
        (["a"], {"a": "1"}, True),
        (["a"], {"a": ""}, True),
        (["a"], {}, False),
        (["a=1"], {"a": "1"}, True),
        (["a=1"], {"a": "2"}, False),
        (["a="], {"a": ""}, True),
        (["a="], {"a": "x"}, False),
        (["a=b=c"], {"a": "b=c"}, True),
        (["a", "b=2"], {"a": "1", "b": "2"}, True),
        (["a", "b=2"], {"a": "1", "b": "3"}, False),
        (["a", "c"], {"a": "1"}, False),
    ],
)
def test_match_labels(wanted: list[str], labels: dict[str, str], expected: bool) -> None:
    assert filters.match_labels(wanted, labels) is expected


@pytest.mark.parametrize(("value", "expected"),
                         [("true", True), ("TRUE", True), ("1", True), ("false", False),
                          ("0", False), ("False", False)])
def test_parse_bool(value: str, expected: bool) -> None:
    assert filters.parse_bool("dangling", value) is expected


def test_parse_bool_refuses_other_words() -> None:
    with pytest.raises(InvalidParameter, match="dangling=maybe"):
        filters.parse_bool("dangling", "maybe")
