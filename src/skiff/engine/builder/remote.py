"""What a build reads from elsewhere than its context: files over HTTP(S) for ``ADD <url>`` and
``remote=`` contexts, and Git repositories (with the ``git`` program), each bounded in time."""

from __future__ import annotations

import email.utils
import os
import posixpath
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from skiff.errdefs import InvalidParameter, NotFound

TIMEOUT = 300.0  # a whole download or clone
CHUNK = 1 << 20
_SHA = re.compile(r"[0-9a-f]{7,40}")


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def is_git(source: str) -> bool:
    """A Git address as BuildKit tells them: git@, git:// and ssh://, or http(s) ending in .git
    (before any ``#ref:dir`` fragment)."""
    if source.startswith(("git@", "git://", "ssh://")):
        return True
    return is_url(source) and urllib.parse.urldefrag(source).url.rstrip("/").endswith(".git")


@dataclass(frozen=True)
class GitSource:
    url: str
    ref: str = ""
    subdir: str = ""

    @classmethod
    def parse(cls, source: str) -> GitSource:
        """``url#ref:subdir`` (both parts of the fragment optional)."""
        url, _, fragment = source.partition("#")
        ref, _, subdir = fragment.partition(":")
        if ".." in subdir.split("/"):
            raise InvalidParameter(f"invalid git subdirectory: {subdir}")
        return cls(url, ref, subdir.strip("/"))


def _deadline_left(deadline: float, what: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise InvalidParameter(f"{what} did not finish within {TIMEOUT:.0f} s")
    return left


def download(url: str, dest_dir: Path, name: str = "") -> Path:
    """The file at ``url`` in ``dest_dir`` (named after the URL's path unless ``name``), mode
    0600, with the server's Last-Modified time when it sends one."""
    filename = name or posixpath.basename(urllib.parse.urlparse(url).path.rstrip("/"))
    if not filename or filename in (".", ".."):
        raise InvalidParameter(f"cannot determine a filename from url: {url}")
    dest = dest_dir / filename
    deadline = time.monotonic() + TIMEOUT
    request = urllib.request.Request(url, headers={"User-Agent": "skiff-builder"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response, open(dest, "wb") as out:
            while block := response.read(CHUNK):
                out.write(block)
                _deadline_left(deadline, f"downloading {url}")
            modified = response.headers.get("Last-Modified")
    except urllib.error.HTTPError as exc:
        raise NotFound(f"failed to GET {url} with status {exc.code}: {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InvalidParameter(f"failed to GET {url}: {reason}") from None
    os.chmod(dest, 0o600)
    if modified:
        try:
            stamp = email.utils.parsedate_to_datetime(modified).timestamp()
            os.utime(dest, (stamp, stamp))
        except (TypeError, ValueError):
            pass
    return dest


def _git(args: list[str], cwd: Path, deadline: float, what: str) -> str:
    git = shutil.which("git")
    if git is None:
        raise InvalidParameter("git is not installed on the daemon's host (Debian package git)")
    try:
        done = subprocess.run([git, *args], cwd=cwd, capture_output=True, text=True,
                              timeout=_deadline_left(deadline, what),
                              env={"PATH": os.environ.get("PATH", ""), "GIT_TERMINAL_PROMPT": "0",
                                   "HOME": str(cwd)})
    except subprocess.TimeoutExpired:
        raise InvalidParameter(f"{what} did not finish within {TIMEOUT:.0f} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["exit status " + str(done.returncode)])[-1]
        raise InvalidParameter(f"{what} failed: {last}")
    return done.stdout.strip()


def clone(source: GitSource, dest: Path, keep_git_dir: bool = False) -> tuple[Path, str]:
    """A checkout of ``source`` in ``dest``: the tree it names (its subdirectory, if any) and
    the commit. Files get 0644 or 0755 and directories 0755, as BuildKit gives them."""
    deadline = time.monotonic() + TIMEOUT
    what = f"git clone {source.url}"
    dest.mkdir(parents=True)
    _git(["init", "-q"], dest, deadline, what)
    _git(["remote", "add", "origin", source.url], dest, deadline, what)
    ref = source.ref or "HEAD"
    sha = _SHA.fullmatch(ref) is not None
    try:
        _git(["fetch", "-q", "--depth", "1", "origin", ref], dest, deadline, what)
        target = "FETCH_HEAD"
    except InvalidParameter:  # a server without shallow fetches, or an abbreviated commit
        _git(["fetch", "-q", "origin", *([] if sha else [ref])], dest, deadline, what)
        target = ref if sha else "FETCH_HEAD"
    _git(["checkout", "-q", target], dest, deadline, what)
    commit = _git(["rev-parse", "HEAD"], dest, deadline, what)
    if not keep_git_dir:
        shutil.rmtree(dest / ".git")
    tree = dest / source.subdir if source.subdir else dest
    if not tree.is_dir() or tree.is_symlink():
        raise NotFound(f"{source.subdir}: no such directory in {source.url}")
    for dirpath, _, filenames in os.walk(dest):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, 0o755 if os.stat(path).st_mode & 0o100 else 0o644)
    return tree, commit
