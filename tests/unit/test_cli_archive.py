"""docker cp's local rules: path splitting, where copies land, tar building and extraction."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from skiff.cli import archive
from skiff.cli.archive import CopyError, CopyInfo


@pytest.mark.parametrize(("arg", "expected"), [
    ("ctr:/etc/hosts", ("ctr", "/etc/hosts")), ("/abs:path", ("", "/abs:path")),
    ("./rel:path", ("", "./rel:path")), ("plain", ("", "plain")), ("c:", ("c", "")),
    ("c:rel/x", ("c", "rel/x")),
])
def test_split_cp_arg(arg: str, expected: tuple[str, str]) -> None:
    assert archive.split_cp_arg(arg) == expected


@pytest.mark.parametrize(("path", "expected"), [
    ("/a/b", ("/a", "b")), ("/a/b/", ("/a", "b")), ("/a/b/.", ("/a/b", ".")),
    ("/", ("/", "/")), ("b", (".", "b")), ("//x//y/", ("/x", "y")),
])
def test_split_path_dir_entry(path: str, expected: tuple[str, str]) -> None:
    assert archive.split_path_dir_entry(path) == expected


def test_resolve_local_path_keeps_what_the_user_asserted(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert archive.resolve_local_path("x") == f"{tmp_path}/x"
    assert archive.resolve_local_path("x/") == f"{tmp_path}/x/"
    assert archive.resolve_local_path("x/.") == f"{tmp_path}/x/."
    assert archive.resolve_local_path(".") == f"{tmp_path}/."
    assert archive.resolve_local_path("/a//b/../c/") == "/a/c/"


def test_get_rebase_name() -> None:
    assert archive.get_rebase_name("/a/link", "/a/target") == ("/a/target", "link")
    assert archive.get_rebase_name("/a/link/", "/a/target") == ("/a/target/", "link")
    assert archive.get_rebase_name("/a/x", "/b/x") == ("/b/x", "")


def _tar(*members: tuple[str, bytes | None]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(data), 0o640
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _names(chunks: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(chunks)) as tar:
        return tar.getnames()


def test_rebase_renames_the_first_component() -> None:
    source = _tar(("d", None), ("d/f", b"x"), ("d/sub/d", b"y"))
    rebased = b"".join(archive.rebase_archive_entries([source[:700], source[700:]], "d", "new"))
    assert _names(rebased) == ["new", "new/f", "new/sub/d"]
    assert len(rebased) % 512 == 0


@pytest.mark.parametrize(("src_dir", "dst", "expected"), [
    (False, CopyInfo("/t/dir", True, True), ("/t/dir", ["f"])),      # into an existing dir
    (False, CopyInfo("/t/new"), ("/t", ["new"])),                    # as the new name
    (False, CopyInfo("/t/file", True, False), ("/t", ["file"])),     # over a file
    (True, CopyInfo("/t/new"), ("/t", ["new", "new/a"])),            # dir as the new name
])
def test_prepare_archive_copy(src_dir: bool, dst: CopyInfo,
                              expected: tuple[str, list[str]]) -> None:
    source = _tar(("f", None), ("f/a", b"1")) if src_dir else _tar(("f", b"1"))
    where, content = archive.prepare_archive_copy([source], CopyInfo("/x/f", True, src_dir),
                                                  dst)
    assert (where, _names(b"".join(content))) == expected


def test_prepare_archive_copy_refuses_what_docker_refuses() -> None:
    with pytest.raises(CopyError, match=r"^cannot copy directory$"):
        archive.prepare_archive_copy([], CopyInfo("/x/d", True, True),
                                     CopyInfo("/t/file", True, False))
    with pytest.raises(CopyError, match=r"^no such directory$"):
        archive.prepare_archive_copy([], CopyInfo("/x/f", True, False), CopyInfo("/t/new/"))


def test_tar_resource_round_trip(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a").write_text("alpha")
    (src / "sub" / "b").write_text("beta")
    (src / "sub" / "b").chmod(0o4755)
    os.link(src / "a", src / "hard")
    os.symlink("a", src / "link")
    os.utime(src / "a", (1_600_000_000, 1_600_000_000))
    data = b"".join(archive.tar_resource(CopyInfo(str(src), True, True)))
    assert len(data) % 512 == 0 and len(data) % 10240 != 0  # Go's layout: no record padding
    assert _names(data) == ["src", "src/a", "src/hard", "src/link", "src/sub", "src/sub/b"]
    dest = tmp_path / "dest"
    dest.mkdir()
    assert archive.untar([data], str(dest)) == len(data)
    out = dest / "src"
    assert (out / "sub" / "b").read_text() == "beta"
    assert (out / "sub" / "b").stat().st_mode & 0o7777 == 0o4755
    assert os.readlink(out / "link") == "a"
    assert (out / "hard").stat().st_ino == (out / "a").stat().st_ino
    assert (out / "a").stat().st_mtime == 1_600_000_000


def test_tar_resource_of_directory_contents(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("x")
    data = b"".join(archive.tar_resource(CopyInfo(f"{tmp_path}/d/.", True, True)))
    assert _names(data) == [".", "./f"]
    renamed = CopyInfo(str(tmp_path / "d"), True, True, rebase_name="other")
    assert _names(b"".join(archive.tar_resource(renamed))) == ["other", "other/f"]


def test_untar_refuses_breakouts_and_type_changes(tmp_path: Path) -> None:
    with pytest.raises(CopyError, match="is outside of"):
        archive.untar([_tar(("../evil", b"x"))], str(tmp_path))
    (tmp_path / "d").mkdir()
    with pytest.raises(CopyError, match="cannot overwrite directory"):
        archive.untar([_tar(("d", b"x"))], str(tmp_path))
    (tmp_path / "f").write_text("x")
    with pytest.raises(CopyError, match="cannot overwrite non-directory"):
        archive.untar([_tar(("f", None))], str(tmp_path))
    assert archive.untar([], str(tmp_path)) == 0


def test_copy_to_follows_docker_rules(tmp_path: Path) -> None:
    source = _tar(("f", b"data"))
    src = CopyInfo("/ctr/f", True, False)
    archive.copy_to([source], src, str(tmp_path / "renamed"))
    assert (tmp_path / "renamed").read_text() == "data"
    (tmp_path / "dir").mkdir()
    archive.copy_to([source], src, str(tmp_path / "dir"))
    assert (tmp_path / "dir" / "f").read_text() == "data"
    with pytest.raises(CopyError, match="no such file or directory"):
        archive.copy_to([source], src, str(tmp_path / "none" / "x") + "/.")


def test_output_path_checks(tmp_path: Path) -> None:
    with pytest.raises(CopyError, match=r'^invalid output path: directory "/nonexist" does not'):
        archive.validate_output_path("/nonexist/x")
    with pytest.raises(CopyError, match=r"got a device$"):
        archive.validate_output_path("/dev/null")
    archive.validate_output_path(str(tmp_path / "new"))
    with pytest.raises(CopyError, match=r"^cannot write to a directory$"):
        archive.validate_destination(str(tmp_path))
    with pytest.raises(CopyError, match=r"^invalid output path: stat /nonexist: no such file"):
        archive.validate_destination("/nonexist/x")
    with pytest.raises(CopyError, match=r"^cannot write to a character device file$"):
        archive.validate_destination("/dev/null")


@pytest.mark.parametrize("step", [1, 100, 512, 3000, 1 << 20])
def test_tar_counter_stops_at_the_end_of_archive(step: int) -> None:
    data = _tar(("d", None), ("d/f", b"x" * 700), ("d/" + "long" * 40, b"y"))
    assert len(data) == 10240  # Python pads to a full record; Go's reader stops earlier
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = tar.getmembers()
        end = tar.offset + 1024
    assert len(members) == 3 and end < len(data)
    counter = archive.TarCounter(data[i:i + step] for i in range(0, len(data), step))
    assert b"".join(counter) == data
    assert counter.count == end and counter.total == len(data)
