"""``config``'s output: the project in compose's canonical form (long syntax, resolved
names and paths, what is left unset left out), as YAML or JSON, written as docker compose v2
writes compose-go's types (:mod:`skiff.compose.configyaml`, :mod:`skiff.compose.configjson`)."""

from __future__ import annotations

from skiff.compose.model import Project


def render(project: Project, fmt: str = "yaml") -> str:
    if fmt == "json":
        from skiff.compose import configjson

        return configjson.render(project)
    from skiff.compose import configyaml

    return configyaml.render(project)
