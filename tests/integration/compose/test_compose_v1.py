"""Debian's docker-compose 1.29 (through docker-py 5) against skiffd: a project with a
published port, name resolution, a named volume, scale, run, build, exec, logs and down."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Daemon, DockerCLI
from tests.integration.compose.clients import Compose, get_when_up


@pytest.fixture
def v1(daemon: Daemon, tmp_path: Path) -> Iterator[Compose]:
    runner = Compose(["docker-compose"], daemon.host, tmp_path, f"vone{secrets.token_hex(3)}")
    yield runner
    runner("down", "-v", "--rmi", "local", "--remove-orphans", "-t", "1", check=False)


def test_docker_compose_v1_up_scale_run_build_down(v1: Compose, docker: DockerCLI) -> None:
    port = 20000 + secrets.randbelow(20000)
    (v1.directory / "job").mkdir()
    (v1.directory / "job" / "Dockerfile").write_text(
        "FROM busybox\nRUN echo built > /built\nCMD [\"cat\", \"/built\"]\n")
    (v1.directory / "docker-compose.yml").write_text(f"""
version: "3.8"
services:
  web:
    image: busybox
    init: true
    command: ["sh", "-c", "mkdir -p /www && echo v1-web > /www/index.html &&
              httpd -f -p 8000 -h /www"]
    ports: ["127.0.0.1:{port}:8000"]
  app:
    image: busybox
    init: true
    command: ["sh", "-c", "echo app-started; sleep 300"]
    depends_on: [web]
    environment: [ROLE=app]
    volumes: [data:/data]
  job:
    build: ./job
volumes:
  data: {{}}
""")
    v1("up", "-d", "web", "app")
    assert get_when_up(f"http://127.0.0.1:{port}/") == "v1-web\n"
    fetched = v1("exec", "-T", "app", "sh", "-c",
                 "for i in $(seq 50); do wget -qO- http://web:8000/ && exit; sleep 0.2; done")
    assert fetched.stdout == "v1-web\n"
    assert v1("exec", "-T", "app", "sh", "-c", "echo $ROLE").stdout == "app\n"
    names = docker("ps", "--format", "{{.Names}}", "--filter",
                   f"label=com.docker.compose.project={v1.project}").stdout.split()
    assert sorted(names) == [f"{v1.project}_app_1", f"{v1.project}_web_1"]
    v1("up", "-d", "--scale", "app=3", "web", "app")
    assert len(v1("ps", "-q", "app").stdout.split()) == 3
    v1("up", "-d", "--scale", "app=1", "web", "app")
    assert len(v1("ps", "-q", "app").stdout.split()) == 1
    assert v1("run", "--rm", "-T", "app", "echo", "one-off").stdout.strip() == "one-off"
    v1("build", "job")
    assert v1("run", "--rm", "-T", "job").stdout.strip() == "built"
    assert "app-started" in v1("logs", "--tail", "5", "app").stdout
    assert v1("port", "web", "8000").stdout.strip() == f"127.0.0.1:{port}"
    v1("stop", "-t", "1")
    v1("down")
    assert docker("ps", "-aq", "--filter",
                  f"label=com.docker.compose.project={v1.project}").stdout == ""
    assert docker("volume", "inspect", f"{v1.project}_data", check=False).returncode == 0
    v1("down", "-v")
    assert docker("volume", "inspect", f"{v1.project}_data", check=False).returncode != 0


def test_skiff_compose_manages_a_docker_compose_v1_project(v1: Compose,
                                                           docker: DockerCLI) -> None:
    (v1.directory / "docker-compose.yml").write_text(
        "services:\n  one:\n    image: busybox\n    init: true\n    command: sleep 300\n")
    v1("up", "-d")
    skiff = [sys.executable, "-m", "skiff.cli.main", "compose", "-p", v1.project]
    env = {**os.environ, "DOCKER_HOST": v1.host}
    listed = subprocess.run([*skiff, "ps", "--format", "{{.Name}} {{.State}}"],
                            cwd=v1.directory, env=env, capture_output=True, text=True,
                            timeout=60)
    assert listed.stdout == f"{v1.project}_one_1 running\n", listed.stderr
    down = subprocess.run([*skiff, "down", "-t", "1"], cwd=v1.directory, env=env,
                          capture_output=True, text=True, timeout=60)
    assert down.returncode == 0, down.stderr
    assert v1("ps", "-q").stdout == ""
    assert docker("network", "ls", "-q", "--filter", f"name={v1.project}_default").stdout == ""
