"""Where conmon leaves a container's output, and the reader that follows it: the output
files of a container without a TTY or open stdin, else conmon's k8s-file journal."""

from __future__ import annotations

import contextlib
from pathlib import Path

from skiff.drivers.runtime import outputfiles
from skiff.drivers.runtime.journal import HOLD, JournalReader
from skiff.drivers.runtime.outputfiles import OutputReader

JOURNAL = "journal.log"
JOURNAL_OFFSET = "journal.offset"


class ConmonCapture:
    """The files of one container's output, named for the log copier."""

    watched = frozenset({JOURNAL, *(path.name for path in outputfiles.paths(Path()))})
    hold = HOLD

    def journal_path(self, directory: Path) -> Path:
        return directory / JOURNAL

    def output_paths(self, directory: Path) -> tuple[Path, Path]:
        return outputfiles.paths(directory)

    def reader(self, directory: Path) -> JournalReader | OutputReader:
        if outputfiles.in_use(directory):
            return OutputReader(directory)
        return JournalReader(directory / JOURNAL, directory / JOURNAL_OFFSET)

    def discard(self, directory: Path) -> None:
        outputfiles.discard(directory)
        for name in (JOURNAL, JOURNAL_OFFSET):
            with contextlib.suppress(FileNotFoundError):
                (directory / name).unlink()
