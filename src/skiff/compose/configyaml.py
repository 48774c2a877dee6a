"""``config``'s YAML as docker compose v2 prints it: compose-go's project through go-yaml v3
(struct fields in order, maps sorted, ``omitempty`` leaving out zero structs too, strings that
would read back as another type double-quoted)."""

from __future__ import annotations

import io
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import Node, ScalarNode
from ruamel.yaml.representer import SafeRepresenter

from skiff.compose import gojson as g
from skiff.compose.configjson import project_config
from skiff.compose.model import Project

# what go-yaml quotes for YAML 1.1 readers besides what it resolves itself
_OLD_BOOLS = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON",
              "off", "Off", "OFF"}
_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")


class _Float(str):
    """A float32 already written as Go writes it."""


def _zero(value: Any) -> bool:
    if isinstance(value, g.Ptr):
        return False
    if isinstance(value, g.Struct):
        return all(_zero(v) for v in value.values())
    return g.empty(value)


def _tree(value: Any) -> Any:
    """Plain data for the dumper, in the order go-yaml writes it."""
    if isinstance(value, g.Ptr):
        return _tree(value.value)
    if isinstance(value, g.Number):
        return _Float(value)
    if isinstance(value, g.Ulimit):
        return {"soft": value.get("soft", 0), "hard": value.get("hard", 0)}
    if isinstance(value, g.Struct):
        out = {k: _tree(v) for k, v in value.items() if v is not None and
               not isinstance(v, g.Extensions) and not (isinstance(v, g.Value) and _zero(v))}
        for inline in (v for v in value.values() if isinstance(v, g.Extensions)):
            out.update(_tree(dict(inline)))
        return out
    if isinstance(value, dict):
        return {k: _tree(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_tree(v) for v in value]
    return value


class _Representer(SafeRepresenter):
    def represent_str(self, data: str) -> Node:
        style = None
        if "\n" in data:
            style = "|"
        elif data in _OLD_BOOLS or _BASE60.match(data) or self._reads_as_other(data):
            style = '"'
        return self.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    def _reads_as_other(self, data: str) -> bool:
        resolver = self.dumper.resolver  # type: ignore[attr-defined]
        tag = resolver.resolve(ScalarNode, data, (True, False))
        return str(tag) != "tag:yaml.org,2002:str"

    def represent_float32(self, data: _Float) -> Node:
        whole = str(data).lstrip("-").isdigit()  # 2, not 2.0: written plain all the same
        return self.represent_scalar(f"tag:yaml.org,2002:{'int' if whole else 'float'}",
                                     str(data))


_Representer.add_representer(str, _Representer.represent_str)
_Representer.add_representer(_Float, _Representer.represent_float32)


def render(project: Project) -> str:
    """The project's YAML, as ``docker compose config`` prints it."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Representer = _Representer
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(_tree(g.Struct(project_config(project))), out)
    return out.getvalue()
