"""The labels compose v2 writes on what it makes, so that docker compose, docker-compose and
skiff compose each find and manage the others' projects."""

from __future__ import annotations

PREFIX = "com.docker.compose"
PROJECT = f"{PREFIX}.project"
SERVICE = f"{PREFIX}.service"
NUMBER = f"{PREFIX}.container-number"
ONEOFF = f"{PREFIX}.oneoff"
CONFIG_HASH = f"{PREFIX}.config-hash"
WORKING_DIR = f"{PREFIX}.project.working_dir"
CONFIG_FILES = f"{PREFIX}.project.config_files"
ENVIRONMENT_FILE = f"{PREFIX}.project.environment_file"
DEPENDS_ON = f"{PREFIX}.depends_on"
IMAGE = f"{PREFIX}.image"
VERSION = f"{PREFIX}.version"
REPLACE = f"{PREFIX}.replace"
NETWORK = f"{PREFIX}.network"
VOLUME = f"{PREFIX}.volume"
CONTAINER_NUMBER = NUMBER

# the compose version skiff compose speaks for (what ``version`` and the labels say)
COMPOSE_VERSION = "2.29.7"


def project_filter(project: str, oneoff: bool | None = False) -> dict[str, list[str]]:
    """The ``label`` filter of a project's containers (one-off ones, of ``run``, apart)."""
    wanted = [f"{PROJECT}={project}"]
    if oneoff is not None:
        wanted.append(f"{ONEOFF}={'True' if oneoff else 'False'}")
    return {"label": wanted}
