"""skiff.drivers.snapshot.layertar: member validation against escapes, and extraction.

Validation must refuse every archive that could write outside the layer directory; the
attack tests point symlinks at a directory of their own under ``tmp_path``, never at the host.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from skiff.drivers.snapshot import layertar
from skiff.errdefs import InvalidParameter

Entry = tuple[tarfile.TarInfo, bytes | None]


def reg(name: str, data: bytes = b"data", mode: int = 0o644) -> Entry:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    return info, data


def directory(name: str, mode: int = 0o755) -> Entry:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = mode
    return info, None


def symlink(name: str, target: str) -> Entry:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info, None


def hardlink(name: str, target: str) -> Entry:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE
    info.linkname = target
    return info, None


def fifo(name: str) -> Entry:
    info = tarfile.TarInfo(name)
    info.type = tarfile.FIFOTYPE
    return info, None


def open_tar(*entries: Entry) -> tarfile.TarFile:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    buf.seek(0)
    return tarfile.open(fileobj=buf, mode="r:")


def validate_and_extract(dest: Path, *entries: Entry) -> int:
    with open_tar(*entries) as tar:
        members = layertar.validate(tar)
        return layertar.extract(tar, members, dest)


# clean_name

@pytest.mark.parametrize(
    ("name", "clean"),
    [("a", "a"), ("./a/b", "a/b"), ("a//b/./c/", "a/b/c"), (".", ""), ("./", ""),
     ("a/b..c", "a/b..c"), ("..a", "..a")],
)
def test_clean_name(name: str, clean: str) -> None:
    assert layertar.clean_name(name) == clean


@pytest.mark.parametrize("name", ["/etc/passwd", "/", "//x"])
def test_clean_name_refuses_absolute(name: str) -> None:
    with pytest.raises(InvalidParameter, match="absolute path"):
        layertar.clean_name(name)


@pytest.mark.parametrize("name", ["..", "../x", "a/../../x", "./../x", "a/b/../../../c"])
def test_clean_name_refuses_dotdot(name: str) -> None:
    with pytest.raises(InvalidParameter, match="escapes the root"):
        layertar.clean_name(name)


# validate: what is accepted

def test_validate_accepts_an_ordinary_layer() -> None:
    with open_tar(directory("./"), directory("./bin"), reg("./bin/busybox", b"\x7fELF"),
                  symlink("./bin/sh", "busybox"), symlink("./bin/abs", "/bin/busybox"),
                  hardlink("./bin/ash", "./bin/busybox"), fifo("./pipe"),
                  directory("./usr/lib"), symlink("./lib", "usr/lib"),
                  symlink("./usr/up", "../bin")) as tar:
        members = layertar.validate(tar)
    names = [m.name for m in members]
    assert names == ["", "bin", "bin/busybox", "bin/sh", "bin/abs", "bin/ash", "pipe",
                     "usr/lib", "lib", "usr/up"]
    assert members[5].linkname == "bin/busybox"


def test_validate_accepts_a_symlink_replaced_by_a_real_directory_when_nothing_escapes(
        tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    validate_and_extract(dest, symlink("d", "sub"), reg("d", b"file replaces link"))
    assert (dest / "d").read_bytes() == b"file replaces link"
    assert not (dest / "d").is_symlink()


# validate: what is refused

@pytest.mark.parametrize(
    "entries",
    [
        [reg("../evil")],
        [reg("a/../../evil")],
        [reg("/evil")],
        [directory("/etc")],
        [symlink("link", "/tmp"), reg("link/pwned")],
        [symlink("link", "/tmp"), directory("link/sub")],
        [directory("a"), symlink("a/link", "/"), reg("a/link/etc/pwned")],
        [symlink("link", "."), reg("link/x")],
        [symlink("up", "../.."), reg("other")],
        [symlink("a/b/up", "../../../x")],
        [hardlink("passwd", "../../etc/passwd")],
        [hardlink("passwd", "/etc/passwd")],
        [symlink("../outside", "x")],
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "absolute-dir", "symlink-then-child",
         "symlink-then-child-dir", "nested-symlink-then-child", "dot-symlink-then-child",
         "relative-symlink-escapes", "deep-symlink-escapes", "hardlink-dotdot",
         "hardlink-absolute", "symlink-named-dotdot"],
)
def test_validate_refuses(entries: list[Entry]) -> None:
    with open_tar(*entries) as tar, pytest.raises(InvalidParameter, match="invalid tar entry"):
        layertar.validate(tar)


def test_symlink_redeclared_as_directory_cannot_redirect_later_entries(tmp_path: Path) -> None:
    # "link" -> outside, then a directory entry "link" (tarfile's mkdir ignores EEXIST, so the
    # symlink survives), then "link/pwned": the file would be written through the symlink.
    outside = tmp_path / "outside"
    outside.mkdir(mode=0o700)
    dest = tmp_path / "dest"
    dest.mkdir()
    entries = [symlink("link", str(outside)), directory("link", 0o777), reg("link/pwned")]
    with contextlib.suppress(InvalidParameter):
        validate_and_extract(dest, *entries)
    assert sorted(os.listdir(outside)) == []
    assert stat.S_IMODE(outside.stat().st_mode) == 0o700


def test_hardlink_through_a_symlinked_directory_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim"
    victim.write_text("secret")
    dest = tmp_path / "dest"
    dest.mkdir()
    entries = [symlink("link", str(outside)), hardlink("stolen", "link/victim")]
    with pytest.raises(InvalidParameter):
        validate_and_extract(dest, *entries)
    assert victim.stat().st_nlink == 1


# extract

def test_extract_files_dirs_links_and_size(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    size = validate_and_extract(
        dest, directory("./etc", 0o750), reg("./etc/hostname", b"box\n", 0o600),
        reg("./bin/tool", b"#!/bin/sh\n", 0o755), symlink("./bin/alias", "tool"),
        hardlink("./bin/copy", "./bin/tool"), fifo("./run.fifo"))
    assert size == len(b"box\n") + len(b"#!/bin/sh\n")
    assert (dest / "etc/hostname").read_bytes() == b"box\n"
    assert stat.S_IMODE((dest / "etc").stat().st_mode) == 0o750
    assert stat.S_IMODE((dest / "etc/hostname").stat().st_mode) == 0o600
    assert os.readlink(dest / "bin/alias") == "tool"
    assert (dest / "bin/copy").stat().st_ino == (dest / "bin/tool").stat().st_ino
    assert stat.S_ISFIFO((dest / "run.fifo").lstat().st_mode)


def test_extract_turns_whiteouts_into_overlay_markers(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    validate_and_extract(dest, directory("etc"), reg("etc/.wh.passwd", b""),
                         directory("var"), reg("var/.wh..wh..opq", b""), reg("var/new", b"n"))
    whiteout = (dest / "etc/passwd").lstat()
    assert stat.S_ISCHR(whiteout.st_mode)
    assert whiteout.st_rdev == os.makedev(0, 0)
    assert not (dest / "etc/.wh.passwd").exists()
    assert os.getxattr(dest / "var", "trusted.overlay.opaque") == b"y"
    assert not (dest / "var/.wh..wh..opq").exists()
    assert (dest / "var/new").read_bytes() == b"n"


def test_extract_replaces_existing_entries(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    validate_and_extract(dest, reg("a", b"old"), directory("b"), reg("b/inner"))
    validate_and_extract(dest, reg("a", b"new"), reg("b", b"now a file"))
    assert (dest / "a").read_bytes() == b"new"
    assert (dest / "b").read_bytes() == b"now a file"
