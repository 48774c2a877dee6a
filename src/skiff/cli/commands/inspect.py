"""``inspect`` for containers and images: raw JSON re-indented, or a template per object."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from skiff.cli.commands.common import Subparsers, add_format_flag, command
from skiff.cli.errors import StatusError
from skiff.cli.format.formatter import JSON, JSON_TEMPLATE
from skiff.cli.format.gotemplate import Template, TemplateError
from skiff.cli.format.jsonindent import indent_list
from skiff.cli.format.typed import typed
from skiff.cli.parser import check_args
from skiff.cli.session import Session
from skiff.client import APIError

if TYPE_CHECKING:  # at run time, Client would load http.client (see skiff.client)
    from skiff.client import Client

Getter = Callable[["Client", str, bool], bytes]


def _container(client: Client, ref: str, size: bool) -> bytes:
    return client.containers.inspect_raw(ref, size)


def _image(client: Client, ref: str, size: bool) -> bytes:
    return client.images.inspect_raw(ref)


def _network(client: Client, ref: str, size: bool) -> bytes:
    return client.networks.inspect_raw(ref)


def _volume(client: Client, ref: str, size: bool) -> bytes:
    return client.volumes.inspect_raw(ref)


def _volume_struct(raw: bytes) -> bytes:
    """``volume inspect`` re-encodes volume.Volume (``docker inspect`` prints it raw)."""
    data = json.loads(raw)
    usage = data.get("UsageData") if isinstance(data, dict) else None
    if not isinstance(usage, dict):
        return raw
    # the docker CLI re-encodes volume.Volume: UsageData is {RefCount, Size}
    data["UsageData"] = {"RefCount": usage.get("RefCount"), "Size": usage.get("Size")}
    return json.dumps(data).encode()


KINDS: dict[str, Getter] = {"container": _container, "image": _image, "network": _network,
                            "volume": _volume}


def _find(client: Client, ref: str, kind: str | None, size: bool) -> bytes:
    kinds = [kind] if kind else list(KINDS)
    for name in kinds:
        try:
            raw = KINDS[name](client, ref, size)
            return _volume_struct(raw) if kind == "volume" else raw
        except APIError as exc:
            if not exc.not_found:
                raise
            if kind:
                raise StatusError(1, str(exc)) from None
    raise StatusError(1, f"Error: No such object: {ref}")


def show(session: Session, refs: list[str], kind: str | None, spec: str, size: bool) -> int:
    """Print the objects; errors for missing ones come last (exit 1), as docker does."""
    client = session.client
    if kind is not None and kind not in KINDS:
        raise StatusError(1, f'"{kind}" is not a valid value for --type')
    template = None
    if spec:
        text = JSON_TEMPLATE if spec == JSON else spec.replace("\\t", "\t").replace("\\n", "\n")
        try:
            template = Template(text, missingkey_error=True)
        except TemplateError as exc:
            raise StatusError(1, f"template parsing error: {exc}") from None
    raw: list[str] = []
    errors: list[str] = []
    for ref in refs:
        try:
            body = _find(client, ref, kind, size).decode()
        except StatusError as exc:
            errors.append(exc.message or "")
            continue
        if template is None:
            raw.append(body)
            continue
        data: Any = typed(json.loads(body))
        try:
            session.print(template.execute(data))
        except TemplateError as exc:
            session.print()
            raise StatusError(1, f"template parsing error: {exc}") from None
    if template is None:
        session.print(indent_list(raw))
    if errors:
        raise StatusError(1, "\n".join(errors))
    return 0


def inspect(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.names, 1)
    return show(session, args.names, getattr(args, "type", None) or args.kind, args.format,
                getattr(args, "size", False))


def add_inspect(sub: Subparsers, name: str = "inspect", kind: str | None = None) -> None:
    noun = (kind or "object").upper()
    p = command(sub, name, inspect, f"[OPTIONS] {noun} [{noun}...]",
                "Return low-level information on " + (f"one or more {kind}s" if kind
                                                       else "Docker objects"))
    add_format_flag(p, short=True)
    if kind in (None, "container"):
        p.add_argument("-s", "--size", action="store_true",
                       help="Display total file sizes" + (" if the type is container"
                                                          if kind is None else ""))
    if kind is None:
        p.add_argument("--type", help="Only inspect objects of the given type")
    p.add_argument("names", nargs="*", metavar=noun)
    p.set_defaults(kind=kind)
