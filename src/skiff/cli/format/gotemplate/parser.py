"""Parse tokens into a tree, with Go's parse-time checks (unknown functions, variables)."""

from __future__ import annotations

from collections.abc import Container

from skiff.cli.format.gotemplate.errors import TemplateParseError
from skiff.cli.format.gotemplate.lexer import Kind, Token, line_of, tokenize
from skiff.cli.format.gotemplate.nodes import (
    ActionNode,
    BoolNode,
    BranchNode,
    BreakNode,
    ChainNode,
    CommandNode,
    ContinueNode,
    DotNode,
    FieldNode,
    IdentNode,
    IfNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    RangeNode,
    StringNode,
    TextNode,
    VariableNode,
    WithNode,
)


def parse(text: str, funcs: Container[str]) -> ListNode:
    """Parse a whole template."""
    return _Parser(text, funcs).parse()


def _number(text: str) -> int | float:
    clean = text.replace("_", "")
    try:
        return int(clean, 0)
    except ValueError:
        return float(clean)


class _Parser:
    def __init__(self, text: str, funcs: Container[str]) -> None:
        self.text = text
        self.funcs = funcs
        self.tokens = tokenize(text)
        self.i = 0
        self.vars: list[str] = ["$"]
        self.range_depth = 0

    # token helpers
    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def error(self, message: str, tok: Token | None = None) -> TemplateParseError:
        pos = (tok or self.peek()).pos
        return TemplateParseError(f"template: :{line_of(self.text, pos)}: {message}")

    def expect_right(self, context: str) -> None:
        tok = self.next()
        if tok.kind is not Kind.RIGHT:
            raise self.error(f"unexpected {self.describe(tok)} in {context}", tok)

    @staticmethod
    def describe(tok: Token) -> str:
        if tok.kind is Kind.EOF:
            return "EOF"
        if tok.kind is Kind.RIGHT:
            return '"}}"'
        return f'"{tok.value}"' if tok.kind is not Kind.STRING else repr(tok.value)

    # structure
    def parse(self) -> ListNode:
        body, end = self.parse_list()
        if end is not None:
            raise self.error(f"unexpected {{{{{end.value}}}}}", end)
        return body

    def parse_list(self) -> tuple[ListNode, Token | None]:
        """Nodes up to EOF, ``{{end}}`` or ``{{else}}`` (returned, already consumed)."""
        nodes: list[Node] = []
        start = self.peek().pos
        while True:
            tok = self.peek()
            if tok.kind is Kind.EOF:
                return ListNode(start, nodes), None
            if tok.kind is Kind.TEXT:
                self.next()
                nodes.append(TextNode(tok.pos, tok.value))
                continue
            self.next()  # LEFT
            word = self.peek()
            if word.kind is Kind.KEYWORD and word.value in ("end", "else"):
                self.next()
                if word.value == "end":
                    self.expect_right("end")
                return ListNode(start, nodes), word
            nodes.append(self.parse_action())

    def parse_action(self) -> Node:
        tok = self.peek()
        if tok.kind is Kind.KEYWORD:
            if tok.value in ("if", "range", "with"):
                self.next()
                return self.parse_branch(tok)
            if tok.value in ("break", "continue"):
                self.next()
                if self.range_depth == 0:
                    raise self.error(f"{{{{{tok.value}}}}} outside {{{{range}}}}", tok)
                self.expect_right(tok.value)
                return BreakNode(tok.pos) if tok.value == "break" else ContinueNode(tok.pos)
            if tok.value != "nil":
                raise self.error(f"unexpected {self.describe(tok)} in command", tok)
        pipe = self.parse_pipeline("command", Kind.RIGHT)
        self.next()
        return ActionNode(tok.pos, pipe)

    def parse_branch(self, keyword: Token) -> BranchNode:
        mark = len(self.vars)
        pipe = self.parse_pipeline(keyword.value, Kind.RIGHT, allow_decl=True)
        self.next()
        if keyword.value == "range":
            self.range_depth += 1
        body, end = self.parse_list()
        if keyword.value == "range":
            self.range_depth -= 1
        if end is None:
            raise self.error("unexpected EOF")
        else_body: ListNode | None = None
        if end.value == "else":
            nxt = self.peek()
            if nxt.kind is Kind.KEYWORD and nxt.value in ("if", "with") and \
                    keyword.value in ("if", "with"):
                self.next()
                nested = self.parse_branch(nxt)
                else_body = ListNode(nxt.pos, [nested])
            else:
                self.expect_right("else")
                else_body, end2 = self.parse_list()
                if end2 is None:
                    raise self.error("unexpected EOF")
                if end2.value != "end":
                    raise self.error("expected end; found {{else}}", end2)
        del self.vars[mark:]
        kinds: dict[str, type[BranchNode]] = {"if": IfNode, "range": RangeNode, "with": WithNode}
        return kinds[keyword.value](keyword.pos, pipe, body, else_body)

    # pipelines
    def parse_pipeline(self, context: str, end: Kind, allow_decl: bool = True) -> PipeNode:
        start = self.peek()
        decls: list[str] = []
        is_assign = False
        if allow_decl and start.kind is Kind.VARIABLE and "." not in start.value:
            after = self.peek(1)
            if after.kind in (Kind.DECLARE, Kind.ASSIGN) or (
                    after.kind is Kind.COMMA and context == "range"):
                decls.append(start.value)
                self.next()
                if after.kind is Kind.COMMA:
                    self.next()
                    second = self.next()
                    if second.kind is not Kind.VARIABLE:
                        raise self.error("range can only initialize variables", second)
                    decls.append(second.value)
                op = self.next()
                if op.kind not in (Kind.DECLARE, Kind.ASSIGN):
                    raise self.error(f"unexpected {self.describe(op)} in {context}", op)
                is_assign = op.kind is Kind.ASSIGN
                if is_assign:
                    for name in decls:
                        if name not in self.vars:
                            raise self.error(f'undefined variable "{name}"', start)
        cmds: list[CommandNode] = []
        while True:
            cmds.append(self.parse_command(context, end))
            tok = self.peek()
            if tok.kind is Kind.PIPE:
                self.next()
                continue
            if tok.kind is end:
                break
            raise self.error(f"unexpected {self.describe(tok)} in {context}", tok)
        if not is_assign:
            self.vars.extend(decls)
        return PipeNode(start.pos, decls, is_assign, cmds)

    def parse_command(self, context: str, end: Kind) -> CommandNode:
        start = self.peek()
        args: list[Node] = []
        while True:
            tok = self.peek()
            if tok.kind in (Kind.PIPE, end) or tok.kind in (Kind.RIGHT, Kind.RPAREN, Kind.EOF):
                break
            args.append(self.parse_operand())
        if not args:
            raise self.error(f"missing value for {context}", start)
        return CommandNode(start.pos, args)

    def parse_operand(self) -> Node:
        node = self.parse_term()
        nxt = self.peek()
        if nxt.kind is Kind.FIELD and not nxt.spaced:
            self.next()
            names = nxt.value[1:].split(".")
            if isinstance(node, FieldNode):
                return FieldNode(node.pos, node.names + names)
            if isinstance(node, VariableNode):
                return VariableNode(node.pos, node.name, node.names + names)
            if isinstance(node, BoolNode | StringNode | NumberNode | NilNode | DotNode):
                raise self.error(f"unexpected . after term {str(node)!r}", nxt)
            return ChainNode(nxt.pos, node, names)
        return node

    def parse_term(self) -> Node:
        tok = self.next()
        kind = tok.kind
        if kind is Kind.FIELD:
            names = tok.value[1:].split(".")
            # Go positions a chain at its second link: ".Config.Foo" is "at" ".Foo"
            pos = tok.pos + 1 + len(names[0]) if len(names) > 1 else tok.pos
            return FieldNode(pos, names)
        if kind is Kind.DOT:
            return DotNode(tok.pos)
        if kind is Kind.VARIABLE:
            name, *names = tok.value.split(".")
            if name not in self.vars:
                raise self.error(f'undefined variable "{name}"', tok)
            return VariableNode(tok.pos + len(name) if names else tok.pos, name, names)
        if kind is Kind.IDENT:
            if tok.value not in self.funcs:
                raise self.error(f'function "{tok.value}" not defined', tok)
            return IdentNode(tok.pos, tok.value)
        if kind is Kind.KEYWORD and tok.value == "nil":
            return NilNode(tok.pos)
        if kind is Kind.STRING:
            return StringNode(tok.pos, tok.value)
        if kind is Kind.NUMBER:
            return NumberNode(tok.pos, tok.value, _number(tok.value))
        if kind is Kind.BOOL:
            return BoolNode(tok.pos, tok.value == "true")
        if kind is Kind.LPAREN:
            pipe = self.parse_pipeline("parenthesized pipeline", Kind.RPAREN)
            self.next()
            return pipe
        raise self.error(f"unexpected {self.describe(tok)} in operand", tok)
