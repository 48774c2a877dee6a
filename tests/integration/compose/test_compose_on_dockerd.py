"""skiff compose is a plain Engine API client: the same project on a real dockerd (the pass of
the tests beside Debian's dockerd, which sets SKIFF_BESIDE_DOCKERD)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BUSYBOX_TAR

DOCKERD = os.environ.get("SKIFF_BESIDE_DOCKERD", "")
pytestmark = pytest.mark.skipif(not DOCKERD, reason="runs beside dockerd (scripts/test's "
                                                    "second pass)")


def _run(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env={**os.environ, "DOCKER_HOST": DOCKERD},
                          capture_output=True, text=True, timeout=timeout)


def test_up_ps_exec_down_on_dockerd(tmp_path: Path) -> None:
    loaded = _run("docker", "import", "--change", 'CMD ["sh"]', str(BUSYBOX_TAR),
                  "skiff-busybox:compose", cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: skiff-busybox:compose\n    init: true\n"
        "    command: [httpd, -f, -p, '8000', -h, /etc]\n    healthcheck:\n"
        "      test: [CMD, wget, -qO-, http://127.0.0.1:8000/hostname]\n      interval: 1s\n"
        "  client:\n    image: skiff-busybox:compose\n    init: true\n"
        "    command: [sleep, '300']\n    depends_on:\n      web:\n"
        "        condition: service_started\n")
    project = f"skd{secrets.token_hex(3)}"
    compose = [sys.executable, "-m", "skiff.cli.main", "compose", "-p", project]
    try:
        up = _run(*compose, "up", "-d", cwd=tmp_path)
        assert up.returncode == 0, up.stderr
        assert f"Container {project}-client-1  Started" in up.stderr
        states = _run(*compose, "ps", "--format", "{{.Service}} {{.State}}", cwd=tmp_path)
        assert states.stdout.split("\n")[:2] == ["client running", "web running"]
        # the client reaches the web service by its name on the project's network
        fetched = _run(*compose, "exec", "-T", "client", "sh", "-c",
                       "for i in $(seq 50); do wget -qO- http://web:8000/hostname && exit 0; "
                       "sleep 0.2; done; exit 1", cwd=tmp_path)
        assert fetched.returncode == 0, fetched.stderr
        web_id = _run("docker", "inspect", "--format", "{{.Config.Hostname}}",
                      f"{project}-web-1", cwd=tmp_path).stdout
        assert fetched.stdout == web_id  # framed output read as frames
        labels = _run("docker", "inspect", "--format",
                      '{{index .Config.Labels "com.docker.compose.project"}}',
                      f"{project}-web-1", cwd=tmp_path)
        assert labels.stdout.strip() == project
    finally:
        down = _run(*compose, "down", "-t", "1", cwd=tmp_path)
        _run("docker", "rmi", "skiff-busybox:compose", cwd=tmp_path)
    assert down.returncode == 0, down.stderr
    left = _run("docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={project}",
                cwd=tmp_path)
    assert left.stdout == ""
