"""Walk a parsed template over data, with text/template's evaluation rules and error wording."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from skiff.cli.format.gotemplate.errors import TemplateExecError
from skiff.cli.format.gotemplate.funcs import Func, FuncError
from skiff.cli.format.gotemplate.lexer import line_of
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
)
from skiff.cli.format.gotemplate.values import Context, Struct, go_format, truth, type_name

_NO_FINAL = object()


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class Executor:
    """One execution: output buffer, variable stack, and the node being evaluated."""

    def __init__(self, text: str, funcs: Mapping[str, Func], missingkey_error: bool,
                 name: str = "") -> None:
        self.name = name
        self.text = text
        self.funcs = funcs
        self.missingkey_error = missingkey_error
        self.out: list[str] = []
        self.vars: list[tuple[str, Any]] = []
        self.node: Node | None = None

    def run(self, tree: ListNode, data: Any) -> str:
        self.vars = [("$", data)]
        self.walk_list(data, tree)
        return "".join(self.out)

    # errors
    def at(self, node: Node) -> None:
        self.node = node

    def error(self, message: str) -> TemplateExecError:
        node = self.node
        if node is None:
            return TemplateExecError(f'template: {self.name}:1: executing "{self.name}" '
                                     f'{message}')
        line = line_of(self.text, node.pos)
        col = node.pos - (self.text.rfind("\n", 0, node.pos) + 1)
        return TemplateExecError(f'template: {self.name}:{line}:{col}: executing '
                                 f'"{self.name}" at <{node}>: {message}')

    # statements
    def walk_list(self, dot: Any, tree: ListNode) -> None:
        for node in tree.nodes:
            self.walk(dot, node)

    def walk(self, dot: Any, node: Node) -> None:
        if isinstance(node, TextNode):
            self.out.append(node.text)
        elif isinstance(node, ActionNode):
            value = self.eval_pipeline(dot, node.pipe)
            if not node.pipe.decls:
                self.out.append("<no value>" if value is None else go_format(value))
        elif isinstance(node, RangeNode):
            self.walk_range(dot, node)
        elif isinstance(node, BranchNode):
            self.walk_if_with(dot, node)
        elif isinstance(node, BreakNode):
            raise _Break
        elif isinstance(node, ContinueNode):
            raise _Continue
        elif isinstance(node, ListNode):
            self.walk_list(dot, node)

    def walk_if_with(self, dot: Any, node: BranchNode) -> None:
        mark = len(self.vars)
        value = self.eval_pipeline(dot, node.pipe)
        try:
            if truth(value):
                self.walk_list(dot if isinstance(node, IfNode) else value, node.body)
            elif node.else_body is not None:
                self.walk_list(dot, node.else_body)
        finally:
            del self.vars[mark:]

    def walk_range(self, dot: Any, node: RangeNode) -> None:
        mark = len(self.vars)
        value = self.eval_pipeline(dot, node.pipe)
        del self.vars[mark:]
        items: list[tuple[Any, Any]]
        if value is None:
            items = []
        elif isinstance(value, Mapping):
            items = [(k, value[k]) for k in sorted(value)]
        elif isinstance(value, list | tuple):
            items = list(enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            items = [(i, i) for i in range(value)]
        else:
            self.at(node.pipe)
            raise self.error(f"range can't iterate over {go_format(value)}")
        if not items:
            if node.else_body is not None:
                self.walk_list(dot, node.else_body)
            return
        for key, elem in items:
            if len(node.pipe.decls) == 1:
                self.vars.append((node.pipe.decls[0], elem))
            elif len(node.pipe.decls) == 2:
                self.vars.append((node.pipe.decls[0], key))
                self.vars.append((node.pipe.decls[1], elem))
            try:
                self.walk_list(elem, node.body)
            except _Continue:
                pass
            except _Break:
                break
            finally:
                del self.vars[mark:]

    # expressions
    def eval_pipeline(self, dot: Any, pipe: PipeNode) -> Any:
        value: Any = _NO_FINAL
        for cmd in pipe.cmds:
            value = self.eval_command(dot, cmd, value)
        for name in pipe.decls:
            if pipe.is_assign:
                for i in range(len(self.vars) - 1, -1, -1):
                    if self.vars[i][0] == name:
                        self.vars[i] = (name, value)
                        break
            else:
                self.vars.append((name, value))
        return value

    def eval_command(self, dot: Any, cmd: CommandNode, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, IdentNode):
            return self.call_function(dot, cmd, first.name, cmd.args[1:], final)
        if isinstance(first, FieldNode):
            return self.eval_fields(dot, dot, first, first.names, cmd.args[1:], final)
        if isinstance(first, VariableNode):
            receiver = self.variable(first)
            if not first.names:
                self.no_args(cmd, final)
                return receiver
            return self.eval_fields(dot, receiver, first, first.names, cmd.args[1:], final)
        if isinstance(first, ChainNode):
            receiver = self.eval_arg(dot, first.node)
            return self.eval_fields(dot, receiver, first, first.names, cmd.args[1:], final)
        self.no_args(cmd, final)
        return self.eval_arg(dot, first)

    def no_args(self, cmd: CommandNode, final: Any) -> None:
        if len(cmd.args) > 1 or final is not _NO_FINAL:
            self.at(cmd.args[0])
            raise self.error(f"can't give argument to non-function {cmd.args[0]}")

    def eval_arg(self, dot: Any, node: Node) -> Any:
        self.at(node)
        if isinstance(node, DotNode):
            return dot
        if isinstance(node, NilNode):
            return None
        if isinstance(node, StringNode | NumberNode | BoolNode):
            return node.value
        if isinstance(node, FieldNode):
            return self.eval_fields(dot, dot, node, node.names, [], _NO_FINAL)
        if isinstance(node, VariableNode):
            value = self.variable(node)
            if node.names:
                return self.eval_fields(dot, value, node, node.names, [], _NO_FINAL)
            return value
        if isinstance(node, ChainNode):
            receiver = self.eval_arg(dot, node.node)
            return self.eval_fields(dot, receiver, node, node.names, [], _NO_FINAL)
        if isinstance(node, PipeNode):
            mark = len(self.vars)
            try:
                return self.eval_pipeline(dot, node)
            finally:
                del self.vars[mark:]
        if isinstance(node, IdentNode):
            return self.call_function(dot, CommandNode(node.pos, [node]), node.name, [],
                                      _NO_FINAL)
        raise self.error(f"can't handle {node}")

    def variable(self, node: VariableNode) -> Any:
        for name, value in reversed(self.vars):
            if name == node.name:
                return value
        self.at(node)
        raise self.error(f"undefined variable: {node.name}")

    def eval_fields(self, dot: Any, receiver: Any, node: Node, names: list[str],
                    args: list[Node], final: Any) -> Any:
        self.at(node)
        for i, name in enumerate(names):
            last = i == len(names) - 1
            receiver = self.field(dot, receiver, name, args if last else [],
                                  final if last else _NO_FINAL, node)
        return receiver

    def field(self, dot: Any, receiver: Any, name: str, args: list[Node], final: Any,
              node: Node) -> Any:
        has_args = bool(args) or final is not _NO_FINAL
        if isinstance(receiver, Context):
            try:
                attr = receiver.template_field(name)
            except KeyError:
                raise self.error(f"can't evaluate field {name} in type "
                                 f"{receiver.type_name}") from None
            if callable(attr):
                values = [self.eval_arg(dot, a) for a in args]
                if final is not _NO_FINAL:
                    values.append(final)
                self.at(node)
                try:
                    return attr(*values)
                except TypeError:
                    raise self.error(f"wrong number of args for {name}: got "
                                     f"{len(values)}") from None
            if has_args:
                raise self.error(f"{name} has arguments but cannot be invoked as function")
            return attr
        if isinstance(receiver, Struct) and receiver.type_name and name not in receiver:
            raise self.error(f"can't evaluate field {name} in type {receiver.type_name}")
        if isinstance(receiver, Mapping):
            if has_args:
                raise self.error(f"{name} is not a method but has arguments")
            if name in receiver:
                return receiver[name]
            if self.missingkey_error:
                raise self.error(f'map has no entry for key "{name}"')
            return None
        if receiver is None:
            raise self.error(f"nil pointer evaluating interface {{}}.{name}")
        raise self.error(f"can't evaluate field {name} in type {type_name(receiver)}")

    def call_function(self, dot: Any, cmd: CommandNode, name: str, args: list[Node],
                      final: Any) -> Any:
        func = self.funcs[name]
        values = [self.eval_arg(dot, a) for a in args]
        if final is not _NO_FINAL:
            values.append(final)
        self.at(cmd)
        if len(values) < func.min_args or (func.max_args is not None and
                                           len(values) > func.max_args):
            want = func.min_args if func.max_args == func.min_args else \
                f"at least {func.min_args}" if func.max_args is None else func.min_args
            raise self.error(f"wrong number of args for {name}: want {want} got {len(values)}")
        try:
            return func.fn(*values)
        except FuncError as exc:
            raise self.error(f"error calling {name}: {exc}") from None
        except (TypeError, AttributeError, ValueError) as exc:
            raise self.error(f"error calling {name}: {exc}") from None
