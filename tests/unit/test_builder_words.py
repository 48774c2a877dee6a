"""Dockerfile variable substitution and word splitting (the reference's examples and edges)."""

from __future__ import annotations

import pytest

from skiff.engine.builder.words import Expander, WordError

ENV = {"FOO": "/bar", "EMPTY": "", "str": "foobarbaz", "A": "a b"}


@pytest.mark.parametrize(("text", "expected"), [
    ("${FOO}", "/bar"), ("$FOO", "/bar"), ("${FOO}_x", "/bar_x"), ("$FOO_x", ""),
    (r"\$FOO", "$FOO"), (r"\${FOO}", "${FOO}"), ("'$FOO'", "$FOO"), ('"$FOO"', "/bar"),
    ('"a\\"b"', 'a"b'), ('"a\\nb"', "a\\nb"), ("a\\ b", "a b"), ("$", "$"), ("$1", "$1"),
    ("${NOPE:-dflt}", "dflt"), ("${EMPTY:-dflt}", "dflt"), ("${EMPTY-dflt}", ""),
    ("${NOPE-dflt}", "dflt"), ("${FOO:+set}", "set"), ("${EMPTY:+set}", ""),
    ("${EMPTY+set}", "set"), ("${NOPE+set}", ""), ("${NOPE:-${FOO}/x}", "/bar/x"),
    ("${str#f*b}", "arbaz"), ("${str##f*b}", "az"), ("${str%b*}", "foobar"),
    ("${str%%b*}", "foo"), ("${str/ba/fo}", "fooforbaz"), ("${str//ba/fo}", "fooforfoz"),
    ("${str#x}", "foobarbaz"), ("${str/a?/X}", "foobXbaz"),
])
def test_a_word_expands_as_the_reference_says(text: str, expected: str) -> None:
    assert Expander(ENV).word(text) == expected


def test_words_split_on_whitespace_outside_quotes() -> None:
    assert Expander(ENV).words('80/tcp  "a b" $A ${FOO}') == ["80/tcp", "a b", "a", "b", "/bar"]
    assert Expander(ENV).words("   ") == []


def test_the_escape_directive_changes_the_escape_character() -> None:
    expander = Expander(ENV, escape="`")
    assert expander.word("`$FOO") == "$FOO"
    assert expander.word("C:\\dir") == "C:\\dir"


def test_every_variable_read_is_recorded_set_or_not() -> None:
    expander = Expander(ENV)
    expander.word("$FOO ${NOPE:-x} '$SKIPPED' ${str#f}")
    assert expander.used == {"FOO", "NOPE", "str"}


@pytest.mark.parametrize(("text", "message"), [
    ("${NOPE:?must be set}", "NOPE: must be set"), ("${EMPTY:?}", "is not allowed to be unset"),
    ("${FOO", "missing '}'"), ("'open", "matching single-quote"),
    ('"open', "matching double-quote"), ("${}", "bad substitution"),
    ("${FOO^^}", "unsupported modifier"),
])
def test_malformed_substitutions_are_errors(text: str, message: str) -> None:
    with pytest.raises(WordError, match=message):
        Expander(ENV).word(text)
