"""The golden cases, the build each runs, and the part of an image they compare."""

from __future__ import annotations

import io
import json
import re
import tarfile
from dataclasses import dataclass, field
from typing import Any

CONFIG_KEYS = ("Cmd", "Entrypoint", "Env", "WorkingDir", "User", "ExposedPorts", "Volumes",
               "Labels", "Healthcheck", "StopSignal", "OnBuild", "Shell")


@dataclass(frozen=True)
class Case:
    """A Dockerfile, the files beside it and the build's parameters."""

    dockerfile: str
    files: dict[str, str] = field(default_factory=dict)
    buildargs: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    tars: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> its members

    def context(self) -> bytes:
        """The build context as the tar a client sends."""
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w") as tar:
            entries = {"Dockerfile": self.dockerfile.encode(),
                       **{k: v.encode() for k, v in self.files.items()},
                       **{k: _tar(v) for k, v in self.tars.items()}}
            for name, data in sorted(entries.items()):
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
                tar.addfile(info, io.BytesIO(data))
        return out.getvalue()

    @property
    def from_scratch(self) -> bool:
        """Whether the final stage starts from scratch (nothing of busybox to skip)."""
        return self.dockerfile.rsplit("FROM ", 1)[1].startswith("scratch")

    def params(self) -> dict[str, Any]:
        """Keyword arguments of docker-py's ``APIClient.build``."""
        params: dict[str, Any] = {"buildargs": self.buildargs, "labels": self.labels}
        if self.target:
            params["target"] = self.target
        return params


