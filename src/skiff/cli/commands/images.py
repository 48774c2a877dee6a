"""Image commands: images (image ls), history, tag, rmi, image prune, import, load, save."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from typing import IO

from skiff.cli import reference
from skiff.cli.commands.common import (
    Subparsers,
    add_filter_flag,
    add_format_flag,
    command,
    confirm,
    filters_from,
)
from skiff.cli.commands.pull import show_progress
from skiff.cli.errors import StatusError
from skiff.cli.format import images as fmt
from skiff.cli.format.formatter import LEGACY_ERRORS, render
from skiff.cli.format.units import human_size
from skiff.cli.parser import check_args
from skiff.cli.session import Session
from skiff.cli.terminal import is_terminal
from skiff.client import APIError
from skiff.client.errors import StreamError


def images(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.repository, 0, 1)
    filters = filters_from(args)
    if args.repository:
        filters.setdefault("reference", []).append(args.repository[0])
    spec = args.format
    if args.quiet and not spec:
        spec = fmt.QUIET
    elif not spec or spec == "table":
        spec = fmt.DEFAULT_DIGESTS if args.digests else fmt.DEFAULT
    found = session.client.images.list(all=args.all, filters=filters)
    rows = [row for image in found
            for row in fmt.image_rows(image, args.digests, trunc=not args.no_trunc)]
    session.out.write(render(spec, rows, fmt.DEFAULT, fmt.HEADERS, errors=LEGACY_ERRORS))
    return 0


def history(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.images, 1, 1)
    entries = session.client.images.history(args.images[0])
    spec = args.format
    if args.quiet and not spec:
        spec = "{{.ID}}"
    elif not spec or spec == "table":
        spec = fmt.HISTORY_DEFAULT
        if not args.human:
            spec = spec.replace("{{.CreatedSince}}", "{{.CreatedAt}}")
    rows = [fmt.HistoryContext(e, trunc=not args.no_trunc, human=args.human) for e in entries]
    session.out.write(render(spec, rows, fmt.HISTORY_DEFAULT, fmt.HISTORY_HEADERS,
                             errors=LEGACY_ERRORS))
    return 0


def tag(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.images, 2, 2)
    source, target = args.images
    try:
        ref = reference.parse(target)
    except reference.ReferenceError as exc:
        raise StatusError(1, f"Error parsing reference: \"{target}\" is not a valid repository"
                             f"/tag: {exc}") from None
    if ref.digest:
        raise StatusError(1, "refusing to create a tag with a digest reference")
    session.client.images.tag(source, ref.name, ref.tag or reference.DEFAULT_TAG)
    return 0


def remove(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.images, 1)
    errors: list[str] = []
    for name in args.images:
        try:
            deleted = session.client.images.remove(name, args.force, args.no_prune)
        except APIError as exc:
            errors.append(str(exc))
            continue
        for item in deleted:
            if item.get("Untagged"):
                session.print(f"Untagged: {item['Untagged']}")
            if item.get("Deleted"):
                session.print(f"Deleted: {item['Deleted']}")
    if errors:
        raise StatusError(1, "\n".join(errors))
    return 0


def prune(session: Session, args: argparse.Namespace) -> int:
    warning = ("WARNING! This will remove all images without at least one container "
               "associated to them." if args.all else
               "WARNING! This will remove all dangling images.")
    filters = filters_from(args)
    if not confirm(session, warning + "\nAre you sure you want to continue?", args.force):
        return 0
    filters["dangling"] = ["false" if args.all else "true"]
    report = session.client.images.prune(filters)
    print_image_prune(session, report)
    session.print(f"Total reclaimed space: {human_size(report.get('SpaceReclaimed') or 0)}")
    return 0


def print_image_prune(session: Session, report: dict[str, object]) -> None:
    deleted = report.get("ImagesDeleted") or []
    if not deleted or not isinstance(deleted, list):
        return
    session.print("Deleted Images:")
    for item in deleted:
        if item.get("Untagged"):
            session.print(f"untagged: {item['Untagged']}")
        if item.get("Deleted"):
            session.print(f"deleted: {item['Deleted']}")
    session.print()


@contextlib.contextmanager
def _source(path: str) -> Iterator[IO[bytes]]:
    if path == "-":
        yield sys.stdin.buffer
        return
    try:
        fh = open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise StatusError(1, f"open {path}: {(exc.strerror or str(exc)).lower()}") from None
    with fh:
        yield fh


def import_(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.args, 1)
    source = args.args[0]
    repo = tag_name = None
    if len(args.args) == 2:
        try:
            ref = reference.parse(args.args[1])
        except reference.ReferenceError as exc:
            raise StatusError(1, str(exc)) from None
        repo, tag_name = ref.name, ref.tag or None
    client = session.client
    try:
        if source.startswith(("http://", "https://")):
            messages = client.images.import_image(None, repo, tag_name, args.message,
                                                  args.change, from_src=source,
                                                  platform=args.platform)
            show_progress(messages, session.out)
        else:
            with _source(source) as body:
                messages = client.images.import_image(body, repo, tag_name, args.message,
                                                      args.change, platform=args.platform)
                show_progress(messages, session.out)
    except StreamError as exc:
        raise StatusError(1, exc.message) from None
    return 0


def load(session: Session, args: argparse.Namespace) -> int:
    if args.input is None and is_terminal(sys.stdin.fileno()):
        raise StatusError(1, "requested load from stdin, but stdin is empty")
    try:
        with _source(args.input or "-") as body:
            show_progress(session.client.images.load(body, args.quiet), session.out)
    except StreamError as exc:
        raise StatusError(1, exc.message) from None
    return 0


def save(session: Session, args: argparse.Namespace) -> int:
    check_args(args, args.images, 1)
    if args.output is None and is_terminal(sys.stdout.fileno()):
        raise StatusError(1, "cowardly refusing to save to a terminal. Use the -o flag or "
                             "redirect")
    chunks = session.client.images.save(args.images)
    if args.output is None:
        out = session.out_bytes
        for chunk in chunks:
            out.write(chunk)
        out.flush()
        return 0
    partial = args.output + ".skiff-partial"
    try:
        with open(partial, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
    except OSError as exc:
        raise StatusError(1, f"failed to save image: {exc}") from None
    os.replace(partial, args.output)
    return 0


def add_images(sub: Subparsers, name: str = "images", aliases: tuple[str, ...] = ()) -> None:
    p = command(sub, name, images, "[OPTIONS] [REPOSITORY[:TAG]]", "List images",
                aliases=aliases)
    p.add_argument("-a", "--all", action="store_true",
                   help="Show all images (default hides intermediate images)")
    p.add_argument("--digests", action="store_true", help="Show digests")
    add_filter_flag(p)
    add_format_flag(p)
    p.add_argument("--no-trunc", action="store_true", help="Don't truncate output")
    p.add_argument("-q", "--quiet", action="store_true", help="Only show image IDs")
    p.add_argument("repository", nargs="*", metavar="REPOSITORY[:TAG]")


def add_history(sub: Subparsers, name: str = "history") -> None:
    p = command(sub, name, history, "[OPTIONS] IMAGE", "Show the history of an image",
                add_help=False)
    add_format_flag(p)
    p.add_argument("-H", "--human", action="store_true", default=True,
                   help="Print sizes and dates in human readable format")
    p.add_argument("--no-trunc", action="store_true", help="Don't truncate output")
    p.add_argument("--platform", help="Show history for the given platform")
    p.add_argument("-q", "--quiet", action="store_true", help="Only show image IDs")
    p.add_argument("images", nargs="*", metavar="IMAGE")


def add_tag(sub: Subparsers, name: str = "tag") -> None:
    p = command(sub, name, tag, "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
                "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE")
    p.add_argument("images", nargs="*")


def add_rmi(sub: Subparsers, name: str = "rmi", aliases: tuple[str, ...] = ()) -> None:
    p = command(sub, name, remove, "[OPTIONS] IMAGE [IMAGE...]",
                "Remove one or more images", aliases=aliases)
    p.add_argument("-f", "--force", action="store_true", help="Force removal of the image")
    p.add_argument("--no-prune", action="store_true", help="Do not delete untagged parents")
    p.add_argument("images", nargs="*", metavar="IMAGE")


def add_image_prune(sub: Subparsers, name: str = "prune") -> None:
    p = command(sub, name, prune, "[OPTIONS]", "Remove unused images")
    p.add_argument("-a", "--all", action="store_true",
                   help="Remove all unused images, not just dangling ones")
    add_filter_flag(p, "Provide filter values (e.g. \"until=<timestamp>\")", short=False)
    p.add_argument("-f", "--force", action="store_true", help="Do not prompt for confirmation")


def add_import(sub: Subparsers, name: str = "import") -> None:
    p = command(sub, name, import_, "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
                "Import the contents from a tarball to create a filesystem image")
    p.add_argument("-c", "--change", action="append", default=[],
                   help="Apply Dockerfile instruction to the created image")
    p.add_argument("-m", "--message", help="Set commit message for imported image")
    p.add_argument("--platform", help="Set platform if server is multi-platform capable")
    p.add_argument("args", nargs="*")


def add_load(sub: Subparsers, name: str = "load") -> None:
    p = command(sub, name, load, "[OPTIONS]", "Load an image from a tar archive or STDIN")
    p.add_argument("-i", "--input", help="Read from tar archive file, instead of STDIN")
    p.add_argument("-q", "--quiet", action="store_true", help="Suppress the load output")


def add_save(sub: Subparsers, name: str = "save") -> None:
    p = command(sub, name, save, "[OPTIONS] IMAGE [IMAGE...]",
                "Save one or more images to a tar archive (streamed to STDOUT by default)")
    p.add_argument("-o", "--output", help="Write to a file, instead of STDOUT")
    p.add_argument("images", nargs="*", metavar="IMAGE")
