"""``skiff compose`` against a real skiffd: a multi-service project brought up, reached,
changed, scaled and taken down, with compose v2's names, labels and outputs."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Daemon, DockerCLI
from tests.integration.compose.clients import SKIFF, Compose, get_when_up


@pytest.fixture
def compose(daemon: Daemon, tmp_path: Path) -> Iterator[Compose]:
    runner = Compose(SKIFF, daemon.host, tmp_path, f"sk{secrets.token_hex(3)}")
    yield runner
    runner("down", "-v", "--rmi", "local", "--remove-orphans", "-t", "1", check=False)


def _port() -> int:
    return 20000 + secrets.randbelow(20000)


APP = """
services:
  web:
    image: busybox
    init: true
    command: ["sh", "-c", "mkdir -p /www && echo front > /www/index.html &&
              httpd -f -p 8000 -h /www"]
    ports: ["127.0.0.1:{port}:8000"]
    depends_on:
      app:
        condition: service_healthy
  app:
    image: busybox
    init: true
    command: ["sh", "-c", "echo app-up; wget -qO- http://store:7000/ > /tmp/seen; sleep 300"]
    environment:
      MODE: ${{MODE:-dev}}
    healthcheck:
      test: ["CMD", "test", "-s", "/tmp/seen"]
      interval: 1s
      retries: 30
    depends_on: [store]
  store:
    image: busybox
    init: true
    command: ["sh", "-c", "mkdir -p /data/www && echo stored > /data/www/index.html &&
              httpd -f -p 7000 -h /data/www"]
    volumes: [data:/data]
volumes:
  data: {{}}
"""


def test_up_serves_the_app_and_down_removes_it(compose: Compose, docker: DockerCLI) -> None:
    port = _port()
    (compose.directory / "compose.yaml").write_text(APP.format(port=port))
    up = compose("up", "-d")
    p = compose.project
    assert f" Container {p}-app-1  Healthy" in up.stderr
    assert f" Network {p}_default  Created" in up.stderr
    assert get_when_up(f"http://127.0.0.1:{port}/") == "front\n"
    # the app reached the store by its service name, once the store was started
    seen = compose("exec", "-T", "app", "cat", "/tmp/seen").stdout
    assert seen == "stored\n"
    labels = json.loads(docker("inspect", "--format", "{{json .Config.Labels}}",
                               f"{p}-web-1").stdout)
    assert labels["com.docker.compose.project"] == p
    assert labels["com.docker.compose.service"] == "web"
    assert labels["com.docker.compose.container-number"] == "1"
    assert labels["com.docker.compose.oneoff"] == "False"
    assert labels["com.docker.compose.depends_on"] == "app:service_healthy:false"
    assert labels["com.docker.compose.project.working_dir"] == str(compose.directory)
    rows = [json.loads(line) for line in compose("ps", "--format", "json").stdout.splitlines()]
    assert sorted(r["Service"] for r in rows) == ["app", "store", "web"]
    assert {r["State"] for r in rows} == {"running"}
    table = compose("ps").stdout.splitlines()
    assert table[0].split() == ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS",
                                "PORTS"]
    assert f"127.0.0.1:{port}->8000/tcp" in compose("ps", "web").stdout
    assert "app-1  | app-up" in compose("logs", "app").stdout
    assert compose("port", "web", "8000").stdout == f"127.0.0.1:{port}\n"
    assert p in compose("ls").stdout
    # up again changes nothing: every container is kept
    again = compose("up", "-d")
    assert "Recreate" not in again.stderr and "Creating" not in again.stderr
    down = compose("down")
    assert f" Container {p}-web-1  Removed" in down.stderr
    assert docker("ps", "-a", "-q", "--filter", f"label=com.docker.compose.project={p}"
                  ).stdout == ""
    assert docker("network", "ls", "-q", "--filter", f"name={p}_default").stdout == ""
    # the named volume outlives down; down -v removes it
    assert docker("volume", "inspect", f"{p}_data", check=False).returncode == 0
    compose("down", "-v")
    assert docker("volume", "inspect", f"{p}_data", check=False).returncode != 0


def test_only_what_changed_is_recreated_and_scale(compose: Compose, docker: DockerCLI) -> None:
    base = ("services:\n  one:\n    image: busybox\n    init: true\n    command: sleep 300\n"
            "  two:\n    image: busybox\n    init: true\n    command: sleep 300\n"
            "    environment:\n"
            "      ROUND: ${ROUND}\n")
    (compose.directory / "compose.yaml").write_text(base)
    compose("up", "-d", env={"ROUND": "1"})
    before = {n: docker("inspect", "--format", "{{.Id}}", f"{compose.project}-{n}-1").stdout
              for n in ("one", "two")}
    changed = compose("up", "-d", env={"ROUND": "2"})
    assert f"Container {compose.project}-two-1  Recreate" in changed.stderr
    after = {n: docker("inspect", "--format", "{{.Id}}", f"{compose.project}-{n}-1").stdout
             for n in ("one", "two")}
    assert after["one"] == before["one"] and after["two"] != before["two"]
    env = docker("inspect", "--format", "{{json .Config.Env}}", f"{compose.project}-two-1")
    assert "ROUND=2" in env.stdout
    compose("up", "-d", "--scale", "one=3", env={"ROUND": "2"})
    names = sorted(docker("ps", "--format", "{{.Names}}", "--filter",
                          "label=com.docker.compose.service=one", "--filter",
                          f"label=com.docker.compose.project={compose.project}"
                          ).stdout.split())
    assert names == [f"{compose.project}-one-{n}" for n in (1, 2, 3)]
    compose("up", "-d", "--scale", "one=1", env={"ROUND": "2"})
    names = docker("ps", "--format", "{{.Names}}", "--filter",
                   f"label=com.docker.compose.project={compose.project}").stdout.split()
    assert sorted(names) == [f"{compose.project}-one-1", f"{compose.project}-two-1"]


def test_config_merges_overrides_profiles_and_interpolation(compose: Compose) -> None:
    (compose.directory / "compose.yaml").write_text(
        "services:\n  web:\n    image: busybox:${TAG:-stable}\n    ports: ['8080:80']\n"
        "    environment: [A=1, B=2]\n    command: echo base\n"
        "  debug:\n    image: busybox\n    profiles: [debug]\n")
    (compose.directory / "compose.override.yaml").write_text(
        "services:\n  web:\n    ports: !override ['9090:80']\n    environment:\n"
        "      B: !reset null\n      C: '3'\n    command: echo override\n")
    (compose.directory / ".env").write_text("TAG=from-dotenv\n")
    out = json.loads(compose("config", "--format", "json").stdout)
    web = out["services"]["web"]
    assert out["name"] == compose.project
    assert web["image"] == "busybox:from-dotenv"
    assert web["command"] == ["echo", "override"]
    assert web["environment"] == {"A": "1", "C": "3"}
    assert web["ports"] == [{"mode": "ingress", "target": 80, "published": "9090",
                             "protocol": "tcp"}]
    assert "debug" not in out["services"]
    assert out["networks"]["default"]["name"] == f"{compose.project}_default"
    shell = json.loads(compose("config", "--format", "json", env={"TAG": "shell"}).stdout)
    assert shell["services"]["web"]["image"] == "busybox:shell"  # the shell wins over .env
    assert compose("--profile", "debug", "config", "--services").stdout == "debug\nweb\n"
    assert compose("config", "--profiles").stdout == "debug\n"
    yaml_out = compose("config").stdout
    assert yaml_out.startswith(f"name: {compose.project}\nservices:\n")
    bad = compose("-f", "missing.yaml", "config", check=False)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1
    (compose.directory / "bad.yaml").write_text("services:\n  web:\n    imagee: busybox\n")
    bad = compose("-f", "bad.yaml", "config", check=False)
    assert "services.web additional properties 'imagee' not allowed" in bad.stderr


def test_secrets_are_copied_with_owner_and_mode_and_run_rm(compose: Compose,
                                                           docker: DockerCLI) -> None:
    (compose.directory / "token.txt").write_text("s3cret\n")
    (compose.directory / "compose.yaml").write_text(
        "services:\n  app:\n    image: busybox\n    init: true\n    command: sleep 300\n"
        "    secrets:\n"
        "      - source: token\n        uid: '1000'\n        gid: '1000'\n        mode: 0400\n"
        "    configs:\n      - source: conf\n        target: /etc/app.conf\n"
        "secrets:\n  token:\n    file: ./token.txt\n"
        "configs:\n  conf:\n    content: 'level=debug'\n")
    compose("up", "-d")
    out = compose("exec", "-T", "app", "sh", "-c",
                  "stat -c '%u:%g %a' /run/secrets/token; cat /run/secrets/token "
                  "/etc/app.conf").stdout
    assert out == "1000:1000 400\ns3cret\nlevel=debug"
    mounts = docker("inspect", "--format", "{{json .Mounts}}", f"{compose.project}-app-1")
    assert "token" not in mounts.stdout  # copied in, not bound
    ran = compose("run", "--rm", "-T", "app", "echo", "one-off")
    assert ran.stdout == "one-off\n"
    assert docker("ps", "-a", "-q", "--filter", "label=com.docker.compose.oneoff=True",
                  "--filter", f"label=com.docker.compose.project={compose.project}"
                  ).stdout == ""


def test_bad_projects_are_one_line_errors(compose: Compose, docker: DockerCLI) -> None:
    cases = {
        "cycle.yaml": "services:\n  a:\n    image: busybox\n    depends_on: [b]\n"
                      "  b:\n    image: busybox\n    depends_on: [a]\n",
        "undefined.yaml": "services:\n  a:\n    image: busybox\n    depends_on: [nope]\n",
        "volume.yaml": "services:\n  a:\n    image: busybox\n    volumes: ['nope:/x']\n",
        "required.yaml": "services:\n  a:\n    image: ${IMAGE:?set IMAGE}\n",
        "yaml.yaml": "services:\n  a: [\n",
        "never.yaml": "services:\n  a:\n    image: not-here:1\n    pull_policy: never\n",
        "pull.yaml": "services:\n  a:\n    image: not-here:1\n",
    }
    expected = {"cycle.yaml": "dependency cycle detected",
                "undefined.yaml": "depends on undefined service",
                "volume.yaml": "refers to undefined volume nope",
                "required.yaml": "set IMAGE",
                "yaml.yaml": "yaml:",
                "never.yaml": "its pull policy is never",
                "pull.yaml": "pull access denied for not-here:1"}
    for name, text in cases.items():
        (compose.directory / name).write_text(text)
        result = compose("-f", name, "up", "-d", check=False)
        assert result.returncode == 1, name
        last = result.stderr.splitlines()[-1]  # the error: one line, after any progress
        assert expected[name] in last, (name, result.stderr)
        assert "Traceback" not in result.stderr and all(
            line.startswith(" ") for line in result.stderr.splitlines()[:-1]), result.stderr
    assert docker("ps", "-a", "-q", "--filter",
                  f"label=com.docker.compose.project={compose.project}").stdout == ""


def test_docker_compose_plugin_and_docker_compose_v1_see_the_same_project(
        compose: Compose, docker: DockerCLI) -> None:
    (compose.directory / "compose.yaml").write_text(
        "services:\n  job:\n    image: busybox\n    init: true\n    command: sleep 300\n")
    # `docker compose` is skiff compose, through the docker CLI's plugin protocol
    up = docker("compose", "-p", compose.project, "-f",
                str(compose.directory / "compose.yaml"), "up", "-d", timeout=120)
    assert f"Container {compose.project}-job-1  Started" in up.stderr
    listed = compose("ps", "--format", "{{.Name}} {{.State}}").stdout
    assert listed == f"{compose.project}-job-1 running\n"
    # docker-compose 1.29 finds the project by its labels and can stop it
    v1 = subprocess.run(["docker-compose", "-p", compose.project, "-f",
                         str(compose.directory / "compose.yaml"), "ps", "-q"],
                        env={**os.environ, "DOCKER_HOST": compose.host},
                        capture_output=True, text=True, timeout=60)
    assert v1.returncode == 0, v1.stderr
    container_id = docker("inspect", "--format", "{{.Id}}", f"{compose.project}-job-1").stdout
    assert v1.stdout.split() == [container_id.strip()]
    compose("stop", "-t", "1")
    assert compose("ps", "-a", "--format", "{{.State}}").stdout == "exited\n"


def test_explain_scale_wait_cp_and_attached_up(compose: Compose, docker: DockerCLI) -> None:
    (compose.directory / ".env").write_text("GREETING=from-dotenv\n")
    (compose.directory / "app.env").write_text("LEVEL=debug\n")
    (compose.directory / "compose.yaml").write_text(
        "services:\n  db:\n    image: busybox\n    init: true\n    command: sleep 300\n"
        "  app:\n    image: busybox\n    init: true\n    env_file: [app.env]\n"
        "    environment:\n      GREETING: ${GREETING}\n      TAG: ${TAG:-latest}\n"
        "    command: [sh, -c, 'echo $$GREETING; echo done']\n    ports: ['8080']\n"
        "    depends_on:\n      db:\n        condition: service_healthy\n")
    explained = compose("explain").stdout
    assert "${GREETING} at services.app.environment.GREETING = 'from-dotenv' (env file " \
        in explained
    assert "${TAG} at services.app.environment.TAG = 'latest' (the default in the file)" \
        in explained
    assert "LEVEL from env_file" in explained
    assert "app after: db healthy" in explained
    assert "db has no healthcheck" in explained
    assert "published on every address of the host" in explained
    (compose.directory / "compose.yaml").write_text(
        "services:\n  job:\n    image: busybox\n    init: true\n"
        "    command: [sh, -c, 'echo started; sleep 1; echo finished; exit 3']\n"
        "  idle:\n    image: busybox\n    init: true\n    command: sleep 300\n")
    attached = compose("up", "--abort-on-container-exit", "--exit-code-from", "job",
                       check=False, timeout=60)
    assert attached.returncode == 3, attached.stderr
    assert re.search(r"^job-1 +\| started$", attached.stdout, re.M)
    assert re.search(r"^job-1 +\| finished$", attached.stdout, re.M)
    assert "job-1 exited with code 3" in attached.stdout
    assert compose("ps", "-a", "--format", "{{.Service}} {{.State}}").stdout.split("\n")[:2] \
        == ["idle exited", "job exited"]  # the others were stopped
    compose("up", "-d", "idle")
    compose("scale", "idle=2")
    assert compose("ps", "-q", "idle").stdout.count("\n") == 2
    (compose.directory / "note.txt").write_text("copied\n")
    compose("cp", "note.txt", "idle:/tmp/note.txt")
    compose("cp", "idle:/tmp/note.txt", str(compose.directory / "back.txt"))
    assert (compose.directory / "back.txt").read_text() == "copied\n"
    compose("up", "-d", "job")
    assert compose("wait", "job", check=False).returncode == 3


def test_recreate_keeps_anonymous_volumes_and_down_v_removes_them(
        compose: Compose, docker: DockerCLI) -> None:
    text = ("services:\n  db:\n    image: busybox\n    init: true\n    command: sleep 300\n"
            "    volumes: [/var/lib/db]\n    environment: {ROUND: '${ROUND}'}\n")
    (compose.directory / "compose.yaml").write_text(text)
    compose("up", "-d", env={"ROUND": "1"})
    name = f"{compose.project}-db-1"
    docker("exec", name, "sh", "-c", "echo precious > /var/lib/db/data")
    volume = docker("inspect", "--format", "{{(index .Mounts 0).Name}}", name).stdout.strip()
    compose("up", "-d", env={"ROUND": "2"})  # recreated: the same anonymous volume
    assert docker("exec", name, "cat", "/var/lib/db/data").stdout == "precious\n"
    compose("up", "-d", "-V", env={"ROUND": "3"})  # renewed
    assert docker("exec", name, "ls", "/var/lib/db").stdout == ""
    renewed = docker("inspect", "--format", "{{(index .Mounts 0).Name}}", name).stdout.strip()
    compose("down", "-v")
    assert docker("volume", "inspect", renewed, check=False).returncode != 0
    docker("volume", "rm", volume, check=False)


def test_depends_on_restart_restarts_the_dependent(compose: Compose, docker: DockerCLI) -> None:
    (compose.directory / "compose.yaml").write_text(
        "services:\n  db:\n    image: busybox\n    init: true\n    command: sleep 300\n"
        "    environment: {ROUND: '${ROUND}'}\n"
        "  app:\n    image: busybox\n    init: true\n    command: sleep 300\n"
        "    depends_on:\n      db:\n        condition: service_started\n"
        "        restart: true\n"
        "  other:\n    image: busybox\n    init: true\n    command: sleep 300\n"
        "    depends_on: [db]\n")

    def started(service: str) -> str:
        return docker("inspect", "--format", "{{.Id}} {{.State.StartedAt}}",
                      f"{compose.project}-{service}-1").stdout

    compose("up", "-d", env={"ROUND": "1"})
    app, other = started("app"), started("other")
    compose("up", "-d", env={"ROUND": "2"})
    after = started("app")
    assert after.split()[0] == app.split()[0] and after != app  # the same container, restarted
    assert started("other") == other  # without restart: true, left alone


def test_watch_syncs_restarts_and_rebuilds(compose: Compose, docker: DockerCLI) -> None:
    site = compose.directory / "site"
    site.mkdir()
    (site / "index.html").write_text("one\n")
    (site / "skip.tmp").write_text("ignored\n")
    (compose.directory / "app").mkdir()
    (compose.directory / "app" / "Dockerfile").write_text(
        "FROM busybox\nCOPY version /version\nCMD [\"sleep\", \"300\"]\n")
    (compose.directory / "app" / "version").write_text("v1\n")
    (compose.directory / "compose.yaml").write_text(
        "services:\n  web:\n    image: busybox\n    init: true\n    command: sleep 300\n"
        "    develop:\n      watch:\n        - path: ./site\n          action: sync\n"
        "          target: /srv\n          initial_sync: true\n          ignore: ['*.tmp']\n"
        "  app:\n    build: ./app\n    init: true\n    develop:\n      watch:\n"
        "        - path: ./app\n          action: rebuild\n")
    environ = {**os.environ, "DOCKER_HOST": compose.host}
    watcher = subprocess.Popen([sys.executable, "-m", "skiff.cli.main", "compose", "-p",
                                compose.project, "watch"], cwd=compose.directory, env=environ,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def eventually(service: str, command: str, expected: str, limit: float = 30) -> None:
        end = time.monotonic() + limit
        while True:
            got = docker("exec", f"{compose.project}-{service}-1", "sh", "-c", command,
                         check=False).stdout
            if got == expected:
                return
            assert time.monotonic() < end, f"{service}: {got!r}, wanted {expected!r}"
            time.sleep(0.3)

    try:
        eventually("web", "cat /srv/index.html", "one\n")  # the initial sync
        eventually("web", "ls /srv", "index.html\n")  # *.tmp is ignored
        (site / "index.html").write_text("two\n")
        (site / "new.html").write_text("new\n")
        eventually("web", "cat /srv/index.html /srv/new.html", "two\nnew\n")
        (site / "new.html").unlink()
        eventually("web", "ls /srv", "index.html\n")
        eventually("app", "cat /version", "v1\n")
        (compose.directory / "app" / "version").write_text("v2\n")
        eventually("app", "cat /version", "v2\n", limit=60)  # rebuilt and recreated
    finally:
        watcher.send_signal(signal.SIGINT)
        try:
            watcher.wait(timeout=15)
        except subprocess.TimeoutExpired:
            watcher.kill()
            watcher.wait(timeout=15)


def test_service_attributes_reach_the_container(compose: Compose, docker: DockerCLI) -> None:
    (compose.directory / "compose.yaml").write_text(
        "services:\n  app:\n    image: busybox\n    init: true\n    command: sleep 300\n"
        "    hostname: apphost\n    user: '1000:1000'\n    working_dir: /tmp\n"
        "    stop_signal: SIGUSR1\n    stop_grace_period: 3s\n    restart: on-failure:2\n"
        "    labels: {tier: backend}\n    extra_hosts: ['db.local:10.9.8.7']\n"
        "    cap_add: [NET_ADMIN]\n    tmpfs: [/scratch]\n    shm_size: 32m\n"
        "    ulimits: {nofile: {soft: 1024, hard: 2048}}\n"
        "    healthcheck:\n      test: [CMD, 'true']\n      interval: 2s\n      retries: 5\n"
        "    deploy:\n      resources:\n        limits: {cpus: '0.5', memory: 64M, pids: 50}\n"
        "    secrets: [api_key]\n"
        "secrets:\n  api_key:\n    environment: API_KEY\n")
    compose("up", "-d", env={"API_KEY": "from-the-environment"})
    name = f"{compose.project}-app-1"
    info = json.loads(docker("inspect", name).stdout)[0]
    config, host = info["Config"], info["HostConfig"]
    assert (config["Hostname"], config["User"], config["WorkingDir"]) == ("apphost",
                                                                          "1000:1000", "/tmp")
    assert config["StopSignal"] == "SIGUSR1" and config["StopTimeout"] == 3
    assert config["Labels"]["tier"] == "backend"
    assert config["Healthcheck"] == {"Test": ["CMD", "true"], "Interval": 2_000_000_000,
                                     "Retries": 5}
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    assert host["ExtraHosts"] == ["db.local:10.9.8.7"]
    assert host["CapAdd"] == ["NET_ADMIN"] and "/scratch" in host["Tmpfs"]
    assert host["ShmSize"] == 32 * 1024 * 1024
    assert host["Ulimits"] == [{"Name": "nofile", "Soft": 1024, "Hard": 2048}]
    assert (host["NanoCpus"], host["Memory"], host["PidsLimit"]) == (500_000_000,
                                                                     64 * 1024 * 1024, 50)
    assert docker("exec", name, "cat", "/run/secrets/api_key").stdout == "from-the-environment"


def test_down_by_project_name_alone(compose: Compose, docker: DockerCLI) -> None:
    (compose.directory / "compose.yaml").write_text(
        "services:\n  one:\n    image: busybox\n    init: true\n    command: sleep 300\n")
    compose("up", "-d")
    (compose.directory / "compose.yaml").unlink()  # no file: -p names the project
    compose("down", "-t", "1")
    assert docker("ps", "-aq", "--filter",
                  f"label=com.docker.compose.project={compose.project}").stdout == ""
    assert docker("network", "ls", "-q", "--filter",
                  f"label=com.docker.compose.project={compose.project}").stdout == ""


def test_run_flags(compose: Compose, docker: DockerCLI) -> None:
    port = _port()
    (compose.directory / "data").mkdir()
    (compose.directory / "data" / "in.txt").write_text("from-host\n")
    (compose.directory / "compose.yaml").write_text(
        "services:\n  tool:\n    image: busybox\n    environment: {MODE: base}\n"
        f"    ports: ['127.0.0.1:{port}:80']\n")
    out = compose("run", "--rm", "-T", "-e", "MODE=override", "-v", "./data:/data:ro",
                  "--entrypoint", "sh", "tool", "-c", "echo $MODE; cat /data/in.txt").stdout
    assert out == "override\nfrom-host\n"
    compose("run", "-d", "--name", f"{compose.project}-named", "tool", "sleep", "300")
    info = json.loads(docker("inspect", f"{compose.project}-named").stdout)[0]
    assert info["Config"]["Labels"]["com.docker.compose.oneoff"] == "True"
    assert info["HostConfig"]["PortBindings"] == {}  # no ports without --service-ports
    docker("rm", "-f", f"{compose.project}-named")
    compose("run", "-d", "--service-ports", "--name", f"{compose.project}-ports", "tool",
            "sleep", "300")
    bound = json.loads(docker("inspect", f"{compose.project}-ports").stdout)[0]
    assert bound["HostConfig"]["PortBindings"] == {
        "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}
    docker("rm", "-f", f"{compose.project}-ports")


def test_restart_takes_restart_true_dependents_along(compose: Compose,
                                                      docker: DockerCLI) -> None:
    (compose.directory / "compose.yaml").write_text(
        "services:\n  db:\n    image: busybox\n    init: true\n    command: sleep 300\n"
        "  app:\n    image: busybox\n    init: true\n    command: sleep 300\n"
        "    depends_on:\n      db: {condition: service_started, restart: true}\n")
    compose("up", "-d")

    def started() -> str:
        return docker("inspect", "--format", "{{.State.StartedAt}}",
                      f"{compose.project}-app-1").stdout

    before = started()
    restarted = compose("restart", "-t", "1", "db")
    assert f"Container {compose.project}-app-1  Restarting" in restarted.stderr
    assert started() != before


def test_parallel_one_handles_one_service_at_a_time(compose: Compose, docker: DockerCLI) -> None:
    (compose.directory / "compose.yaml").write_text("services:\n" + "".join(
        f"  s{i}:\n    image: busybox\n    init: true\n    command: sleep 300\n"
        for i in range(3)))
    since = str(int(time.time()) - 1)
    compose("--parallel", "1", "up", "-d")
    until = str(int(time.time()) + 1)
    actions = docker("events", "--since", since, "--until", until, "--filter", "type=container",
                     "--filter", f"label=com.docker.compose.project={compose.project}",
                     "--format", "{{.Action}}").stdout.split()
    assert actions == ["create", "start"] * 3
    compose("--parallel", "1", "down", "-t", "0")
    assert docker("ps", "-aq", "--filter",
                  f"label=com.docker.compose.project={compose.project}").stdout == ""
