"""Interpolation of compose files: every form, nesting, ``$$``, compose's quirks and messages,
the paths of a tree and the uses recorded with their sources."""

from __future__ import annotations

import pytest

from skiff.compose.interpolation import (
    InterpolationError,
    InvalidTemplate,
    MissingRequired,
    Use,
    Variable,
    go_quote,
    interpolate,
    substitute,
    unset_warnings,
)
from skiff.compose.yamlfile import Override
from skiff.errdefs import InvalidParameter, status_for

SHELL = {"SET": "value", "EMPTY": "", "NUM": "3", "B": "bee"}
FILE = {"TAG": "v1.5"}


def lookup(name: str) -> Variable | None:
    if name in SHELL:
        return Variable(SHELL[name], "shell")
    if name in FILE:
        return Variable(FILE[name], "env-file", "/p/.env")
    return None


@pytest.mark.parametrize(("text", "expected"), [
    ("$SET", "value"),
    ("${SET}", "value"),
    ("a${SET}b", "avalueb"),
    ("$SET-x", "value-x"),  # an unbraced name ends at the first other character
    ("$SETx", ""),  # ... so this is the unset SETx
    ("${NUM}0", "30"),
    ("$UNSET", ""),
    ("${UNSET}", ""),
    ("$_lower_9", ""),
    # defaults
    ("${UNSET:-d}", "d"),
    ("${EMPTY:-d}", "d"),
    ("${SET:-d}", "value"),
    ("${UNSET-d}", "d"),
    ("${EMPTY-d}", ""),
    ("${SET-d}", "value"),
    ("${UNSET:-}", ""),
    ("${UNSET:-a b:c-d}", "a b:c-d"),
    ("${UNSET-x:-y}", "x:-y"),  # the first operator after the name is the one
    # required, satisfied
    ("${SET:?err}", "value"),
    ("${SET?err}", "value"),
    ("${EMPTY?set but empty is enough}", ""),
    # alternatives
    ("${SET:+alt}", "alt"),
    ("${EMPTY:+alt}", ""),
    ("${UNSET:+alt}", ""),
    ("${SET+alt}", "alt"),
    ("${EMPTY+alt}", "alt"),
    ("${UNSET+alt}", ""),
    ("${SET:+[$SET]}", "[value]"),
    # nesting
    ("${UNSET:-${SET}}", "value"),
    ("${UNSET:-${ALSO:-deep}}", "deep"),
    ("${UNSET:-$SET}", "value"),
    ("${UNSET:-a${B}c}", "abeec"),
    ("${UNSET:-${EMPTY:-${B}}}", "bee"),
    ("${SET:-${UNSET:?never looked at}}", "value"),
    ("${UNSET:-x} and ${B} and $SET", "x and bee and value"),
    ("${UNSET:-${B}}:${NUM}", "bee:3"),
    # dollars
    ("$$SET", "$SET"),
    ("$${SET}", "${SET}"),
    ("$$$SET", "$value"),
    ("$$$$", "$$"),
    ("cost $$5", "cost $5"),
    ("${UNSET:-$$}", "$"),
    # a "$" that starts no name is left alone
    ("5$", "5$"),
    ("$", "$"),
    ("$1", "$1"),
    ("$-x", "$-x"),
    ("$ {SET}", "$ {SET}"),
    ("a$.b", "a$.b"),
    # no "$" at all
    ("", ""),
    ("{plain} text: -+?", "{plain} text: -+?"),
])
def test_forms(text: str, expected: str) -> None:
    assert substitute(text, lookup) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # an operator's form runs to the last "}" of the line; braces are then counted, each "{"
    # skipping the character after it, and what follows the closing "}" stands alone
    ("${SET:-x}}", "value}"),
    ("${UNSET:-x}}", "x}"),
    ("${UNSET:-{x}}", "{x}"),
    ("${UNSET:-{}}}", "{}}"),
    ("${SET:-{}}}", "value"),  # the skipped "}" makes the whole rest the default
    ("${SET:-${UNCLOSED}", "value"),  # never read: the default is not taken
    ("${UNSET:-x}\n${SET}", "x\nvalue"),
])
def test_compose_brace_rules(text: str, expected: str) -> None:
    assert substitute(text, lookup) == expected


