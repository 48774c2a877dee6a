"""``.env`` files as docker compose reads them: keys, quoting, escapes, several lines, comments,
``export``, interpolation and its order, keys alone, and the errors with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from skiff.compose import dotenv
from skiff.errdefs import InvalidParameter, NotFound

SHELL = {"SHELLVAR": "s", "A": "from-shell", "EMPTY": ""}


def shell(name: str) -> str | None:
    return SHELL.get(name)


@pytest.mark.parametrize(("line", "key", "value"), [
    ("FOO=bar", "FOO", "bar"),
    ("FOO =bar", "FOO", "bar"),
    ("FOO= bar", "FOO", "bar"),
    ("  FOO  =  bar  ", "FOO", "bar"),
    ("\tFOO=bar\t", "FOO", "bar"),
    ("FOO=", "FOO", ""),
    ("FOO= ", "FOO", ""),
    ("FOO=foobar=", "FOO", "foobar="),
    ("FOO=a b  c", "FOO", "a b  c"),
    ("FOO=bar\r", "FOO", "bar"),
    # yaml style, and ":" inside a value
    ("OPTION_A: 1", "OPTION_A", "1"),
    ("OPTION_A: Foo=bar", "OPTION_A", "Foo=bar"),
    ("OPTION_A=1:B", "OPTION_A", "1:B"),
    # keys
    ("FOO.BAR=foobar", "FOO.BAR", "foobar"),
    ("VAR-WITH-DASHES=dashes", "VAR-WITH-DASHES", "dashes"),
    ("a[1]=c", "a[1]", "c"),
    ("456=ABC", "456", "ABC"),
    ("árvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ", "árvíztűrő-TÜKÖRFÚRÓGÉP", "ÁRVÍZTŰRŐ"),
    ('="value"', "", "value"),
    # export
    ("export OPTION_A=2", "OPTION_A", "2"),
    ("export\tOPTION_A=2", "OPTION_A", "2"),
    ("  export   OPTION_A=2", "OPTION_A", "2"),
    ("export exportFoo=2", "exportFoo", "2"),
    ("exportFOO=2", "exportFOO", "2"),
    ("export_FOO =2", "export_FOO", "2"),
    ("export.FOO= 2", "export.FOO", "2"),
    ('export OPTION_A="export A"', "OPTION_A", "export A"),
    # comments
    ("FOO=bar # this is foo", "FOO", "bar"),
    ("FOO=bar #this is foo", "FOO", "bar"),
    ("FOO=bar #", "FOO", "bar"),
    ("FOO=123#not-an-inline-comment", "FOO", "123#not-an-inline-comment"),
    ("FOO=bar\t# a tab does not start a comment", "FOO", "bar\t# a tab does not start a comment"),
    ("FOO= # a value, not a comment", "FOO", "# a value, not a comment"),
    ('FOO="bar#baz" # comment', "FOO", "bar#baz"),
    ('FOO="bar#baz"#', "FOO", "bar#baz"),
    ("FOO='bar#baz' # comment", "FOO", "bar#baz"),
    ('FOO="ba # r"', "FOO", "ba # r"),
    # single quotes: literal but for \'
    ("FOO='bar'", "FOO", "bar"),
    ("FOO=''", "FOO", ""),
    ("FOO='$SHELLVAR ${SHELLVAR}'", "FOO", "$SHELLVAR ${SHELLVAR}"),
    ("FOO='\\n\\t\\\\'", "FOO", "\\n\\t\\\\"),
    ("FOO='Let\\'s go!'", "FOO", "Let's go!"),
    ("FOO='  padded  '", "FOO", "  padded  "),
    ("FOO='say \"hi\"'", "FOO", 'say "hi"'),
    # double quotes: escapes, then interpolation
    ('FOO="bar"', "FOO", "bar"),
    ('FOO=""', "FOO", ""),
    ('FOO="escaped\\"bar"', "FOO", 'escaped"bar'),
    ('FOO="\\"quoted\\""', "FOO", '"quoted"'),
    ('FOO="\'d\'"', "FOO", "'d'"),
    ('FOO="{\\"hello\\": \\"json\\"}"', "FOO", '{"hello": "json"}'),
    ('FOO="bar\\nbaz"', "FOO", "bar\nbaz"),
    ('FOO="a\\tb"', "FOO", "a\tb"),
    ('KEY="Z\\aZ\\bZ\\fZ\\nZ\\rZ\\tZ\\vZ\\\\Z\\0123Z"', "KEY", "Z\aZ\bZ\fZ\nZ\rZ\tZ\vZ\\ZSZ"),
    ('FOO="bar\\n\\ b\\az"', "FOO", "bar\n\\ b\az"),
    ('FOO="bar\\\\\\n\\ b\\az"', "FOO", "bar\\\n\\ b\az"),
    ('FOO="bar\\\\r\\ b\\az"', "FOO", "bar\\r\\ b\az"),
    ('FOO="bar\\nbaz\\\\"', "FOO", "bar\nbaz\\"),
    ('KEY="\\x07 \\u12e4 \\c \\\'"', "KEY", "\\x07 \\u12e4 \\c \\'"),  # not compose's escapes
    # octal as three digits; otherwise compose still drops the "0"
    ('KEY="\\0 \\01 \\012 \\0400 \\0101 \\08"', "KEY", "\\ \\1 \\12 \\400 A \\8"),
    ('KEY="  padded  "', "KEY", "  padded  "),
    # unquoted values are not unescaped
    ("FOO=a\\tb", "FOO", "a\\tb"),
    ("FOO=a\\$b", "FOO", "a\\"),  # ... but interpolated: $b is unset
])
def test_line(line: str, key: str, value: str) -> None:
    assert dotenv.parse(line) == {key: value}
    assert dotenv.parse(line + "\n") == {key: value}


def test_a_file() -> None:
    text = ("# a comment\n"
            "\n"
            "   # an indented comment\n"
            "export A=1\n"
            "B = spaced  # a comment\n"
            "C='literal ${A}'\n"
            'D="line\\none ${B}"\n'
            "E='first line\n"
            "second line'\n"
            'F="multi\n'
            '  line ${C}"\n'
            "G=${B}${SHELLVAR}\n"
            "SHELLVAR\n"
            "NOT_ANYWHERE\n"
            "H=\n"
            "\r\n"
            "I=a#not-a-comment\r\n")
    assert dotenv.parse(text, ".env", lambda n: {"SHELLVAR": "s"}.get(n)) == {
        "A": "1", "B": "spaced", "C": "literal ${A}", "D": "line\none spaced",
        "E": "first line\nsecond line", "F": "multi\n  line literal ${A}", "G": "spaceds",
        "SHELLVAR": "s", "H": "", "I": "a#not-a-comment"}


def test_quoted_values_end_at_their_quote() -> None:
    # what follows on the line is read as more statements
    assert dotenv.parse('A="x" B=y\n', lookup=shell) == {"A": "x", "B": "y"}
    assert dotenv.parse("A='x'SHELLVAR\nC=1", lookup=shell) == {"A": "x", "SHELLVAR": "s",
                                                                "C": "1"}


def test_interpolation_takes_the_lookup_first() -> None:
    text = "A=1\nB=${A}\nC=$B-${A:-d}\nD=${EMPTY:-none}\nE=${NOPE}\nF=\"$A\"\nG='$A'\n"
    assert dotenv.parse(text) == {"A": "1", "B": "1", "C": "1-1", "D": "none", "E": "",
                                  "F": "1", "G": "$A"}
    assert dotenv.parse(text, lookup=shell) == {
        "A": "1", "B": "from-shell", "C": "from-shell-from-shell", "D": "none", "E": "",
        "F": "from-shell", "G": "$A"}


def test_interpolation_sees_only_the_keys_above() -> None:
    assert dotenv.parse("A=${LATER}\nLATER=x\n") == {"A": "", "LATER": "x"}
    assert dotenv.parse("A=1\nA=${A}2\nA=${A}3\n") == {"A": "123"}


def test_defaults_and_dollars() -> None:
    text = ("A=${A:-1}\nB=${A}\nC=$$A\nD=\"\\$A \\${A} $$A\"\nE=\"${SHELLVAR:+alt}\"\n"
            "F=${UNSET:-${A}x}\n")
    assert dotenv.parse(text) == {"A": "1", "B": "1", "C": "$A", "D": "$A ${A} $A", "E": "",
                                  "F": "1x"}
    assert dotenv.parse(text, lookup=shell)["E"] == "alt"
    assert dotenv.parse("A=${A:-1}\n", lookup=shell) == {"A": "from-shell"}


def test_keys_alone() -> None:
    assert dotenv.parse("SHELLVAR\nMISSING\nEMPTY\n", lookup=shell) == {"SHELLVAR": "s",
                                                                        "EMPTY": ""}
    assert dotenv.parse("MISSING\n") == {}
    assert dotenv.parse("MISSING") == {}
    assert dotenv.parse("X=1\nX\n") == {"X": "1"}  # nothing in the lookup: kept
    assert dotenv.parse("A=1\nA\n", lookup=shell) == {"A": "from-shell"}
    assert dotenv.parse("export SHELLVAR\n", lookup=shell) == {"SHELLVAR": "s"}


def test_blank_text_bom_and_line_endings() -> None:
    for text in ("", "\n", "\r\n", "\t\t ", "# Comment", "\t # comment\n\n"):
        assert dotenv.parse(text) == {}
    assert dotenv.parse("\ufeffA=1\r\nB='2'\r\nC=\"x\r\ny\"\r\n") == {"A": "1", "B": "2",
                                                                     "C": "x\r\ny"}


@pytest.mark.parametrize(("text", "message"), [
    ("lol$wut", 'line 1: unexpected character "$" in variable name "lol$wut"'),
    ("%!(EXTRA string)=foo",
     'line 1: unexpected character "%" in variable name "%!(EXTRA string)=foo"'),
    ("A=1\n\n# c\nBAD KEY=1\n", "line 4: key cannot contain a space"),
    ("A=1\nINVALID LINE\n", "line 2: key cannot contain a space"),
    ('A="one\ntwo"\nB=2\nC@=3\n', 'line 4: unexpected character "@" in variable name "C@=3"'),
    ("A='one\ntwo'\n\tKEY\\=3\n",
     'line 3: unexpected character "\\\\" in variable name "KEY\\\\=3"'),
    ('KEY="', 'line 1: unterminated quoted value "'),
    ('KEY="value', 'line 1: unterminated quoted value "value'),
    ('KEY="value\\"', 'line 1: unterminated quoted value "value\\"'),
    ("KEY=\"value'", "line 1: unterminated quoted value \"value'"),
    ("KEY='", "line 1: unterminated quoted value '"),
    ("KEY='value\\'", "line 1: unterminated quoted value 'value\\'"),
    ("A=1\nKEY='one\ntwo\n", "line 2: unterminated quoted value 'one"),
    ("A=1\nB=${A\n", 'line 2: Invalid template: "${A"'),
    ('A="${"\n', 'line 1: Invalid template: "${"'),
    ("A=1\nB=${NOPE:?set it}\n", "line 2: required variable NOPE is missing a value: set it"),
    ("B=${EMPTY:?}\n", "line 1: required variable EMPTY is missing a value"),
])
def test_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        dotenv.parse(text, "/proj/.env", shell)
    assert caught.value.message == f"failed to read /proj/.env: {message}"


def test_load(tmp_path: Path) -> None:
    path = tmp_path / "app.env"
    path.write_text("X=1\nB=\"${X}${SHELLVAR}\"\n")
    assert dotenv.load(path, shell) == {"X": "1", "B": "1s"}
    path.write_text("A=1\nB C=2\n")
    with pytest.raises(InvalidParameter) as caught:
        dotenv.load(path)
    assert caught.value.message == f"failed to read {path}: line 2: key cannot contain a space"


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(NotFound) as missing:
        dotenv.load(tmp_path / "nope.env")
    assert missing.value.message == f"couldn't find env file: {tmp_path / 'nope.env'}"
    with pytest.raises(InvalidParameter) as directory:
        dotenv.load(tmp_path)
    assert directory.value.message == f"{tmp_path} is a directory"
    binary = tmp_path / "binary.env"
    binary.write_bytes(b"A=\xff\n")
    with pytest.raises(InvalidParameter) as undecodable:
        dotenv.load(binary)
    assert undecodable.value.message == f"failed to read {binary}: not UTF-8 text at byte 2"
