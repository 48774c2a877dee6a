"""The ``json-file`` driver: Docker's on-disk line format, with max-size/max-file rotation.

Each line is ``{"log":"…","stream":"stdout","time":"2006-01-02T15:04:05.999999999Z"}``.
Rotated files are ``<path>.1`` (newest) … ``<path>.N``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

from skiff.api.timefmt import from_iso, rfc3339fixed
from skiff.drivers.logging.base import LogMessage, ReadConfig, RunningCheck
from skiff.errdefs import InvalidParameter

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3,
          "gb": 1024**3}


def parse_size(text: str) -> int:
    """Parse ``10m``, ``512k``, ``1g`` (docker's units are binary here)."""
    value = text.strip().lower()
    num = value.rstrip("bkmg")
    unit = value[len(num):]
    try:
        size = int(float(num) * _UNITS[unit])
    except (ValueError, KeyError):
        raise InvalidParameter(f"invalid size: '{text}'") from None
    return size


def validate_options(options: dict[str, str]) -> None:
    """Refuse unknown or malformed json-file options as dockerd does."""
    allowed = {"max-size", "max-file", "labels", "labels-regex", "env", "env-regex", "tag",
               "compress", "mode", "max-buffer-size"}
    for key in options:
        if key not in allowed:
            raise InvalidParameter(f"unknown log opt '{key}' for json-file log driver")
    if "max-size" in options and parse_size(options["max-size"]) <= 0:
        raise InvalidParameter("max-size must be a positive number")
    if "max-file" in options:
        try:
            count = int(options["max-file"])
        except ValueError:
            raise InvalidParameter("max-file must be a number") from None
        if count < 1:
            raise InvalidParameter("max-file cannot be less than 1")
        if count > 1 and "max-size" not in options:
            raise InvalidParameter("max-file cannot be set without max-size")


class JsonFileDriver:
    """Appends json lines; rotates when the next batch would exceed ``max-size``."""

    name = "json-file"

    def __init__(self, path: Path, options: dict[str, str]) -> None:
        self.path = path
        self._max_size = parse_size(options["max-size"]) if "max-size" in options else 0
        self._max_file = int(options.get("max-file", "1"))
        self._fh = open(path, "ab")  # noqa: SIM115 - held open for the container's life
        self._size = self._fh.tell()
        self._stamp_ns = -1
        self._stamp = ""

    def _time(self, ns: int) -> str:
        if ns != self._stamp_ns:
            self._stamp_ns = ns
            self._stamp = rfc3339fixed(ns)
        return self._stamp

    def log(self, messages: list[LogMessage]) -> None:
        dumps = json.dumps
        out: list[bytes] = []
        for msg in messages:
            text = msg.data.decode("utf-8", "replace")
            line = (f'{{"log":{dumps(text, ensure_ascii=False)},"stream":"{msg.stream}",'
                    f'"time":"{self._time(msg.time_ns)}"}}\n').encode()
            if self._max_size and self._size + len(line) > self._max_size and self._size > 0:
                self._fh.write(b"".join(out))
                out.clear()
                self._rotate()
            out.append(line)
            self._size += len(line)
        self._fh.write(b"".join(out))
        self._fh.flush()

    def _rotate(self) -> None:
        self._fh.close()
        if self._max_file <= 1:
            self.path.unlink(missing_ok=True)
        else:
            for index in range(self._max_file - 1, 0, -1):
                older = self.path.with_name(f"{self.path.name}.{index}")
                if index == self._max_file - 1:
                    older.unlink(missing_ok=True)
                if index > 1:
                    newer = self.path.with_name(f"{self.path.name}.{index - 1}")
                    if newer.exists():
                        os.replace(newer, older)
            os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))
        self._fh = open(self.path, "ab")  # noqa: SIM115
        self._size = 0

    def close(self) -> None:
        self._fh.close()

    def read(self, config: ReadConfig, running: RunningCheck) -> AsyncIterator[LogMessage]:
        return read_json_logs(self.path, config, running)


def rotated_files(path: Path) -> list[Path]:
    """Existing files of one log, oldest first."""
    files = []
    index = 1
    while True:
        candidate = path.with_name(f"{path.name}.{index}")
        if not candidate.exists():
            break
        files.append(candidate)
        index += 1
    files.reverse()
    if path.exists():
        files.append(path)
    return files


def _decode(line: bytes) -> LogMessage | None:
    try:
        entry = json.loads(line)
        return LogMessage(entry["stream"], entry["log"].encode(), from_iso(entry["time"]))
    except (ValueError, KeyError, TypeError):
        return None


def _tail_lines(path: Path, count: int) -> list[bytes]:
    """The last ``count`` lines of a file, read backwards in blocks."""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        end = fh.tell()
        data = b""
        while end > 0 and data.count(b"\n") <= count:
            step = min(1 << 16, end)
            end -= step
            fh.seek(end)
            data = fh.read(step) + data
    lines = data.splitlines(keepends=True)
    return lines[-count:] if count else []




async def read_json_logs(path: Path, config: ReadConfig,
                         running: RunningCheck) -> AsyncIterator[LogMessage]:
    """Yield messages matching ``config``; with ``follow`` keep going across rotations."""

    def wanted(msg: LogMessage) -> bool:
        return not (config.since_ns and msg.time_ns < config.since_ns)

    def beyond_until(msg: LogMessage) -> bool:
        return bool(config.until_ns) and msg.time_ns > config.until_ns

    files = rotated_files(path)
    if config.tail >= 0:
        lines: list[bytes] = []
        for file in reversed(files):
            need = config.tail - len(lines)
            if need <= 0:
                break
            lines = _tail_lines(file, need) + lines
        for line in lines:
            msg = _decode(line)
            if msg is None or not wanted(msg):
                continue
            if beyond_until(msg):
                return
            yield msg
        if not config.follow:
            return
        fh = open(path, "rb") if path.exists() else None  # noqa: SIM115
        if fh is not None:
            fh.seek(0, os.SEEK_END)
    else:
        fh = None
        for file in files:
            with open(file, "rb") as current:
                if file == path and config.follow:
                    fh = open(path, "rb")  # noqa: SIM115
                    fh.seek(current.tell())
                    break
                for line in current:
                    msg = _decode(line)
                    if msg is None or not wanted(msg):
                        continue
                    if beyond_until(msg):
                        return
                    yield msg
        if not config.follow:
            return
    if fh is None:
        with contextlib.suppress(FileNotFoundError):
            fh = open(path, "rb")  # noqa: SIM115
    try:
        pending = b""
        while True:
            chunk = fh.read(1 << 20) if fh is not None else b""
            if chunk:
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    msg = _decode(line)
                    if msg is None or not wanted(msg):
                        continue
                    if beyond_until(msg):
                        return
                    yield msg
                continue
            # at the end of the current file: was it rotated away?
            if fh is not None and _rotated(path, fh.fileno()):
                fh.close()
                fh = None
                with contextlib.suppress(FileNotFoundError):
                    fh = open(path, "rb")  # noqa: SIM115
                pending = b""
                continue
            if not running.is_running():
                return
            await running.wait_for_data(0.25)
            if fh is None:
                with contextlib.suppress(FileNotFoundError):
                    fh = open(path, "rb")  # noqa: SIM115
    finally:
        if fh is not None:
            fh.close()


def _rotated(path: Path, fd: int) -> bool:
    try:
        return os.stat(path).st_ino != os.fstat(fd).st_ino
    except FileNotFoundError:
        return True
