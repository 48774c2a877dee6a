"""Tokens of a Go text/template: text between actions, and the words inside ``{{ }}``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, auto

from skiff.cli.format.gotemplate.errors import TemplateParseError

LEFT, RIGHT = "{{", "}}"
KEYWORDS = {"if", "else", "end", "range", "with", "break", "continue", "define", "template",
            "block", "nil"}


class Kind(Enum):
    """What a token is."""

    TEXT = auto()
    LEFT = auto()
    RIGHT = auto()
    FIELD = auto()  # .A.B (one token for the whole chain)
    DOT = auto()
    VARIABLE = auto()  # $ or $x, possibly with a chain: $x.A
    IDENT = auto()
    KEYWORD = auto()
    STRING = auto()
    NUMBER = auto()
    BOOL = auto()
    PIPE = auto()
    LPAREN = auto()
    RPAREN = auto()
    DECLARE = auto()
    ASSIGN = auto()
    COMMA = auto()
    EOF = auto()


@dataclass
class Token:
    """One token; ``spaced`` says whether whitespace came before it."""

    kind: Kind
    value: str
    pos: int
    spaced: bool = True


_NUMBER = re.compile(r"[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|"
                     r"(\d[\d_]*)?\.?\d[\d_]*([eE][+-]?\d+)?)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FIELD_CHAIN = re.compile(r"(\.[A-Za-z_][A-Za-z0-9_]*)+")
_VARIABLE = re.compile(r"\$[A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def line_of(text: str, pos: int) -> int:
    """1-based line number of an offset."""
    return text.count("\n", 0, pos) + 1


def tokenize(text: str) -> list[Token]:
    """Split a template into tokens, applying ``{{-`` and ``-}}`` whitespace trimming."""
    tokens: list[Token] = []
    pos = 0
    trim_next = False
    while pos < len(text):
        start = text.find(LEFT, pos)
        end_text = len(text) if start < 0 else start
        chunk = text[pos:end_text]
        trim_before = start >= 0 and text.startswith(("{{- ", "{{-\t", "{{-\n", "{{-\r"), start)
        if trim_next:
            chunk = chunk.lstrip(" \t\r\n")
        if trim_before:
            chunk = chunk.rstrip(" \t\r\n")
        if chunk:
            tokens.append(Token(Kind.TEXT, chunk, pos))
        if start < 0:
            break
        inner = start + (3 if trim_before else 2)
        pos, trim_next = _lex_action(text, start, inner, tokens)
    tokens.append(Token(Kind.EOF, "", len(text)))
    return tokens


def _right_at(text: str, i: int) -> tuple[bool, int, bool]:
    """At ``i``: is it the end of an action? Returns (found, position after, trims)."""
    if text.startswith((" -}}", "\t-}}", "\n-}}", "\r-}}"), i):
        return True, i + 4, True
    if text.startswith(RIGHT, i):
        return True, i + 2, False
    return False, i, False


def _lex_action(text: str, start: int, i: int, tokens: list[Token]) -> tuple[int, bool]:
    line = line_of(text, start)
    stripped = i
    while stripped < len(text) and text[stripped] in " \t\r\n":
        stripped += 1
    if text.startswith("/*", stripped):
        close = text.find("*/", stripped + 2)
        if close < 0:
            raise TemplateParseError(f"template: :{line}: unclosed comment")
        found, after, trims = _right_at(text, close + 2)
        if not found:
            raise TemplateParseError(f"template: :{line}: comment ends before closing delimiter")
        return after, trims
    tokens.append(Token(Kind.LEFT, LEFT, start))
    spaced = True
    paren_depth = 0
    while True:
        if i >= len(text):
            raise TemplateParseError(f"template: :{line}: unclosed action")
        found, after, trims = _right_at(text, i)
        if found and paren_depth == 0:
            tokens.append(Token(Kind.RIGHT, RIGHT, i))
            return after, trims
        c = text[i]
        if c in " \t\r\n":
            i += 1
            spaced = True
            continue
        tok, i = _lex_word(text, i, line)
        tok.spaced = spaced
        spaced = False
        if tok.kind is Kind.LPAREN:
            paren_depth += 1
        elif tok.kind is Kind.RPAREN:
            paren_depth -= 1
            if paren_depth < 0:
                raise TemplateParseError(f"template: :{line}: unexpected right paren")
        tokens.append(tok)


def _lex_word(text: str, i: int, line: int) -> tuple[Token, int]:
    c = text[i]
    simple = {"|": Kind.PIPE, "(": Kind.LPAREN, ")": Kind.RPAREN, ",": Kind.COMMA}
    if c in simple:
        return Token(simple[c], c, i), i + 1
    if text.startswith(":=", i):
        return Token(Kind.DECLARE, ":=", i), i + 2
    if c == "=":
        return Token(Kind.ASSIGN, "=", i), i + 1
    if c == '"':
        return _lex_quoted(text, i, line)
    if c == "`":
        close = text.find("`", i + 1)
        if close < 0:
            raise TemplateParseError(f"template: :{line}: unterminated raw quoted string")
        return Token(Kind.STRING, text[i + 1:close], i), close + 1
    if c == "$":
        match = _VARIABLE.match(text, i)
        assert match is not None
        return Token(Kind.VARIABLE, match.group(0), i), match.end()
    if c == ".":
        match = _FIELD_CHAIN.match(text, i)
        if match:
            return Token(Kind.FIELD, match.group(0), i), match.end()
        if i + 1 < len(text) and text[i + 1].isdigit():
            return _lex_number(text, i, line)
        return Token(Kind.DOT, ".", i), i + 1
    if c.isdigit() or (c in "+-" and i + 1 < len(text) and text[i + 1] in "0123456789."):
        return _lex_number(text, i, line)
    match = _WORD.match(text, i)
    if match:
        word = match.group(0)
        if word in ("true", "false"):
            return Token(Kind.BOOL, word, i), match.end()
        kind = Kind.KEYWORD if word in KEYWORDS else Kind.IDENT
        return Token(kind, word, i), match.end()
    raise TemplateParseError(f"template: :{line}: unrecognized character in action: "
                             f"{_quote_char(c)}")


def _quote_char(c: str) -> str:
    return f"U+{ord(c):04X} '{c}'"


def _lex_number(text: str, i: int, line: int) -> tuple[Token, int]:
    match = _NUMBER.match(text, i)
    if not match or not match.group(0):
        raise TemplateParseError(f"template: :{line}: bad number syntax: {text[i:i + 1]!r}")
    end = match.end()
    if end < len(text) and (text[end].isalnum() or text[end] == "."):
        bad = text[i:end + 1]
        raise TemplateParseError(f'template: :{line}: bad number syntax: "{bad}"')
    return Token(Kind.NUMBER, match.group(0), i), end


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a",
            "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _lex_quoted(text: str, i: int, line: int) -> tuple[Token, int]:
    out: list[str] = []
    j = i + 1
    while True:
        if j >= len(text) or text[j] == "\n":
            raise TemplateParseError(f"template: :{line}: unterminated quoted string")
        c = text[j]
        if c == '"':
            return Token(Kind.STRING, "".join(out), i), j + 1
        if c == "\\" and j + 1 < len(text):
            nxt = text[j + 1]
            if nxt in ("x", "u", "U"):
                width = {"x": 2, "u": 4, "U": 8}[nxt]
                out.append(chr(int(text[j + 2:j + 2 + width], 16)))
                j += 2 + width
                continue
            if nxt not in _ESCAPES:
                raise TemplateParseError(f"template: :{line}: invalid syntax")
            out.append(_ESCAPES[nxt])
            j += 2
            continue
        out.append(c)
        j += 1
