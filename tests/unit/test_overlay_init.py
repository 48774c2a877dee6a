"""The init layer below each container's writable layer: the engine's entries, no changes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from skiff.drivers.snapshot.overlay import OverlaySnapshotter, fill_init_layer
from skiff.store.layout import Layout

ID = "c" * 64


def test_init_layer_holds_dockerenv_and_mtab(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "data", tmp_path / "run")
    snapshots = OverlaySnapshotter(layout)
    snapshots.prepare(ID)
    init = layout.container_dir(ID) / "init"
    marker = os.lstat(init / ".dockerenv")
    assert stat.S_ISREG(marker.st_mode) and marker.st_size == 0
    assert stat.S_IMODE(marker.st_mode) == 0o755
    assert os.readlink(init / "etc" / "mtab") == "/proc/mounts"
    for name in ("hosts", "hostname", "resolv.conf"):
        assert (init / "etc" / name).is_file()
    assert snapshots.changes(ID, []) == []  # nothing of the engine's is the container's


def test_filling_again_keeps_and_repairs(tmp_path: Path) -> None:
    init = tmp_path / "init"
    fill_init_layer(init)
    (init / ".dockerenv").write_text("kept")
    (init / "etc" / "mtab").unlink()
    (init / "etc" / "mtab").write_text("not a link")
    fill_init_layer(init)
    assert (init / ".dockerenv").read_text() == "kept"
    assert os.readlink(init / "etc" / "mtab") == "/proc/mounts"
