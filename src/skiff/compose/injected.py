"""Secrets and configs put into a container before it starts: from a file, the environment
or inline content, with their ``uid``/``gid``/``mode`` (copied, not bind-mounted)."""

from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path
from typing import Any

from skiff.client import Client
from skiff.compose.canonical import ComposeError
from skiff.compose.interpolation import Variable
from skiff.compose.model import FileRef, Project, Service


class Injector:
    def __init__(self, client: Client, project: Project,
                 variables: dict[str, Variable]) -> None:
        self.client, self.project, self.variables = client, project, variables

    def copy(self, container_id: str, service: Service) -> None:
        """Secrets and configs copied into the container with their owner and mode (not
        bound: a bind mount cannot give a file another owner, docker/compose#9648)."""
        entries: list[tuple[str, bytes, FileRef]] = []
        for refs, pool, default in ((service.secrets, self.project.secrets, "/run/secrets/"),
                                    (service.configs, self.project.configs, "/")):
            for ref in refs:
                spec = pool[ref.source]
                target = ref.target or ref.source
                if not target.startswith("/"):
                    target = default + target
                entries.append((target, self._content(ref.source, spec), ref))
        if not entries:
            return
        data = io.BytesIO()
        with tarfile.open(fileobj=data, mode="w") as tar:
            made: set[str] = set()
            for target, content, ref in entries:
                parts = target.strip("/").split("/")
                for depth in range(1, len(parts)):
                    directory = "/".join(parts[:depth])
                    if directory not in made:
                        made.add(directory)
                        info = tarfile.TarInfo(directory)
                        info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, time.time()
                        tar.addfile(info)
                info = tarfile.TarInfo("/".join(parts))
                info.size, info.mtime = len(content), time.time()
                info.uid = int(ref.uid or 0)
                info.gid = int(ref.gid or 0)
                mode = ref.mode if ref.mode is not None else 0o444
                info.mode = int(mode, 8) if isinstance(mode, str) else mode
                tar.addfile(info, io.BytesIO(content))
        self.client.containers.put_archive(container_id, "/", data.getvalue(),
                                           copy_uid_gid=True)

    def _content(self, name: str, spec: Any) -> bytes:
        if spec.file:
            try:
                return Path(spec.file).read_bytes()
            except OSError as exc:
                raise ComposeError(f"secret/config {name}: {spec.file}: {exc.strerror}") from None
        if spec.environment:
            variable = self.variables.get(spec.environment)
            if variable is None:
                raise ComposeError(f"environment variable {spec.environment} of {name} is not "
                                   f"set")
            return str(variable.value).encode()
        if spec.content is not None:
            return str(spec.content).encode()
        raise ComposeError(f"{name}: external secrets and configs need a swarm")
