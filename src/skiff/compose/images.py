"""The images a project's services run: built from their ``build:`` section, found on the
engine, or pulled, as their pull policy says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from skiff.client import APIError, Client
from skiff.client.buildcontext import ContextError, context_tar
from skiff.client.errors import StreamError
from skiff.client.streams import raise_stream_errors
from skiff.compose.canonical import ComposeError
from skiff.compose.model import Project, Service
from skiff.compose.progress import Progress


class Images:
    def __init__(self, client: Client, project: Project, progress: Progress) -> None:
        self.client, self.project, self.progress = client, project, progress

    def resolve(self, service: Service, build: bool, no_build: bool,
                pull: str = "policy") -> str:
        """The ID of the image a service runs: built when it has ``build:`` and the image is
        missing (or ``--build``, or ``pull_policy: build``), pulled when missing (or
        ``always``), else the one the engine has. ``pull`` is ``up --pull``; ``policy``
        leaves it to the service's ``pull_policy``."""
        name = self.project.image_of(service)
        policy = (service.pull_policy or "missing") if pull == "policy" else pull
        if policy not in ("always", "never", "missing", "if_not_present", "build"):
            raise ComposeError(f"invalid pull policy {policy!r} for service {service.name}")
        present = self.id_of(name)
        if service.build is not None and not no_build and (
                build or policy == "build" or present is None):
            return self.build(service)
        if policy == "never" and present is None:
            raise ComposeError(f"image {name} of service {service.name} is not here and its "
                               f"pull policy is never")
        if present is None or (policy == "always" and service.build is None):
            if service.build is not None:
                raise ComposeError(f"image {name} of service {service.name} is not built "
                                   f"(no --no-build)")
            self.progress.event("Image", name, "Pulling")
            try:
                for _ in raise_stream_errors(self.client.images.pull(name)):
                    pass
            except (StreamError, APIError) as exc:
                self.progress.event("Image", name, "Error")
                message = _message(exc)
                raise ComposeError(message if name in message else
                                   f"pull access denied for {name}: {message}") from None
            present = self.id_of(name)
            if present is None:
                raise ComposeError(f"no such image: {name}")
            self.progress.event("Image", name, "Pulled")
        return present

    def id_of(self, name: str) -> str | None:
        try:
            return str(self.client.images.inspect(name)["Id"])
        except APIError as exc:
            if exc.not_found:
                return None
            raise

    def build(self, service: Service) -> str:
        assert service.build is not None
        spec = service.build
        name = self.project.image_of(service)
        dockerfile = spec.dockerfile
        self.progress.event("Service", service.name, "Building")
        try:
            if spec.dockerfile_inline is not None:
                body, dockerfile = _inline_context(Path(spec.context), spec.dockerfile_inline)
            else:
                path = str(Path(spec.context) / dockerfile) if dockerfile and not \
                    Path(dockerfile).is_absolute() else dockerfile
                body, dockerfile = context_tar(spec.context, path)
        except ContextError as exc:
            raise ComposeError(f"building {service.name}: {exc}") from None
        query: dict[str, Any] = {
            "t": [name, *spec.tags], "dockerfile": dockerfile, "target": spec.target,
            "buildargs": _json({k: v for k, v in spec.args.items() if v is not None}),
            "labels": _json({k: v or "" for k, v in spec.labels.items()}),
            "nocache": spec.no_cache or None, "pull": spec.pull or None, "rm": True,
            "forcerm": True, "networkmode": spec.network,
            "cachefrom": _json(spec.cache_from) if spec.cache_from else None,
        }
        image_id = ""
        try:
            for message in raise_stream_errors(self.client.images.build(body, query)):
                if isinstance(message, dict):
                    if message.get("aux", {}).get("ID"):
                        image_id = message["aux"]["ID"]
                    text = message.get("stream") or ""
                    for line in text.splitlines():
                        if line.strip():
                            self.progress.text(f"#{service.name} {line}")
        except (StreamError, APIError) as exc:
            raise ComposeError(f"failed to build {service.name}: {_message(exc)}") from None
        self.progress.event("Service", service.name, "Built")
        return image_id or (self.id_of(name) or "")


def _json(value: Any) -> str | None:
    return json.dumps(value) if value else None


def _message(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc)


def _inline_context(context: Path, text: str) -> tuple[bytes, str]:
    """A context whose Dockerfile is ``dockerfile_inline``'s text."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".Dockerfile") as handle:
        handle.write(text)
        handle.flush()
        return context_tar(str(context), handle.name)
