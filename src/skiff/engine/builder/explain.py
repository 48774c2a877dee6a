"""Cache keys and the reasons for cache misses.

A step's key is the digest of its ``StepInputs``: the image it starts from, the instruction
after substitution, the build arguments it reads (a RUN reads them all: they are its
environment), the files it reads (COPY and ADD sources, RUN bind mounts) and the images it
reads from. Never when anything ran, nor file times.

Each build of a Dockerfile records its steps' inputs (a ``Record``); the next build of the same
Dockerfile compares each missed step with the same step of the record and says which input
changed ("COPY . /app missed: package.json changed"). Pure, but for ``Records`` (files under
the data root).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SHOWN = 3  # changed files named in a reason, the rest counted


@dataclass(frozen=True)
class StepInputs:
    parent: str
    text: str  # the instruction after substitution
    args: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # path -> digest of what it reads
    origins: tuple[str, ...] = ()  # images it reads from (COPY --from, mounts from=)
    heredocs: tuple[str, ...] = ()

    def key(self) -> str:
        payload = {"parent": self.parent, "text": self.text, "args": sorted(self.args.items()),
                   "files": sorted(self.files.items()), "origins": list(self.origins),
                   "heredocs": list(self.heredocs)}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    def shown(self) -> dict[str, Any]:
        """The inputs as ``--explain`` prints them: files summarised by count and digest."""
        out: dict[str, Any] = {"parent": self.parent[:19], "instruction": self.text}
        if self.args:
            out["args"] = self.args
        if self.files:
            digest = hashlib.sha256(json.dumps(sorted(self.files.items())).encode())
            out["files"] = f"{len(self.files)} ({digest.hexdigest()[:12]})"
        if self.origins:
            out["from"] = [o[:19] for o in self.origins]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepInputs:
        return cls(str(data.get("parent", "")), str(data.get("text", "")),
                   dict(data.get("args") or {}), dict(data.get("files") or {}),
                   tuple(data.get("origins") or ()), tuple(data.get("heredocs") or ()))


def _files_changed(before: dict[str, str], after: dict[str, str]) -> str:
    changed = sorted(p for p in after if p in before and before[p] != after[p])
    added = sorted(p for p in after if p not in before)
    removed = sorted(p for p in before if p not in after)
    parts = [f"{p} changed" for p in changed] + [f"{p} added" for p in added] + \
        [f"{p} removed" for p in removed]
    if len(parts) > SHOWN:
        return ", ".join(parts[:SHOWN]) + f" and {len(parts) - SHOWN} more"
    return ", ".join(parts)


def why_missed(before: StepInputs | None, after: StepInputs, parent_missed: bool) -> str:
    """Which inputs of a missed step differ from its last build (the step before it only when
    nothing of its own changed)."""
    if before is None:
        return "no earlier build of this step to compare with"
    reasons = []
    if before.text != after.text:
        reasons.append(f"the instruction changed (was: {before.text})")
    for name in sorted(k for k in {*before.args, *after.args}
                       if before.args.get(k) != after.args.get(k)):
        reasons.append(f"build argument {name} changed: "
                       f"{before.args.get(name, '(unset)')!r} -> "
                       f"{after.args.get(name, '(unset)')!r}")
    if before.files != after.files:
        reasons.append(_files_changed(before.files, after.files))
    if before.heredocs != after.heredocs:
        reasons.append("a heredoc's content changed")
    if before.origins != after.origins:
        reasons.append("the stage or image it reads from changed")
    if reasons:
        return "; ".join(reasons)
    if before.parent != after.parent:
        return "the step before it changed" if parent_missed else "its base image changed"
    return "its cached result is gone (the image was removed)"


@dataclass
class Record:
    """The inputs of each step of one build, by slot (``stage/step``)."""

    steps: dict[str, StepInputs] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"steps": {k: asdict(v) for k, v in self.steps.items()}})


class Records:
    """The last build's record of each Dockerfile, in files under the data root."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, identity: str) -> Path:
        return self.root / (hashlib.sha256(identity.encode()).hexdigest()[:32] + ".json")

    def load(self, identity: str) -> Record | None:
        try:
            data = json.loads(self._path(identity).read_text())
            return Record({k: StepInputs.from_json(v) for k, v in data["steps"].items()})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def save(self, identity: str, record: Record) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self._path(identity)
        staging = path.with_suffix(".tmp")
        staging.write_text(record.to_json())
        os.replace(staging, path)

    def clear(self) -> None:
        for path in self.root.glob("*.json") if self.root.is_dir() else []:
            with contextlib.suppress(OSError):
                path.unlink()