def invalid(path: str, template: str) -> str:
    return (f"invalid interpolation format for {path}.\n"
            f"You may need to escape any $ with another $.\n{template}")


@pytest.mark.parametrize(("text", "quoted"), [
    ("${SET", "${SET"),
    ("${", "${"),
    ("a ${}", "a ${}"),
    ("${1}", "${1}"),
    ("${SET:x}", "${SET:x}"),
    ("${SET/a/b}", "${SET/a/b}"),
    ("${UNSET:-a\nb}", "${UNSET:-a\nb}"),  # a form does not cross a line
    ("${UNSET:-${SET}", "${SET"),  # the default is quoted, the text it failed in
    ("x ${UNSET:-y} ${ }", " ${ }"),  # the rest after a form is quoted on its own
])
def test_invalid_templates(text: str, quoted: str) -> None:
    with pytest.raises(InvalidTemplate) as caught:
        substitute(text, lookup, "services.web.image")
    assert caught.value.message == invalid("services.web.image", quoted)
    assert caught.value.template == quoted
    with pytest.raises(InvalidTemplate) as bare:
        substitute(text, lookup)
    assert bare.value.message == f"Invalid template: {go_quote(quoted)}"


@pytest.mark.parametrize(("text", "message"), [
    ("${UNSET:?give it}", "required variable UNSET is missing a value: give it"),
    ("${EMPTY:?give it}", "required variable EMPTY is missing a value: give it"),
    ("${UNSET?give it}", "required variable UNSET is missing a value: give it"),
    ("${UNSET:?}", "required variable UNSET is missing a value"),
    ("${UNSET?}", "required variable UNSET is missing a value"),
    ("${EMPTY:?}", "required variable EMPTY is missing a value"),
    ("${UNSET:?set $SET or ${B:-b}}", "required variable UNSET is missing a value: "
                                      "set value or bee"),
    ("${UNSET:-${DEEP:?inner}}", "required variable DEEP is missing a value: inner"),
])
def test_required(text: str, message: str) -> None:
    with pytest.raises(MissingRequired) as bare:
        substitute(text, lookup)
    assert bare.value.message == message
    with pytest.raises(MissingRequired) as caught:
        substitute(text, lookup, "services.web.image")
    assert caught.value.message == f"error while interpolating services.web.image: {message}"


def test_errors_are_invalid_parameters() -> None:
    with pytest.raises(InterpolationError) as caught:
        substitute("${X:?}", lookup)
    assert isinstance(caught.value, InvalidParameter)
    assert status_for(caught.value) == 400
    assert (caught.value.variable, caught.value.reason) == ("X", "")  # type: ignore[attr-defined]


def test_uses_of_every_form() -> None:
    uses: list[Use] = []
    text = "$SET ${TAG} ${UNSET} ${UNSET:-d} ${EMPTY:-e} ${EMPTY-f} ${SET:+a} ${UNSET+b} ${SET?}"
    assert substitute(text, lookup, "x", uses) == "value v1.5  d e  a  value"
    assert uses == [
        Use("SET", "x", "value", "shell", "", ""),
        Use("TAG", "x", "v1.5", "env-file", "/p/.env", ""),
        Use("UNSET", "x", None, "unset", "", ""),
        Use("UNSET", "x", "d", "default", "", ":-"),
        Use("EMPTY", "x", "e", "default", "", ":-"),
        Use("EMPTY", "x", "", "shell", "", "-"),
        Use("SET", "x", "value", "shell", "", ":+"),
        Use("UNSET", "x", None, "unset", "", "+"),
        Use("SET", "x", "value", "shell", "", "?"),
    ]


