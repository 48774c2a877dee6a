"""An overlay upper directory written as an OCI layer and unpacked again: the same tree."""

from __future__ import annotations

import hashlib
import os
import tarfile
from pathlib import Path

from skiff.drivers.snapshot import layertar
from skiff.drivers.snapshot.overlay import write_layer


def _upper(root: Path) -> Path:
    (root / "app/sub").mkdir(parents=True)
    (root / "app/main.py").write_text("print(1)\n")
    os.chmod(root / "app/main.py", 0o750)
    os.link(root / "app/main.py", root / "app/hard.py")
    os.symlink("main.py", root / "app/link")
    os.mknod(root / "app/gone", 0o600 | 0o020000, os.makedev(0, 0))  # deleted below
    (root / "opaque").mkdir()
    os.setxattr(root / "opaque", "trusted.overlay.opaque", b"y")
    (root / "opaque/new").write_text("n")
    return root


def test_whiteouts_and_opaque_directories_follow_the_oci_layer_spec(tmp_path: Path) -> None:
    upper = _upper(tmp_path / "upper")
    diff_id = write_layer(upper, tmp_path / "layer.tar")
    assert diff_id == "sha256:" + hashlib.sha256((tmp_path / "layer.tar").read_bytes()).hexdigest()
    with tarfile.open(tmp_path / "layer.tar") as tar:
        names = {m.name: m for m in tar.getmembers()}
    assert "app/.wh.gone" in names and names["app/.wh.gone"].isfile()
    assert "opaque/.wh..wh..opq" in names
    # entries in name order: the first name of an inode holds the content, the next links it
    assert names["app/hard.py"].isfile() and names["app/hard.py"].mode == 0o750
    assert names["app/main.py"].islnk() and names["app/main.py"].linkname == "app/hard.py"
    assert names["app/link"].issym() and names["app/link"].linkname == "main.py"


def test_the_layer_unpacks_to_the_tree_it_came_from(tmp_path: Path) -> None:
    upper = _upper(tmp_path / "upper")
    write_layer(upper, tmp_path / "layer.tar")
    again = tmp_path / "again"
    again.mkdir()
    with tarfile.open(tmp_path / "layer.tar") as tar:
        layertar.extract(tar, layertar.validate(tar), again)
    assert (again / "app/main.py").read_text() == "print(1)\n"
    assert os.stat(again / "app/main.py").st_ino == os.stat(again / "app/hard.py").st_ino
    assert os.stat(again / "app/gone").st_rdev == 0
    assert os.getxattr(again / "opaque", "trusted.overlay.opaque") == b"y"
    assert write_layer(again, tmp_path / "second.tar") == write_layer(upper, tmp_path / "third.tar")
