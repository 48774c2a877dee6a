"""Loading a project from files: discovery, names, overrides, extends, include, profiles and
each container's environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from skiff.compose.canonical import ComposeError
from skiff.compose.loader import Options, load, normalize_name


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def _load(root: Path, **options: object) -> object:
    return load(Options(cwd=str(root), environ=options.pop("environ", {}), **options))  # type: ignore[arg-type]


def test_discovery_override_and_name(tmp_path: Path) -> None:
    project = tmp_path / "My App"
    _write(project, {"compose.yaml": "services:\n  web:\n    image: busybox\n",
                     "compose.override.yaml": "services:\n  web:\n    command: [echo]\n"})
    (project / "sub").mkdir()
    loaded = _load(project / "sub")
    assert loaded.project.name == "myapp"  # the directory's name, normalised
    assert loaded.project.services["web"].command == ["echo"]
    assert [p.name for p in loaded.files] == ["compose.yaml", "compose.override.yaml"]
    assert _load(project, environ={"COMPOSE_PROJECT_NAME": "other"}).project.name == "other"
    assert _load(project, project_name="given").project.name == "given"
    assert normalize_name("Hello World_1") == "helloworld_1"
    with pytest.raises(ComposeError, match="invalid project name"):
        _load(project, project_name="Bad Name")
    with pytest.raises(ComposeError, match="no configuration file provided"):
        _load(tmp_path / "nowhere" if (tmp_path / "nowhere").mkdir() is None else tmp_path)


def test_environment_precedence(tmp_path: Path) -> None:
    _write(tmp_path, {
        "compose.yaml": "services:\n  app:\n    image: busybox\n    env_file: [app.env]\n"
                        "    environment:\n      FROM_FILE_AND_YAML: yaml\n      FROM_SHELL:\n"
                        "      TAG: ${TAG}\n",
        "app.env": "FROM_FILE=file\nFROM_FILE_AND_YAML=file\n",
        ".env": "TAG=dotenv\nFROM_SHELL=dotenv\n"})
    env = _load(tmp_path, environ={"FROM_SHELL": "shell"}).project.services["app"].environment
    assert env == {"FROM_FILE": "file", "FROM_FILE_AND_YAML": "yaml", "FROM_SHELL": "shell",
                   "TAG": "dotenv"}
    _write(tmp_path, {"compose.yaml": "services:\n  app:\n    image: busybox\n"
                                      "    env_file:\n      - path: missing.env\n"
                                      "        required: false\n"})
    assert _load(tmp_path).project.services["app"].environment == {}


def test_extends_include_and_profiles(tmp_path: Path) -> None:
    _write(tmp_path, {
        "base.yaml": "services:\n  common:\n    image: busybox\n    environment: {A: '1'}\n"
                     "    command: [base]\n",
        "lib/compose.yaml": "services:\n  cache:\n    image: busybox\n    build: .\n",
        "compose.yaml": "include: [lib/compose.yaml]\nservices:\n"
                        "  web:\n    extends: {file: base.yaml, service: common}\n"
                        "    environment: {B: '2'}\n"
                        "  worker:\n    extends: web\n    command: [work]\n"
                        "  debug:\n    image: busybox\n    profiles: [dev]\n"})
    loaded = _load(tmp_path)
    services = loaded.project.services
    assert services["web"].environment == {"A": "1", "B": "2"}
    assert services["web"].command == ["base"]
    assert services["worker"].command == ["work"]
    assert services["worker"].environment == {"A": "1", "B": "2"}
    assert services["cache"].build is not None
    assert services["cache"].build.context == str(tmp_path / "lib")  # its own directory
    assert "debug" not in services and "debug" in loaded.disabled
    assert "debug" in _load(tmp_path, profiles=("dev",)).project.services
    assert "debug" in _load(tmp_path, environ={"COMPOSE_PROFILES": "dev"}).project.services
    assert "debug" in _load(tmp_path, services=("debug",)).project.services


def test_bad_files(tmp_path: Path) -> None:
    cases = {
        "services:\n  web:\n    image: busybox\n    ports: 80\n": "services.web.ports",
        "services:\n  web:\n    image: busybox\n    networks: [back]\n": "undefined network",
        "services:\n  web:\n    extends: nope\n": "service 'nope' not found",
        "services:\n  web:\n    image: busybox\n    restart: [x]\n": "services.web.restart",
        "volumes: [x]\n": "volumes",
    }
    for text, message in cases.items():
        _write(tmp_path, {"compose.yaml": text})
        with pytest.raises(ComposeError, match=message.replace(".", r"\.")):
            _load(tmp_path)


def test_compose_go_normalisations(tmp_path: Path) -> None:
    """What compose-go makes of a file: label files read into labels, links, volumes_from and
    ``service:`` namespaces as dependencies, unset variables kept unset, extends per file,
    resources no service uses left out."""
    _write(tmp_path, {
        "labels.txt": "from.file=yes\nboth=file\n",
        "compose.yaml": "services:\n"
                        "  base:\n    image: busybox\n    environment: [KEEP=1]\n"
                        "  web:\n    extends: base\n    label_file: labels.txt\n"
                        "    labels: {both: own}\n    links: [db]\n    volumes_from: [db]\n"
                        "    pid: service:db\n    environment: [UNSET_ONE]\n"
                        "  db:\n    image: busybox\n"
                        "networks:\n  unused: {}\nvolumes:\n  unused: {}\n",
        "compose.override.yaml": "services:\n  base:\n    environment: [LATE=1]\n"})
    project = _load(tmp_path).project  # type: ignore[attr-defined]
    web = project.services["web"]
    assert web.labels == {"from.file": "yes", "both": "own"}
    assert web.label_file == []
    assert {k: (d.restart, d.required) for k, d in web.depends_on.items()} == {
        "db": (True, True)}
    assert web.environment == {"KEEP": "1", "UNSET_ONE": None}  # the override's LATE: base's
    assert set(project.networks) == {"default"} and project.volumes == {}
