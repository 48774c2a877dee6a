"""A build context as a client sends it to ``POST /build``: a tar of the directory with
``.dockerignore`` applied."""

from __future__ import annotations

import io
import os
import posixpath
import secrets
import tarfile

from skiff.api import dockerignore


class ContextError(ValueError):
    """A context that cannot be sent (a missing directory or Dockerfile)."""


def context_tar(directory: str, dockerfile: str | None) -> tuple[bytes, str]:
    """The context as the client sends it: .dockerignore applied (the Dockerfile and the
    ignore file itself always sent), a Dockerfile from outside the context added under a name
    of its own. Returns the tar and the Dockerfile's name in it."""
    root = os.path.abspath(directory)
    if not os.path.isdir(root):
        raise ContextError(f"unable to prepare context: path {directory!r} not found")
    given = dockerfile or os.path.join(root, "Dockerfile")
    path = given if os.path.isabs(given) or dockerfile is None else os.path.abspath(given)
    if dockerfile and not os.path.isabs(dockerfile) and not os.path.exists(path):
        path = os.path.join(root, dockerfile)
    if not os.path.isfile(path):
        raise ContextError(f"unable to prepare context: unable to evaluate symlinks in "
                           f"Dockerfile path: lstat {path}: no such file or directory")
    inside = os.path.commonpath([root, os.path.abspath(path)]) == root
    name = os.path.relpath(path, root).replace(os.sep, "/") if inside else \
        f".dockerfile.{secrets.token_hex(10)}"
    ignore_text = ""
    for candidate in (path + ".dockerignore", os.path.join(root, ".dockerignore")):
        if os.path.isfile(candidate):
            with open(candidate) as handle:
                ignore_text = handle.read()
            break
    matcher = dockerignore.Matcher(dockerignore.parse(ignore_text))
    keep = {name, ".dockerignore"}
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
            for entry in list(dirnames):
                rel = posixpath.normpath(f"{rel_dir}/{entry}")
                if matcher.excluded(rel) and not matcher.may_keep_inside(rel):
                    dirnames.remove(entry)
            for entry in [*dirnames, *sorted(filenames)]:
                rel = posixpath.normpath(f"{rel_dir}/{entry}")
                if rel in keep or not matcher.excluded(rel):
                    tar.add(os.path.join(dirpath, entry), rel, recursive=False)
        if not inside:
            tar.add(path, name)
    return data.getvalue(), name
