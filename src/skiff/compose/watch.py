"""``compose watch``: each service's ``develop.watch`` rules applied as files change (inotify):
``sync`` copies changed files into the running containers (and removes deleted ones),
``sync+restart`` then restarts them, ``sync+exec`` then runs a command in them, ``restart``
restarts them, ``rebuild`` builds the image again and recreates the service. ``ignore`` and
``include`` take ``.dockerignore`` patterns."""

from __future__ import annotations

import io
import os
import posixpath
import tarfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inotify_simple import INotify
from inotify_simple import flags as F

from skiff.api import dockerignore
from skiff.client import APIError, Client
from skiff.compose import observe
from skiff.compose.canonical import ComposeError
from skiff.compose.loader import Loaded
from skiff.compose.progress import Progress

ACTIONS = ("sync", "rebuild", "restart", "sync+restart", "sync+exec")
DEBOUNCE = 0.3  # seconds of quiet before a batch of changes is applied
MASK = F.CREATE | F.MODIFY | F.DELETE | F.MOVED_FROM | F.MOVED_TO | F.CLOSE_WRITE | \
    F.ATTRIB | F.DELETE_SELF


@dataclass
class Rule:
    service: str
    path: Path
    action: str
    target: str = ""
    ignore: dockerignore.Matcher | None = None
    include: dockerignore.Matcher | None = None
    exec: dict[str, Any] = field(default_factory=dict)
    initial_sync: bool = False

    def wants(self, changed: Path) -> bool:
        try:
            rel = changed.relative_to(self.path).as_posix()
        except ValueError:
            return False
        if rel == ".":
            return True
        if self.ignore is not None and self.ignore.excluded(rel):
            return False
        if self.include is not None:
            return self.include.excluded(rel)  # "excluded" by an include list: matched
        return True


