"""Compose files as YAML 1.2 trees (anchors, merge keys), with the ``!reset`` and ``!override``
tags kept as markers for the merge."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from skiff.errdefs import InvalidParameter


@dataclass(frozen=True)
class Reset:
    """``!reset``: the attribute is cleared by this file."""


@dataclass(frozen=True)
class Override:
    """``!override``: the attribute is this value, not merged with the one before."""

    value: Any


def _plain(constructor: SafeConstructor, node: Node) -> Any:
    if isinstance(node, MappingNode):
        constructor.flatten_mapping(node)
        return {constructor.construct_object(k, deep=True): constructor.construct_object(
            v, deep=True) for k, v in node.value}
    if isinstance(node, SequenceNode):
        return [constructor.construct_object(v, deep=True) for v in node.value]
    if isinstance(node, ScalarNode):
        return constructor.construct_scalar(node)
    return None


def _int(constructor: SafeConstructor, node: Node) -> Any:
    """Integers as compose reads them: a leading 0 makes an octal number (``mode: 0440``),
    as in YAML 1.1 and compose's own parser."""
    text = str(node.value).replace("_", "")
    if len(text) > 1 and text[0] == "0" and text.isdigit() and all(c in "01234567"
                                                                 for c in text):
        return int(text, 8)
    return SafeConstructor.construct_yaml_int(constructor, node)


def _reset(constructor: SafeConstructor, node: Node) -> Reset:
    return Reset()


def _override(constructor: SafeConstructor, node: Node) -> Override:
    return Override(_plain(constructor, node))


def _parser() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.constructor.add_constructor("tag:yaml.org,2002:int", _int)
    yaml.constructor.add_constructor("!reset", _reset)
    yaml.constructor.add_constructor("!override", _override)
    return yaml


def parse(text: str, name: str) -> dict[str, Any]:
    """A compose file's top-level mapping; a file that is not one is a one-line error."""
    try:
        data = _parser().load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InvalidParameter(f"yaml: {name}:{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidParameter(f"{name}: top-level object must be a mapping")
    return data


def load(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidParameter(f"open {path}: {exc.strerror}") from None
    return parse(text, str(path))


def dump(data: Any) -> str:
    """YAML as ``docker compose config`` prints it: block style, keys in the given order."""
    import io

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
