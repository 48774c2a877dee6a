"""docker's ``--format`` handling: ``table ...`` (header row, tabwriter), ``json``, or a raw
template printed once per item."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from skiff.cli.errors import FormatError
from skiff.cli.format.gotemplate import (
    Context,
    Template,
    TemplateExecError,
    TemplateParseError,
)
from skiff.cli.format.table import tabwrite

if TYPE_CHECKING:  # the functions come with the template engine: see Template.__init__
    from skiff.cli.format.gotemplate.funcs import Func

TABLE = "table"
JSON = "json"
JSON_TEMPLATE = "{{json .}}"


def _first(*args: Any) -> Any:
    return args[0] if args else ""


def header_funcs() -> dict[str, Func]:
    """In the header row docker's string functions return their argument unchanged."""
    # imported here: the template functions come with the template engine (see Template)
    from skiff.cli.format.gotemplate.funcs import Func

    return {name: Func(_first, 1, None) for name in
            ("json", "split", "join", "title", "lower", "upper", "pad", "truncate")}


class HeaderContext(Context):
    """What the header row is rendered from: field name -> column title ("" if unknown)."""

    type_name = "map[string]string"

    def __init__(self, headers: Mapping[str, str]) -> None:
        self.headers = headers

    def template_field(self, name: str) -> Any:
        header = self.headers.get(name, "")
        return lambda *args: str(args[0]) if args else header

    def template_json(self) -> Any:
        return dict(self.headers)


def is_table(spec: str) -> bool:
    return spec.startswith(TABLE)


def prepare(spec: str, default: str) -> tuple[str, bool]:
    """The template text to run and whether it is a table, as docker's preFormat does."""
    if spec in ("", TABLE):
        spec = default
    table = is_table(spec)
    text = spec[len(TABLE):] if table else JSON_TEMPLATE if spec == JSON else spec
    text = text.strip(" ").replace("\\t", "\t").replace("\\n", "\n")
    return text, table


PS_ERRORS = ("failed to parse template: ", "failed to execute template: ")
LEGACY_ERRORS = ("template parsing error: ", "template parsing error: ")


def parse(text: str, missingkey_error: bool = False, prefix: str = PS_ERRORS[0],
          name: str = "") -> Template:
    try:
        return Template(text, missingkey_error, name=name)
    except TemplateParseError as exc:
        raise FormatError(f"{prefix}{exc}") from None


def render(spec: str, items: Sequence[Context], default: str,
           headers: Mapping[str, str], empty: Callable[[], Context] | None = None,
           errors: tuple[str, str] = PS_ERRORS) -> str:
    """The whole output for a list command (ps, images, history, ...)."""
    text, table = prepare(spec, default)
    template = parse(text, prefix=errors[0])
    rows: list[str] = []
    try:
        if empty is not None:
            template.execute(empty())  # docker checks the template on an empty row first
        for item in items:
            rows.append(template.execute(item) + "\n")
    except TemplateExecError as exc:
        raise FormatError(f"{errors[1]}{exc}") from None
    if not table:
        return "".join(rows)
    header_template = Template(text, funcs=header_funcs())
    try:
        header = header_template.execute(HeaderContext(headers))
    except TemplateExecError:
        header = ""
    return tabwrite(header + "\n" + "".join(rows))
