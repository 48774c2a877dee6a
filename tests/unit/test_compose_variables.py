"""Interpolation in every form and .env files, as compose reads them."""

from __future__ import annotations

import pytest

from skiff.compose import dotenv
from skiff.compose.interpolation import InterpolationError, Use, Variable, interpolate, substitute

ENV = {"SET": "value", "EMPTY": "", "NUM": "3"}


def lookup(name: str) -> Variable | None:
    return Variable(ENV[name], "shell") if name in ENV else None


@pytest.mark.parametrize(("text", "expected"), [
    ("$SET", "value"), ("${SET}", "value"), ("a${SET}b", "avalueb"), ("$SET-x", "value-x"),
    ("${UNSET}", ""), ("${UNSET:-d}", "d"), ("${EMPTY:-d}", "d"), ("${EMPTY-d}", ""),
    ("${UNSET-d}", "d"), ("${SET:+alt}", "alt"), ("${EMPTY:+alt}", ""), ("${EMPTY+alt}", "alt"),
    ("${UNSET+alt}", ""), ("${UNSET:-${SET}}", "value"), ("${UNSET:-${ALSO:-deep}}", "deep"),
    ("$$SET", "$SET"), ("cost $$5", "cost $5"), ("${NUM}0", "30"),
])
def test_forms(text: str, expected: str) -> None:
    assert substitute(text, lookup) == expected


def test_errors() -> None:
    with pytest.raises(InterpolationError, match=r"required variable UNSET is missing a "
                                                 r"value: give it$"):
        substitute("${UNSET:?give it}", lookup)
    with pytest.raises(InterpolationError, match="required variable EMPTY is missing a value"):
        substitute("${EMPTY:?}", lookup)
    assert substitute("${EMPTY?set but empty is fine}", lookup) == ""
    with pytest.raises(InterpolationError) as caught:
        substitute("${SET", lookup, "services.web.image")
    assert str(caught.value) == ("invalid interpolation format for services.web.image.\n"
                                 "You may need to escape any $ with another $.\n${SET")
    assert substitute("5$", lookup) == "5$"


def test_uses_are_recorded_with_their_sources() -> None:
    uses: list[Use] = []
    tree = interpolate({"services": {"web": {"image": "${SET}", "ports": ["${UNSET:-80}"]}}},
                       lookup, uses)
    assert tree == {"services": {"web": {"image": "value", "ports": ["80"]}}}
    assert (uses[0].name, uses[0].path, uses[0].source) == ("SET", "services.web.image",
                                                            "shell")
    assert (uses[1].name, uses[1].path, uses[1].value, uses[1].source) == (
        "UNSET", "services.web.ports.[]", "80", "default")


def test_dotenv() -> None:
    text = ("# comment\nexport A=1\nB = spaced  # a comment\nC='literal ${A}'\n"
            'D="line\\none ${A}"\nE="multi\nline"\nF=${A}${SHELLVAR}\nSHELLVAR\nG=\n'
            "H=a#not-a-comment\n")
    values = dotenv.parse(text, ".env", lambda n: {"SHELLVAR": "s"}.get(n))
    assert values == {"A": "1", "B": "spaced", "C": "literal ${A}", "D": "line\none 1",
                      "E": "multi\nline", "F": "1s", "SHELLVAR": "s", "G": "",
                      "H": "a#not-a-comment"}
    with pytest.raises(Exception, match=r"\.env: line 1: key cannot contain a space"):
        dotenv.parse("BAD KEY=x\n")