def _patterns(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def rules(loaded: Loaded, services: tuple[str, ...] = ()) -> list[Rule]:
    """The watch rules of the services named (all with ``develop.watch`` when none)."""
    found: list[Rule] = []
    for name, service in loaded.project.services.items():
        if services and name not in services:
            continue
        for index, spec in enumerate((service.develop or {}).get("watch") or []):
            where = f"services.{name}.develop.watch[{index}]"
            action = spec.get("action")
            if action not in ACTIONS:
                raise ComposeError(f"{where}.action must be one of {', '.join(ACTIONS)}")
            if action.startswith("sync") and not spec.get("target"):
                raise ComposeError(f"{where}: {action} needs a target")
            if action == "rebuild" and service.build is None:
                raise ComposeError(f"{where}: rebuild needs a build section")
            path = (loaded.working_dir / os.path.expanduser(str(spec.get("path", ".")))).resolve()
            ignore = _patterns(spec.get("ignore"))
            context = Path(service.build.context) if service.build else None
            if context is not None and (context / ".dockerignore").is_file() and \
                    path.is_relative_to(context):
                ignore = [*(context / ".dockerignore").read_text().splitlines(), *ignore]
            include = _patterns(spec.get("include"))
            found.append(Rule(name, path, action, str(spec.get("target") or ""),
                              dockerignore.Matcher(dockerignore.parse("\n".join(ignore)))
                              if ignore else None,
                              dockerignore.Matcher(dockerignore.parse("\n".join(include)))
                              if include else None,
                              dict(spec.get("exec") or {}), bool(spec.get("initial_sync"))))
    return found


class Watcher:
    """Applies the rules to changes until ``stop`` is set."""

    def __init__(self, client: Client, loaded: Loaded, progress: Progress,
                 rebuild: Callable[[str], None]) -> None:
        self.client, self.loaded, self.progress = client, loaded, progress
        self.rebuild = rebuild
        self.inotify = INotify()
        self._dirs: dict[int, Path] = {}
        self.stop = threading.Event()

    def _add(self, directory: Path) -> None:
        for root, dirnames, _ in os.walk(directory):
            try:
                wd = self.inotify.add_watch(root, MASK)
            except OSError:
                continue
            self._dirs[wd] = Path(root)
            dirnames[:] = [d for d in dirnames if d not in (".git",)]

    def run(self, watched: list[Rule]) -> None:
        for rule in watched:
            if rule.path.is_dir():
                self._add(rule.path)
            elif rule.path.exists():
                self._add(rule.path.parent)
            else:
                raise ComposeError(f"watch: {rule.path} does not exist")
            if rule.initial_sync and rule.action.startswith("sync"):
                self.apply(rule, [rule.path])
        self.progress.text("Watch enabled")
        pending: set[Path] = set()
        while not self.stop.is_set():
            events = self.inotify.read(timeout=int(DEBOUNCE * 1000))
            for event in events:
                base = self._dirs.get(event.wd)
                if base is None:
                    continue
                path = base / event.name if event.name else base
                if event.mask & F.ISDIR and event.mask & (F.CREATE | F.MOVED_TO):
                    self._add(path)
                pending.add(path)
            if events or not pending:
                continue
            batch, pending = pending, set()
            for rule in watched:
                changed = [p for p in batch if rule.wants(p)]
                if changed:
                    self.apply(rule, changed)

    def _containers(self, service: str) -> list[observe.Observed]:
        return [c for c in observe.containers(self.client, self.loaded.project.name)
                if c.service == service and c.state == "running"]

    def apply(self, rule: Rule, changed: list[Path]) -> None:
        try:
            if rule.action == "rebuild":
                self.progress.text(f"Rebuilding service {rule.service!r} after changes were "
                                   f"detected...")
                self.rebuild(rule.service)
                return
            containers = self._containers(rule.service)
            if rule.action.startswith("sync"):
                for container in containers:
                    self._sync(rule, container.id, changed)
                self.progress.text(f"Syncing service {rule.service!r} after {len(changed)} "
                                   f"changed files")
            if rule.action in ("restart", "sync+restart"):
                for container in containers:
                    self.progress.event("Container", container.name, "Restarting")
                    self.client.containers.restart(container.id)
                    self.progress.event("Container", container.name, "Started")
            if rule.action == "sync+exec":
                command = rule.exec.get("command")
                argv = ["sh", "-c", command] if isinstance(command, str) else list(command or [])
                for container in containers:
                    exec_id = self.client.execs.create(container.id, {
                        "Cmd": argv, "User": rule.exec.get("user") or "",
                        "WorkingDir": rule.exec.get("working_dir") or "",
                        "Privileged": bool(rule.exec.get("privileged")),
                        "AttachStdout": False, "AttachStderr": False})
                    self.client.execs.start_detached(exec_id)
        except (APIError, ComposeError) as exc:
            self.progress.warn(f"watch: {rule.service}: {getattr(exc, 'message', exc)}")

    def _sync(self, rule: Rule, container_id: str, changed: list[Path]) -> None:
        """Changed files into the container under the target (a directory as a whole), and
        deleted ones removed."""
        data = io.BytesIO()
        gone: list[str] = []
        with tarfile.open(fileobj=data, mode="w") as tar:
            for path in sorted(changed):
                rel = "" if path == rule.path else path.relative_to(rule.path).as_posix()
                dest = posixpath.join(rule.target, rel) if rel else rule.target
                if not os.path.lexists(path):
                    gone.append(dest)
                    continue
                tar.add(path, arcname=dest.lstrip("/"), filter=_kept(rule))
        if data.tell() > 0:
            self.client.containers.put_archive(container_id, "/", data.getvalue())
        if gone:
            exec_id = self.client.execs.create(container_id, {
                "Cmd": ["rm", "-rf", "--", *gone], "AttachStdout": False,
                "AttachStderr": False})
            self.client.execs.start_detached(exec_id)


def _kept(rule: Rule) -> Callable[[tarfile.TarInfo], tarfile.TarInfo | None]:
    """A tar filter leaving out what the rule ignores inside a directory being synced."""
    prefix = rule.target.strip("/")

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        rel = info.name[len(prefix):].lstrip("/") if info.name.startswith(prefix) else ""
        return info if not rel or rule.wants(rule.path / rel) else None

    return keep