def test_uses_of_nested_forms_only_where_read() -> None:
    uses: list[Use] = []
    assert substitute("${UNSET:-${TAG}} ${SET:-${NOT_READ}}", lookup, "p", uses) == "v1.5 value"
    assert uses == [
        Use("TAG", "p", "v1.5", "env-file", "/p/.env", ""),
        Use("UNSET", "p", "v1.5", "default", "", ":-"),
        Use("SET", "p", "value", "shell", "", ":-"),
    ]
    uses.clear()
    assert substitute("$$SET $${TAG}", lookup, "p", uses) == "$SET ${TAG}"
    assert uses == []


def test_unset_warnings_are_composes() -> None:
    uses: list[Use] = []
    substitute("$A ${B} ${UNSET:-x} ${UNSET+y} ${C}", lookup, "p", uses)
    assert unset_warnings(uses) == [
        'The "A" variable is not set. Defaulting to a blank string.',
        'The "C" variable is not set. Defaulting to a blank string.',
    ]


def test_interpolate_walks_values_not_keys() -> None:
    tree = {
        "services": {
            "web": {
                "image": "app:${TAG}",
                "ports": ["${PORT:-80}:80", 8080],
                "environment": {"$SET": "${SET}", "NUM": "$NUM"},
                "labels": {"com.example.tag": "$TAG"},
                "read_only": True,
                "scale": 2,
                "healthcheck": None,
                "command": [["nested", "$B"]],
            },
        },
        "name": "$SET",
    }
    uses: list[Use] = []
    out = interpolate(tree, lookup, uses)
    assert out == {
        "services": {
            "web": {
                "image": "app:v1.5",
                "ports": ["80:80", 8080],
                "environment": {"$SET": "value", "NUM": "3"},
                "labels": {"com.example.tag": "v1.5"},
                "read_only": True,
                "scale": 2,
                "healthcheck": None,
                "command": [["nested", "bee"]],
            },
        },
        "name": "value",
    }
    assert tree["name"] == "$SET"  # a new tree; the one given is left as it was
    assert [(use.name, use.path) for use in uses] == [
        ("TAG", "services.web.image"),
        ("PORT", "services.web.ports.[]"),
        ("SET", "services.web.environment.$SET"),
        ("NUM", "services.web.environment.NUM"),
        ("TAG", "services.web.labels.com\N{GHOST}example\N{GHOST}tag"),
        ("B", "services.web.command.[].[]"),
        ("SET", "name"),
    ]


def test_interpolate_paths_in_errors() -> None:
    with pytest.raises(InvalidTemplate) as caught:
        interpolate({"services": {"web": {"ports": ["ok", "${"]}}}, lookup)
    assert caught.value.message == invalid("services.web.ports.[]", "${")
    with pytest.raises(MissingRequired) as missing:
        interpolate({"x-a.b": {"c.d": "${V:?needed}"}}, lookup)
    assert missing.value.message == ("error while interpolating x-a.b.c\N{GHOST}d: required "
                                     "variable V is missing a value: needed")
    with pytest.raises(InvalidTemplate) as prefixed:
        interpolate({"image": "${"}, lookup, path="services.web")
    assert prefixed.value.path == "services.web.image"
    assert interpolate({"image": "$"}, lookup, path="services.web") == {"image": "$"}


def test_interpolate_scalars_and_overrides() -> None:
    assert interpolate("$SET", lookup) == "value"
    assert interpolate(3, lookup) == 3
    assert interpolate(None, lookup) is None
    assert interpolate(Override(["$SET"]), lookup) == Override(["value"])


@pytest.mark.parametrize(("text", "quoted"), [
    ("plain", '"plain"'),
    ('say "hi"\\', '"say \\"hi\\"\\\\"'),
    ("a\tb\nc\r\x00\x7f", '"a\\tb\\nc\\r\\x00\\x7f"'),
    ("é€\u00a0\u200b", '"é€\\u00a0\\u200b"'),
])
def test_go_quote(text: str, quoted: str) -> None:
    assert go_quote(text) == quoted