def _tar(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


CASES: dict[str, Case] = {
    "config": Case(
        "FROM busybox\n"
        "MAINTAINER someone <someone@example.com>\n"
        "LABEL a=1 b=\"two words\"\n"
        "LABEL \"quoted key\"=x\n"
        "ENV A=1 B=\"b c\"\n"
        "ENV LEGACY spaced value\n"
        "WORKDIR /srv\n"
        "WORKDIR app\n"
        "USER 1000:1000\n"
        "EXPOSE 80 8080/udp 9000-9001\n"
        "EXPOSE 443/tcp\n"
        "VOLUME [\"/data\"]\n"
        "VOLUME /cache /logs\n"
        "STOPSIGNAL SIGINT\n"
        "ENTRYPOINT [\"/bin/echo\", \"hello\"]\n"
        "CMD [\"world\"]\n"),
    "shell_forms": Case(
        "FROM busybox\n"
        "ENTRYPOINT echo entry\n"
        "CMD echo cmd\n"
        "SHELL [\"/bin/sh\", \"-xc\"]\n"
        "RUN echo under-custom-shell\n"
        "CMD echo custom\n"
        "LABEL after=shell\n"),
    "args": Case(
        "ARG BASE=busybox\n"
        "ARG UNUSED_META=m\n"
        "FROM ${BASE}\n"
        "ARG V\n"
        "ARG W=default\n"
        "ARG QUOTED=\"a b\"\n"
        "ENV FROM_ARG=${V:-none} ALT=${W:+set} MISSING=${NOPE:-fallback}\n"
        "RUN echo $V $W > /args\n"
        "ARG LATE=late\n"
        "RUN [\"/bin/sh\", \"-c\", \"echo exec form\"]\n"
        "ENV V=overridden\n"
        "RUN echo $V\n",
        buildargs={"V": "given", "BASE": "busybox"}),
    "copy_add": Case(
        "FROM busybox\n"
        "COPY one.txt /dest/\n"
        "COPY dir /tree\n"
        "COPY *.txt /globbed/\n"
        "COPY --chown=1:2 one.txt /owned.txt\n"
        "ADD two.txt /added.txt\n"
        "ADD bundle.tar /unpacked/\n"
        "WORKDIR /work\n"
        "COPY one.txt relative.txt\n",
        files={"one.txt": "one\n", "two.txt": "two\n", "dir/a": "a\n", "dir/sub/b": "b\n"},
        tars={"bundle.tar": {"inside/x": "x\n", "y": "y\n"}}),
    "multistage": Case(
        "FROM busybox AS build\n"
        "RUN mkdir /out && echo built > /out/result\n"
        "ENV STAGE=build\n"
        "FROM busybox AS unused\n"
        "RUN echo unused > /unused\n"
        "FROM build AS derived\n"
        "RUN echo more >> /out/result\n"
        "FROM busybox\n"
        "COPY --from=derived /out /result\n"
        "COPY --from=0 /out/result /first\n"
        "CMD [\"cat\", \"/result/result\"]\n"),
    "target": Case(
        "FROM busybox AS first\n"
        "ENV STAGE=first\n"
        "CMD [\"first\"]\n"
        "FROM busybox AS second\n"
        "RUN echo second\n",
        target="first"),
    "healthcheck": Case(
        "FROM busybox AS checked\n"
        "HEALTHCHECK --interval=5s --timeout=2s --start-period=1s --retries=2 "
        "CMD wget -q -O- http://localhost/ || exit 1\n"
        "FROM checked AS exec_form\n"
        "HEALTHCHECK --interval=1m30s CMD [\"/bin/true\", \"x\"]\n"
        "FROM exec_form\n"
        "HEALTHCHECK NONE\n"),
    "onbuild": Case(
        "FROM busybox AS base\n"
        "ONBUILD RUN echo triggered > /triggered\n"
        "ONBUILD ENV FROM_TRIGGER=yes\n"
        "ONBUILD COPY one.txt /from-trigger.txt\n"
        "FROM base\n"
        "ONBUILD LABEL next=level\n"
        "CMD [\"cat\", \"/triggered\"]\n",
        files={"one.txt": "one\n"}),
    "scratch": Case(
        "FROM scratch\n"
        "COPY one.txt /\n"
        "ENV PATH=/custom\n"
        "CMD [\"/one.txt\"]\n",
        files={"one.txt": "one\n"}),
    "labels_param": Case(
        "FROM busybox\n"
        "LABEL from=dockerfile\n",
        labels={"from": "param", "extra": "a b"}),
    "substitution": Case(
        "FROM busybox\n"
        "ENV DIR=/opt/app NAME=svc\n"
        "WORKDIR /tmp\n"
        "WORKDIR $DIR\n"
        "USER nobody\n"
        "LABEL name=$NAME \"multi\"=\"a\" other=${DIR}/x\n"
        "VOLUME $DIR/data\n"
        "EXPOSE 53/udp 53\n"
        "STOPSIGNAL 9\n"
        "COPY --from=busybox /bin/busybox /copied-busybox\n"
        "RUN true\n"
        "CMD [\"x\"]\n"),
    "entrypoint_resets_cmd": Case(
        "FROM busybox\n"
        "ENTRYPOINT [\"/bin/echo\"]\n"),
    "entrypoint_after_cmd": Case(
        "FROM busybox\n"
        "CMD [\"kept\"]\n"
        "ENTRYPOINT echo shell form\n"),
    "escape": Case(
        "# escape=`\n"
        "FROM busybox\n"
        "RUN echo one `\n"
        "    two\n"
        "ENV PATHS=C:\\dir\n"
        "LABEL tick=\"a``b\"\n"),
}

_FILE_DIGEST = re.compile(r"(file|dir|multi):[0-9a-f]{64}\b")


def image_config(api: Any, image: str) -> dict[str, Any]:
    """The image's config document (with its history's ``empty_layer`` marks), read from
    ``GET /images/{name}/get`` as docker save writes it."""
    data = b"".join(api.get_image(image))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        return json.load(tar.extractfile(manifest[0]["Config"]))  # type: ignore[arg-type]


NO_BASE: dict[str, Any] = {"history": [], "rootfs": {"diff_ids": []}}


def summary(config: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """What a golden comparison looks at: the config keys, the author and the history entries
    the build added, with content digests (dockerd's tarsum, not skiff's) reduced to their
    kind, and how many layers it added."""
    settings = config.get("config") or {}
    added = (config.get("history") or [])[len(base.get("history") or []):]
    return {
        "config": {k: settings.get(k) or None for k in CONFIG_KEYS},
        "author": config.get("author") or "",
        "history": [{"created_by": _FILE_DIGEST.sub(r"\1:*", e.get("created_by") or ""),
                     "empty_layer": bool(e.get("empty_layer")),
                     "comment": e.get("comment") or ""}
                    for e in added],
        "layers": len(config["rootfs"]["diff_ids"]) - len(base["rootfs"]["diff_ids"]),
    }
