"""Log tags from Docker's templates: ``{{.ID}}``, ``{{.FullID}}``, ``{{.Name}}``,
``{{.ImageID}}``, ``{{.ImageFullID}}``, ``{{.ImageName}}``, ``{{.DaemonName}}``, and the
options ``labels``/``labels-regex``/``env``/``env-regex`` that pick extra attributes."""

from __future__ import annotations

import re

from skiff.drivers.logging.base import LogContext
from skiff.errdefs import InvalidParameter

DEFAULT = "{{.ID}}"
_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
_FIELD = re.compile(r"\.([A-Za-z_]\w*)")
FIELDS = ("ID", "FullID", "Name", "ImageID", "ImageFullID", "ImageName", "DaemonName")


def _fields(context: LogContext) -> dict[str, str]:
    image_id = context.image_id.removeprefix("sha256:")
    return {"ID": context.container_id[:12], "FullID": context.container_id,
            "Name": context.name, "ImageID": image_id[:12], "ImageFullID": image_id,
            "ImageName": context.image_name, "DaemonName": "docker"}


def check(template: str) -> None:
    """Refuse a template that does not parse or names no such field, in Go's words."""
    rest = _ACTION.sub("", template)
    if "{{" in rest:
        raise InvalidParameter("template: log-tag:1: unclosed action")
    for action in _ACTION.findall(template):
        match = _FIELD.fullmatch(action)
        if match is None:
            raise InvalidParameter(f'template: log-tag:1: function "{action.split()[0]}" '
                                   f"not defined" if action else
                                   "template: log-tag:1: missing value for command")
        if match.group(1) not in FIELDS:
            raise InvalidParameter(f"template: log-tag:1:{template.index(action) + 1}: "
                                   f"executing \"log-tag\" at <.{match.group(1)}>: can't "
                                   f"evaluate field {match.group(1)} in type *logger.Info")


def render(template: str, context: LogContext) -> str:
    """The tag for ``context`` (templates are checked when the container is created)."""
    fields = _fields(context)
    return _ACTION.sub(lambda m: fields.get(m.group(1).lstrip("."), ""), template or DEFAULT)


def extra_attributes(options: dict[str, str], context: LogContext) -> dict[str, str]:
    """The labels and environment variables the options ask drivers to attach."""
    out: dict[str, str] = {}
    wanted = [k for k in options.get("labels", "").split(",") if k]
    pattern = options.get("labels-regex")
    for key, value in context.labels.items():
        if key in wanted or (pattern and re.match(pattern, key)):
            out[key] = value
    env = dict(item.split("=", 1) for item in context.env if "=" in item)
    wanted = [k for k in options.get("env", "").split(",") if k]
    pattern = options.get("env-regex")
    for key, value in env.items():
        if key in wanted or (pattern and re.match(pattern, key)):
            out[key] = value
    return out
