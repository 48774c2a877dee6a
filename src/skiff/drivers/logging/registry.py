"""The logging drivers skiffd has, by name: their options checked as dockerd checks them,
each opened for a container, and read back for ``docker logs``.

``json-file`` reads back from its own file, ``local`` too: Docker's framed protobuf records
(:mod:`skiff.drivers.logging.localfile`) in ``local-logs/container.log``, with Docker's
defaults for it (20m x 5, compressed). The remote drivers (``syslog``, ``gelf``, ``fluentd``,
``journald``) also write a local cache, Docker's dual logging, so ``docker logs`` keeps
working: ``container-cached.log`` in the container's directory, in the local format,
``cache-max-size`` (20m) x ``cache-max-file`` (5), ``cache-compress`` (true),
``cache-disabled=true`` to go without. Files skiff wrote as json lines before it had the
local format are read, and appended to, as json lines.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from skiff.drivers.logging import (
    fluentd,
    gelf,
    journald,
    jsonfile,
    localfile,
    logfiles,
    syslog,
    tag,
)
from skiff.drivers.logging.base import (
    Dropped,
    LogBatch,
    LogContext,
    LogDriver,
    LogMessage,
    ReadConfig,
    RunningCheck,
)
from skiff.drivers.logging.none import NoneDriver
from skiff.errdefs import InvalidParameter, NotImplementedYet, SkiffError

log = logging.getLogger(__name__)

COMMON = frozenset({"tag", "labels", "labels-regex", "env", "env-regex", "mode",
                    "max-buffer-size"})
CACHE = frozenset({"cache-disabled", "cache-max-size", "cache-max-file", "cache-compress"})
CACHE_FILE = "container-cached.log"
DEFAULT_BUFFER = 1024 * 1024  # max-buffer-size of non-blocking mode, as Docker's

Remote = Callable[[dict[str, str], LogContext, Dropped, "int | None"], LogDriver]


@dataclass(frozen=True)
class _Kind:
    options: frozenset[str]
    check: Callable[[dict[str, str]], None]
    remote: Remote | None  # None: a local driver


def _no_check(_options: dict[str, str]) -> None:
    pass


def _local_options(options: dict[str, str]) -> dict[str, str]:
    return {"max-size": options.get("max-size", "20m"),
            "max-file": options.get("max-file", "5"),
            "compress": options.get("compress", "true")}


def _check_local(options: dict[str, str]) -> None:
    jsonfile.validate_options(_local_options(options))


LOCAL_FILE = Path("local-logs") / "container.log"


KINDS: dict[str, _Kind] = {
    "json-file": _Kind(frozenset({"max-size", "max-file", "compress"}),
                       jsonfile.validate_options, None),
    "local": _Kind(frozenset({"max-size", "max-file", "compress"}), _check_local, None),
    "none": _Kind(frozenset(), _no_check, None),
    "syslog": _Kind(syslog.OPTIONS, syslog.validate, syslog.SyslogDriver),
    "gelf": _Kind(gelf.OPTIONS, gelf.validate, gelf.GelfDriver),
    "fluentd": _Kind(fluentd.OPTIONS, fluentd.validate, fluentd.FluentdDriver),
}


class _Tee:
    """A remote driver and its local cache."""

    def __init__(self, remote: LogDriver, cache: jsonfile.JsonFileDriver) -> None:
        self.name = remote.name
        self._remote, self._cache = remote, cache

    def log(self, batch: LogBatch) -> bool:
        written = self._cache.log(batch)
        return self._remote.log(batch) and written

    def close(self) -> None:
        self._cache.close()
        self._remote.close()


def _json_lines(path: Path) -> bool:
    """Whether a local or cache log is one written as json lines (by an older skiff)."""
    for file in logfiles.rotated_files(path)[-1:]:
        with logfiles.open_log(file) as fh:
            return fh.read(1) == b"{"
    return False


def _local(path: Path, options: dict[str, str]) -> jsonfile.JsonFileDriver:
    """The local format's driver for ``path``, or json-file's for a log begun as json."""
    if _json_lines(path):
        return jsonfile.JsonFileDriver(path, options)
    return localfile.LocalDriver(path, options)


def _cached(options: dict[str, str]) -> bool:
    return options.get("cache-disabled", "false") != "true"


class LogDriverRegistry:
    """Every driver skiffd can log through (the engine sees it through its LogDrivers);
    ``journal_socket`` where journald listens (its usual socket when None)."""

    def __init__(self, journal_socket: str | None = None) -> None:
        journal_socket = journal_socket or journald.SOCKET
        self._kinds = {**KINDS, "journald": _Kind(
            journald.OPTIONS, functools.partial(journald.check, journal_socket),
            functools.partial(journald.JournaldDriver, socket_path=journal_socket))}

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def validate(self, log_type: str, options: dict[str, str]) -> None:
        """Refuse unknown drivers and options before a container is created."""
        kind = self._kinds.get(log_type)
        if kind is None:
            raise InvalidParameter(f"logger: no log driver named '{log_type}' is registered")
        allowed = kind.options | (COMMON if log_type != "none" else frozenset()) | (
            CACHE if kind.remote else frozenset())
        for key in options:
            if key not in allowed:
                raise InvalidParameter(f"unknown log opt '{key}' for {log_type} log driver")
        kind.check({k: v for k, v in options.items() if k not in CACHE})
        mode = options.get("mode", "blocking")
        if mode not in ("blocking", "non-blocking"):
            raise InvalidParameter(f"logger: unknown log mode: {mode}")
        if "max-buffer-size" in options:
            if mode != "non-blocking":
                raise InvalidParameter("logger: max-buffer-size option is only supported "
                                       "with 'mode=non-blocking'")
            if jsonfile.parse_size(options["max-buffer-size"]) <= 0:
                raise InvalidParameter("logger: max-buffer-size must be a positive size")
        if "tag" in options:
            tag.check(options["tag"])
        if kind.remote and _cached(options):
            jsonfile.validate_options(self._cache_options(options))

    @staticmethod
    def _cache_options(options: dict[str, str]) -> dict[str, str]:
        return {"max-size": options.get("cache-max-size", "20m"),
                "max-file": options.get("cache-max-file", "5"),
                "compress": options.get("cache-compress", "true")}

    def log_path(self, log_type: str, directory: Path, container_id: str) -> str:
        """The file ``LogPath`` shows (json-file only, as in dockerd)."""
        return str(directory / f"{container_id}-json.log") if log_type == "json-file" else ""

    def open(self, log_type: str, options: dict[str, str], context: LogContext,
             dropped: Dropped, running: bool = False) -> LogDriver:
        if not running:
            return self._open(log_type, options, context, dropped)
        if log_type == "fluentd":  # connects later rather than fail what runs
            options = {**options, "fluentd-async": "true"}
        try:
            return self._open(log_type, options, context, dropped)
        except (OSError, SkiffError) as exc:  # skiffd takes the container back all the same
            log.warning("container %s: its %s log driver cannot open (%s): its output is "
                        "dropped until it restarts", context.container_id[:12], log_type, exc)
            return NoneDriver()

    def _open(self, log_type: str, options: dict[str, str], context: LogContext,
              dropped: Dropped) -> LogDriver:
        kind = self._kinds[log_type]
        if kind.remote is None:
            if log_type == "none":
                return NoneDriver()
            if log_type == "local":
                path = context.directory / LOCAL_FILE
                path.parent.mkdir(exist_ok=True)
                return _local(path, _local_options(options))
            return jsonfile.JsonFileDriver(
                Path(self.log_path(log_type, context.directory, context.container_id)),
                options)
        buffer = None
        if options.get("mode") == "non-blocking":
            buffer = jsonfile.parse_size(options.get("max-buffer-size", "1m"))
        remote = kind.remote(options, context, dropped, buffer)
        if not _cached(options):
            return remote
        return _Tee(remote, _local(context.directory / CACHE_FILE,
                                   self._cache_options(options)))

    def readable(self, log_type: str, options: dict[str, str]) -> bool:
        kind = self._kinds.get(log_type)
        return log_type in ("json-file", "local") or bool(kind and kind.remote and
                                                          _cached(options))

    def read(self, log_type: str, options: dict[str, str], directory: Path,
             container_id: str, config: ReadConfig,
             running: RunningCheck) -> AsyncIterator[list[LogMessage]]:
        """``docker logs``: the driver's own file or its cache."""
        if not self.readable(log_type, options):
            raise NotImplementedYet("configured logging driver does not support reading")
        if log_type == "json-file":
            path = Path(self.log_path(log_type, directory, container_id))
            return jsonfile.read_json_logs(path, config, running)
        path = directory / (LOCAL_FILE if log_type == "local" else CACHE_FILE)
        if _json_lines(path):
            return jsonfile.read_json_logs(path, config, running)
        return localfile.read_local_logs(path, config, running)
