"""The sources of one COPY or ADD made ready to copy: patterns in the context or a stage's root,
heredocs, downloads and Git checkouts (ADD), with the checksum that goes into the step's key."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from skiff.api.timefmt import now_ns
from skiff.engine.builder import remote
from skiff.engine.builder.context import BuildContext
from skiff.engine.builder.dockerfile import DockerfileError, Instruction
from skiff.engine.builder.files import Selection, Source, landing


@dataclass(frozen=True)
class Prepared:
    sources: list[Source]
    digest: str  # the content of every source, hex
    kind: str  # what the history calls it: file, dir or multi
    files: dict[str, str]  # each file read (a URL, a heredoc) -> its digest


def _bool_flag(instruction: Instruction, name: str, default: bool) -> bool:
    value = instruction.flag(name)
    if value is None:
        return default
    if value.lower() in ("", "true"):
        return True
    if value.lower() == "false":
        return False
    raise DockerfileError(instruction.line, f"invalid value for --{name}: {value}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


async def prepare(instruction: Instruction, patterns: list[str], tree: BuildContext,
                  selection: Selection, tmp: Path,
                  stack: contextlib.AsyncExitStack) -> Prepared:
    """Every source of the instruction; downloads and checkouts live in ``tmp`` until
    ``stack`` closes."""
    add = instruction.keyword == "ADD"
    heredocs = {f"<<{h.name}": h.content for h in instruction.heredocs}
    checksum = instruction.flag("checksum")
    if checksum and not add:
        raise DockerfileError(instruction.line, "--checksum is only for ADD")
    matcher = selection.matcher
    sources: list[Source] = []
    parts: list[str] = []
    files: dict[str, str] = {}
    found_count, any_dir = 0, False
    for pattern in patterns:
        if pattern in heredocs:
            sources.append(Source(None, pattern[2:], heredocs[pattern]))
            parts.append(hashlib.sha256(heredocs[pattern].encode()).hexdigest())
            files[pattern] = parts[-1]
            found_count += 1
            continue
        if add and (remote.is_git(pattern) or remote.is_url(pattern)):
            source, digest = await _fetch(instruction, pattern, checksum, tmp, stack)
            sources.append(source)
            parts.append(digest)
            files[pattern] = digest
            found_count += 1
            any_dir = any_dir or remote.is_git(pattern)
            continue
        found = tree.sources(pattern)
        found_count += len(found)
        any_dir = any_dir or any(tree.path(f).is_dir() for f in found)

        def keep(top: str, rel: str, pattern: str = pattern) -> bool:
            inner = rel[len(top):].lstrip("/") if top and rel.startswith(top) else rel
            return selection.kept(matcher, rel, inner or landing(pattern, top,
                                                                  selection.parents))

        parts.append(tree.checksum(found, keep if matcher else None, files)[7:])
        sources.append(Source(tree, pattern, unpack=add and _bool_flag(instruction, "unpack",
                                                                        True)))
    if checksum and not any(remote.is_url(p) or remote.is_git(p) for p in patterns):
        raise DockerfileError(instruction.line, "--checksum can only be used with a URL or "
                                                "Git source")
    digest = parts[0] if len(parts) == 1 else hashlib.sha256(" ".join(parts).encode()).hexdigest()
    kind = "multi" if found_count > 1 else "dir" if any_dir else "file"
    return Prepared(sources, digest, kind, files)


async def _fetch(instruction: Instruction, url: str, checksum: str | None, tmp: Path,
                 stack: contextlib.AsyncExitStack) -> tuple[Source, str]:
    place = tmp / f"fetch-{now_ns()}"
    stack.callback(shutil.rmtree, place, True)
    if remote.is_git(url):
        source = remote.GitSource.parse(url)
        tree, commit = await asyncio.to_thread(
            remote.clone, source, place, _bool_flag(instruction, "keep-git-dir", False))
        if checksum and not commit.startswith(checksum):
            raise DockerfileError(instruction.line, f"expected checksum to match {checksum}, "
                                                    f"got {commit}")
        checkout = BuildContext(tree)
        return Source(checkout, "."), checkout.checksum([""])[7:]
    place.mkdir(parents=True)
    path = await asyncio.to_thread(remote.download, url, place)
    digest = await asyncio.to_thread(_sha256, path)
    if checksum and checksum != f"sha256:{digest}":
        raise DockerfileError(instruction.line, f"digest mismatch {checksum}: sha256:{digest}")
    return Source(BuildContext(place), path.name,
                  unpack=_bool_flag(instruction, "unpack", False)), digest

