"""A subset of Go's text/template, enough for docker's ``--format`` flags.

Supported: text and actions with ``{{-``/``-}}`` trimming and comments; fields (``.A.B``, on
maps and on ``Context`` objects whose methods can take arguments); variables (``$``,
``$x := ...``); pipelines with ``|`` and parentheses; ``if``/``else if``/``else``, ``range``
(with ``$i, $v :=``, ``break``, ``continue``), ``with``; Go's builtin functions (and, or, not,
len, index, slice, print, printf, println, eq, ne, lt, le, gt, ge) and docker's (json, split,
join, title, lower, upper, pad, truncate). Not supported: define, template, block.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from skiff.cli.format.gotemplate.errors import (
    TemplateError,
    TemplateExecError,
    TemplateParseError,
)
from skiff.cli.format.gotemplate.values import (
    Context,
    NilList,
    NilMap,
    Struct,
    go_format,
    go_json,
)

if TYPE_CHECKING:  # the functions come with the template engine: see Template.__init__
    from skiff.cli.format.gotemplate.funcs import Func

__all__ = ["Context", "NilList", "NilMap", "Struct", "Template", "TemplateError",
           "TemplateExecError", "TemplateParseError", "go_format", "go_json"]


class Template:
    """A parsed template; ``missingkey_error`` makes missing map keys errors (as inspect)."""

    def __init__(self, text: str, missingkey_error: bool = False,
                 funcs: Mapping[str, Func] | None = None, name: str = "") -> None:
        # The lexer, parser, executor and functions are imported only once a template is
        # made: they cost ~14 ms (dataclasses, enum), while this package is imported by
        # every output context (for ``Context``), also in commands that print no template.
        from skiff.cli.format.gotemplate.funcs import BUILTINS
        from skiff.cli.format.gotemplate.parser import parse

        self.text = text
        self.name = name
        self.funcs = {**BUILTINS, **(funcs or {})}
        self.missingkey_error = missingkey_error
        try:
            self.tree = parse(text, self.funcs)
        except TemplateParseError as exc:
            if name:
                raise TemplateParseError(str(exc).replace("template: :",
                                                          f"template: {name}:", 1)) from None
            raise

    def execute(self, data: Any) -> str:
        """Render the template over ``data``."""
        from skiff.cli.format.gotemplate.execute import Executor  # lazily: see __init__

        executor = Executor(self.text, self.funcs, self.missingkey_error, self.name)
        return executor.run(self.tree, data)
