"""The build context: unpacked safely, sources resolved inside it, checksums without times."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from skiff.api import dockerignore
from skiff.engine.builder.context import BuildContext
from skiff.errdefs import InvalidParameter, NotFound


def _tar(path: Path, entries: dict[str, str | tuple[str, str]], mtime: int = 0) -> Path:
    """name -> content, or ("link", target) / ("dir", "")."""
    with tarfile.open(path, "w") as tar:
        for name, content in entries.items():
            info = tarfile.TarInfo(name)
            info.mtime = mtime
            if isinstance(content, tuple):
                kind, target = content
                info.type = tarfile.SYMTYPE if kind == "link" else tarfile.DIRTYPE
                info.linkname = target
                info.mode = 0o755
                tar.addfile(info)
            else:
                data = content.encode()
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
    return path


ENTRIES: dict[str, str | tuple[str, str]] = {
    "Dockerfile": "FROM busybox\n", "app/main.py": "print(1)\n", "app/util.py": "x = 1\n",
    "app/data.json": "{}", "notes.md": "n", "link": ("link", "app"),
    "abs": ("link", "/app/main.py"), ".dockerignore": "*.md\n",
}


@pytest.fixture
def context(tmp_path: Path) -> BuildContext:
    return BuildContext.unpack(_tar(tmp_path / "c.tar", ENTRIES), tmp_path / "ctx")


def test_sources_resolve_globs_and_links_inside_the_context(context: BuildContext) -> None:
    assert context.sources("app/*.py") == ["app/main.py", "app/util.py"]
    assert context.sources("link/main.py") == ["app/main.py"]
    assert context.sources("/abs") == ["app/main.py"]  # an absolute link stays in the context
    assert context.sources("./app/../notes.md") == ["notes.md"]
    assert context.sources("app/[dm]*") == ["app/data.json", "app/main.py"]


@pytest.mark.parametrize("source", ["../x", "app/../../x", "../../etc/passwd"])
def test_sources_outside_the_context_are_forbidden(context: BuildContext, source: str) -> None:
    with pytest.raises(InvalidParameter, match="forbidden path outside the build context"):
        context.sources(source)


def test_missing_sources_are_not_found(context: BuildContext) -> None:
    with pytest.raises(NotFound, match="file not found in build context"):
        context.sources("nope.txt")
    with pytest.raises(NotFound, match="no source files"):
        context.sources("*.nothing")


def test_a_hostile_context_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    for n, entries in enumerate([{"../evil": "x"}, {"/etc/evil": "x"},
                                 {"l": ("link", "../../.."), "l/evil": "x"}]):
        dest = tmp_path / f"ctx{n}"
        with pytest.raises(InvalidParameter):
            BuildContext.unpack(_tar(tmp_path / f"h{n}.tar", entries), dest)
        assert not dest.exists()
    not_tar = tmp_path / "x.tar"
    not_tar.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(InvalidParameter, match="not a tar archive"):
        BuildContext.unpack(not_tar, tmp_path / "ctx9")


def test_checksums_follow_content_and_modes_not_times(tmp_path: Path) -> None:
    one = BuildContext.unpack(_tar(tmp_path / "1.tar", ENTRIES, mtime=1), tmp_path / "a")
    two = BuildContext.unpack(_tar(tmp_path / "2.tar", ENTRIES, mtime=999), tmp_path / "b")
    assert one.checksum(["app"]) == two.checksum(["app"])
    (two.root / "app/util.py").write_text("x = 2\n")
    assert one.checksum(["app"]) != two.checksum(["app"])
    assert one.checksum(["app/main.py"]) == two.checksum(["app/main.py"])
    os.chmod(two.root / "app/main.py", 0o600)
    assert one.checksum(["app/main.py"]) != two.checksum(["app/main.py"])


def test_dockerignore_prunes_what_it_excludes(context: BuildContext) -> None:
    context.prune(context.ignore("Dockerfile"))
    assert not (context.root / "notes.md").exists()
    assert (context.root / "app/main.py").exists()
    (context.root / "Dockerfile.dockerignore").write_text("app\n!app/util.py\n")
    context.prune(context.ignore("Dockerfile"))  # the Dockerfile's own ignore file wins
    assert sorted(os.listdir(context.root / "app")) == ["util.py"]
    assert dockerignore.Matcher([]).excluded("anything") is False
