"""The parse tree of a template; ``str(node)`` prints it the way Go's error messages do."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass
class Node:
    """Base: every node knows its offset in the template text."""

    pos: int


@dataclass
class TextNode(Node):
    text: str

    def __str__(self) -> str:
        return json.dumps(self.text)


@dataclass
class FieldNode(Node):
    """``.A.B``: fields looked up from dot."""

    names: list[str]

    def __str__(self) -> str:
        return "".join("." + n for n in self.names)


@dataclass
class DotNode(Node):
    def __str__(self) -> str:
        return "."


@dataclass
class VariableNode(Node):
    """``$x.A``: a variable and fields looked up from it."""

    name: str
    names: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.name + "".join("." + n for n in self.names)


@dataclass
class IdentNode(Node):
    """A function name."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass
class StringNode(Node):
    value: str

    def __str__(self) -> str:
        return json.dumps(self.value, ensure_ascii=False)


@dataclass
class NumberNode(Node):
    text: str
    value: int | float

    def __str__(self) -> str:
        return self.text


@dataclass
class BoolNode(Node):
    value: bool

    def __str__(self) -> str:
        return "true" if self.value else "false"


@dataclass
class NilNode(Node):
    def __str__(self) -> str:
        return "nil"


@dataclass
class CommandNode(Node):
    """Operands of one pipeline stage: a function call, a method call or a value."""

    args: list[Node]

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, PipeNode) else str(a) for a in self.args)


@dataclass
class PipeNode(Node):
    """``$x := cmd | cmd``."""

    decls: list[str]
    is_assign: bool
    cmds: list[CommandNode]

    def __str__(self) -> str:
        prefix = ""
        if self.decls:
            prefix = ", ".join(self.decls) + (" = " if self.is_assign else " := ")
        return prefix + " | ".join(str(c) for c in self.cmds)


@dataclass
class ChainNode(Node):
    """``(pipeline).A.B``."""

    node: Node
    names: list[str]

    def __str__(self) -> str:
        inner = f"({self.node})" if isinstance(self.node, PipeNode) else str(self.node)
        return inner + "".join("." + n for n in self.names)


@dataclass
class ListNode(Node):
    nodes: list[Node]


@dataclass
class ActionNode(Node):
    pipe: PipeNode

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


@dataclass
class BranchNode(Node):
    """Shared shape of if, range and with."""

    pipe: PipeNode
    body: ListNode
    else_body: ListNode | None


class IfNode(BranchNode):
    pass


class RangeNode(BranchNode):
    pass


class WithNode(BranchNode):
    pass


@dataclass
class BreakNode(Node):
    pass


@dataclass
class ContinueNode(Node):
    pass
