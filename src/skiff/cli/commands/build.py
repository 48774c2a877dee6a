"""``skiff build`` and ``skiff commit``: images from a Dockerfile and from a container."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tarfile
import urllib.parse
from typing import Any

from skiff.api import buildoptions
from skiff.cli import buildprogress
from skiff.cli.commands.common import Subparsers, command
from skiff.cli.errors import StatusError
from skiff.cli.parser import check_args
from skiff.cli.session import Session
from skiff.client.buildcontext import ContextError, context_tar
from skiff.client.errors import StreamError
from skiff.client.streams import raise_stream_errors


def build(session: Session, args: argparse.Namespace) -> int:
    check_args(args, [args.path] if args.path else [], 1, 1)
    remote = args.path.startswith(("http://", "https://", "git@", "git://", "ssh://",
                                   "github.com/"))
    if remote:  # skiffd fetches it, as dockerd does for a URL
        body, dockerfile = b"", args.file or "Dockerfile"
    elif args.path == "-":
        body, dockerfile = sys.stdin.buffer.read(), args.file or "Dockerfile"
        if not body.startswith(b"\x1f\x8b") and b"\0" not in body[:512]:
            body, dockerfile = _dockerfile_only(body), "Dockerfile"
    else:
        try:
            body, dockerfile = context_tar(args.path, args.file)
        except ContextError as exc:
            raise StatusError(1, str(exc)) from None
    build_args = {}
    for item in args.build_arg:
        key, sep, value = item.partition("=")
        build_args[key] = value if sep else os.environ.get(key)
    labels = dict(item.partition("=")[::2] for item in args.label)
    query: dict[str, Any] = {
        "t": args.tag or None, "dockerfile": dockerfile, "target": args.target or None,
        "buildargs": json.dumps(build_args) if build_args else None,
        "labels": json.dumps(labels) if labels else None,
        "nocache": args.no_cache or None, "pull": args.pull or None,
        "q": args.quiet or args.progress == "quiet" or None,
        "networkmode": args.network or None,
        "extrahosts": ",".join(args.add_host) or None, "platform": args.platform or None,
        "rm": True, "forcerm": True, "remote": args.path if remote else None}
    secrets = _secrets(args.secret)
    headers = {"X-Skiff-Build-Secrets": buildoptions.encode_secrets(secrets)} if secrets else {}
    if args.ssh:
        headers["X-Skiff-Build-SSH"] = json.dumps(_ssh(args.ssh))
    headers["X-Skiff-Build-Identity"] = _identity(args)
    progress = _progress(session, args, bool(query["q"]))
    if progress is not None:
        headers["X-Skiff-Progress"] = "1"
    image_id = ""
    try:
        try:
            for message in raise_stream_errors(session.client.images.build(body, query,
                                                                           headers)):
                if not isinstance(message, dict):
                    continue
                if isinstance(message.get("aux"), dict) and message["aux"].get("ID"):
                    image_id = str(message["aux"]["ID"])
                elif isinstance(message.get("skiff"), dict) and progress is not None:
                    progress.handle(message["skiff"])
                elif "stream" in message and not query["q"] and progress is None:
                    session.out.write(str(message["stream"]))
                    session.out.flush()
        finally:
            if progress is not None:
                progress.finish()
    except StreamError as exc:
        raise StatusError(exc.code or 1, exc.message) from None
    if progress is not None and args.explain:
        buildprogress.explain(session.out, progress.vertices)
    if query["q"]:
        session.out.write(image_id + "\n")
    elif progress is not None and image_id:
        tags = "".join(f"\nnaming to {t}" for t in args.tag)
        session.out.write(f"writing image {image_id}{tags}\n")
    if args.iidfile and image_id:
        with open(args.iidfile, "w") as handle:
            handle.write(image_id)
    return 0


def _identity(args: argparse.Namespace) -> str:
    """Which Dockerfile this is, for comparing with its last build (``--explain``)."""
    if args.path == "-":
        return urllib.parse.quote(f"stdin:{os.getcwd()}")
    if "://" in args.path or args.path.startswith(("git@", "github.com/")):
        return urllib.parse.quote(f"{args.path}:{args.file or ''}")
    dockerfile = os.path.abspath(args.file) if args.file else ""
    return urllib.parse.quote(f"{os.path.abspath(args.path)}:{dockerfile}")


def _progress(session: Session, args: argparse.Namespace,
              quiet: bool) -> buildprogress.Plain | None:
    """BuildKit-style progress for a terminal or plain text; none with -q or
    ``--progress=classic`` (the classic builder's own lines)."""
    if quiet or args.progress == "classic":
        return None
    tty = args.progress == "tty" or (args.progress == "auto" and session.out.isatty())
    return buildprogress.Live(session.out) if tty else buildprogress.Plain(session.out)


def _ssh(specs: list[str]) -> dict[str, str]:
    """``--ssh default`` (the agent of $SSH_AUTH_SOCK) or ``--ssh ID=SOCKET``: the agents a
    RUN --mount=type=ssh reaches, by id (their sockets are bound in on skiffd's host)."""
    agents: dict[str, str] = {}
    for spec in specs:
        ident, _, path = spec.partition("=")
        path = path or os.environ.get("SSH_AUTH_SOCK", "")
        if not ident or not path:
            raise StatusError(1, f"invalid ssh {spec!r}: --ssh {ident or 'default'} needs "
                                 f"SSH_AUTH_SOCK or ID=SOCKET")
        if "," in path:
            raise StatusError(1, f"invalid ssh {spec!r}: skiff forwards an agent socket, not "
                                 f"key files")
        agents[ident] = os.path.abspath(os.path.expanduser(path))
    return agents


def _secrets(specs: list[str]) -> dict[str, bytes]:
    """``--secret id=x,src=FILE`` or ``id=x,env=VAR`` (``id=x`` alone: the variable x)."""
    secrets: dict[str, bytes] = {}
    for spec in specs:
        fields = dict(part.partition("=")[::2] for part in spec.split(","))
        ident = fields.get("id", "")
        if not ident:
            raise StatusError(1, f"invalid secret {spec!r}: it needs an id")
        source = fields.get("src") or fields.get("source")
        if source:
            try:
                with open(os.path.expanduser(source), "rb") as handle:
                    secrets[ident] = handle.read()
            except OSError as exc:
                raise StatusError(1, f"failed to read secret {ident} from {source}: "
                                     f"{exc.strerror}") from None
            continue
        variable = fields.get("env") or ident
        if variable not in os.environ:
            raise StatusError(1, f"secret {ident}: environment variable {variable} is not set")
        secrets[ident] = os.environ[variable].encode()
    return secrets


def _dockerfile_only(text: bytes) -> bytes:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
    return data.getvalue()


def commit(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.args, 1, 2)
    container, *target = args.args
    repo, tag = "", ""
    if target:
        repo, sep, tag = target[0].rpartition(":")
        if not sep or "/" in tag:
            repo, tag = target[0], ""
    query = {"repo": repo or None, "tag": tag or None, "author": args.author or None,
             "comment": args.message or None, "changes": args.change or None,
             "pause": "1" if args.pause else "0"}
    session.out.write(session.client.images.commit(container, query) + "\n")
    return 0


def add_build(sub: Subparsers, name: str = "build", aliases: tuple[str, ...] = ()) -> None:
    p = command(sub, name, build, "[OPTIONS] PATH | -", "Build an image from a Dockerfile",
                aliases=aliases)
    p.add_argument("-t", "--tag", action="append", default=[],
                   help="Name and optionally a tag in the \"name:tag\" format")
    p.add_argument("-f", "--file", help="Name of the Dockerfile (default: \"PATH/Dockerfile\")")
    p.add_argument("--target", help="Set the target build stage to build")
    p.add_argument("--build-arg", action="append", default=[], help="Set build-time variables")
    p.add_argument("--label", action="append", default=[], help="Set metadata for an image")
    p.add_argument("--no-cache", action="store_true",
                   help="Do not use cache when building the image")
    p.add_argument("--pull", action="store_true", help="Always attempt to pull a newer version")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="Suppress the build output and print image ID on success")
    p.add_argument("--progress", choices=("auto", "plain", "tty", "quiet", "classic"),
                   default="auto", help="Set type of progress output (\"auto\", \"plain\", "
                                        "\"tty\", \"quiet\", \"classic\")")
    p.add_argument("--explain", action="store_true",
                   help="Show each step's cache inputs and why a step missed the cache")
    p.add_argument("--network", help="Set the networking mode for the RUN instructions")
    p.add_argument("--add-host", action="append", default=[],
                   help="Add a custom host-to-IP mapping (\"host:ip\")")
    p.add_argument("--platform", help="Set platform if server is multi-platform capable")
    p.add_argument("--iidfile", help="Write the image ID to the file")
    p.add_argument("--secret", action="append", default=[],
                   help="Secret to expose to the build (format: \"id=mysecret[,src=/local/secret]"
                        "\")")
    p.add_argument("--ssh", action="append", default=[],
                   help="SSH agent socket to expose to the build (format: "
                        "\"default|<id>[=<socket>]\")")
    p.add_argument("path", nargs="?", metavar="PATH")


def add_commit(sub: Subparsers, name: str = "commit", aliases: tuple[str, ...] = ()) -> None:
    p = command(sub, name, commit, "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
                "Create a new image from a container's changes", aliases=aliases)
    p.add_argument("-a", "--author", help="Author (e.g., \"John Hannibal Smith <hannibal@a-team."
                                          "com>\")")
    p.add_argument("-c", "--change", action="append", default=[],
                   help="Apply Dockerfile instruction to the created image")
    p.add_argument("-m", "--message", help="Commit message")
    p.add_argument("-p", "--pause", action=argparse.BooleanOptionalAction, default=True,
                   help="Pause container during commit")
    p.add_argument("args", nargs="*")
