"""System endpoints: info, version, system df, _ping, API version prefixes, events."""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import socket
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import (
    DOCKER,
    Daemon,
    DockerCLI,
    UnixHTTPConnection,
    start_daemon,
    stop_daemon,
)

# helpers ---------------------------------------------------------------------------------------


def api(daemon: Daemon, method: str, path: str,
        body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP request to the daemon's socket: (status, lower-cased headers, body)."""
    conn = UnixHTTPConnection(str(daemon.socket))
    try:
        conn.request(method, path, body=body)
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()


def token() -> str:
    return secrets.token_hex(4)


def tiny_rootfs(tok: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = f"system test {tok}\n".encode()
        info = tarfile.TarInfo("token")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def mem_total() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no MemTotal")


def bytes_size(size: float) -> str:
    """go-units BytesSize: binary units, four significant digits."""
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    i = 0
    while size >= 1024 and i < len(units) - 1:
        size /= 1024
        i += 1
    return f"{size:.4g}{units[i]}"


def cgroup_version() -> str:
    return "2" if Path("/sys/fs/cgroup/cgroup.controllers").exists() else "1"


def info_json(docker: DockerCLI) -> dict[str, Any]:
    return json.loads(docker("info", "--format", "{{json .}}").stdout)


def states(docker: DockerCLI) -> list[str]:
    return docker("ps", "-a", "--format", "{{.State}}").stdout.split()


@pytest.fixture
def containers(docker: DockerCLI) -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    if names:
        docker("rm", "-f", *names, check=False)


# info ------------------------------------------------------------------------------------------

def test_info_container_counts(docker: DockerCLI, containers: list[str], name: str) -> None:
    before = info_json(docker)
    running, paused, created, exited = (f"{name}-{s}" for s in ("run", "pause", "new", "exit"))
    containers += [running, paused, created, exited]
    docker("run", "-d", "--name", running, "busybox", "sleep", "300")
    docker("run", "-d", "--name", paused, "busybox", "sleep", "300")
    docker("pause", paused)
    docker("create", "--name", created, "busybox", "true")
    docker("run", "--name", exited, "busybox", "true")

    info = info_json(docker)
    assert info["Containers"] == before["Containers"] + 4
    assert info["ContainersRunning"] == before["ContainersRunning"] + 1
    assert info["ContainersPaused"] == before["ContainersPaused"] + 1
    assert info["ContainersStopped"] == before["ContainersStopped"] + 2
    listed = states(docker)
    assert info["Containers"] == len(listed)
    assert info["ContainersRunning"] == listed.count("running")
    assert info["ContainersPaused"] == listed.count("paused")
    assert info["ContainersStopped"] == len(listed) - listed.count("running") - listed.count(
        "paused")

    text = docker("info").stdout
    assert f" Containers: {info['Containers']}\n" in text
    assert f"  Running: {info['ContainersRunning']}\n" in text
    assert f"  Paused: {info['ContainersPaused']}\n" in text
    assert f"  Stopped: {info['ContainersStopped']}\n" in text

    docker("unpause", paused)
    docker("rm", "-f", running, paused, created, exited)
    after = info_json(docker)
    assert (after["Containers"], after["ContainersRunning"], after["ContainersPaused"],
            after["ContainersStopped"]) == (before["Containers"], before["ContainersRunning"],
                                            before["ContainersPaused"],
                                            before["ContainersStopped"])


def test_info_image_count(docker: DockerCLI, daemon: Daemon, tmp_path: Path) -> None:
    status, _, body = api(daemon, "GET", "/images/json?all=1")
    assert status == 200
    assert info_json(docker)["Images"] == len(json.loads(body))
    path = tmp_path / "r.tar"
    path.write_bytes(tiny_rootfs(token()))
    image_id = docker("import", str(path)).stdout.strip()
    try:
        assert info_json(docker)["Images"] == len(json.loads(body)) + 1
        assert f" Images: {len(json.loads(body)) + 1}\n" in docker("info").stdout
    finally:
        docker("rmi", image_id)
    assert info_json(docker)["Images"] == len(json.loads(body))


def test_info_host_facts(docker: DockerCLI, daemon: Daemon) -> None:
    info = info_json(docker)
    assert info["Driver"] == "overlay2"
    assert info["CgroupVersion"] == cgroup_version()
    assert {"crun", "runc"} <= set(info["Runtimes"])
    assert info["DefaultRuntime"] in info["Runtimes"]
    assert info["KernelVersion"] == os.uname().release
    assert info["NCPU"] == os.cpu_count()
    assert info["MemTotal"] == mem_total()
    assert info["OSType"] == "linux"
    assert info["DockerRootDir"] == str(daemon.data_root)
    assert info["Name"] == socket.gethostname()
    assert info["ID"]
    assert info["Swarm"]["LocalNodeState"] == "inactive"

    text = docker("info").stdout
    assert " Storage Driver: overlay2\n" in text
    assert f" Cgroup Version: {cgroup_version()}\n" in text
    runtimes = re.search(r"^ Runtimes: (.*)$", text, re.M)
    assert runtimes is not None
    assert {"crun", "runc"} <= set(runtimes.group(1).split())
    assert f" Kernel Version: {os.uname().release}\n" in text
    assert f" CPUs: {os.cpu_count()}\n" in text
    assert f" Total Memory: {bytes_size(mem_total())}\n" in text
    assert f" Docker Root Dir: {daemon.data_root}\n" in text


def test_info_with_docker_py(client: Any) -> None:
    info = client.info()
    assert info["Driver"] == "overlay2"
    assert info["NCPU"] == os.cpu_count()
    assert client.ping() is True


# version ---------------------------------------------------------------------------------------

def test_version(docker: DockerCLI) -> None:
    server = json.loads(docker("version", "--format", "{{json .Server}}").stdout)
    assert server["ApiVersion"] == "1.50"
    assert server["MinAPIVersion"] == "1.24"
    assert server["Os"] == "linux"
    assert server["KernelVersion"] == os.uname().release
    engine = [c for c in server["Components"] if c["Name"] == "Engine"]
    assert engine and engine[0]["Details"]["ApiVersion"] == "1.50"
    text = docker("version").stdout
    server_part = text[text.index("Server:"):]
    assert re.search(r"API version:\s+1\.50 \(minimum version 1\.24\)", server_part)


def test_version_with_docker_py(client: Any) -> None:
    version = client.version()
    assert version["ApiVersion"] == "1.50"
    assert version["MinAPIVersion"] == "1.24"


# system df -------------------------------------------------------------------------------------

def test_system_df(docker: DockerCLI, daemon: Daemon, containers: list[str], name: str) -> None:
    containers += [f"{name}-run", f"{name}-stopped"]
    docker("run", "-d", "--name", f"{name}-run", "busybox", "sleep", "300")
    docker("create", "--name", f"{name}-stopped", "busybox", "true")

    _, _, body = api(daemon, "GET", "/images/json?all=1")
    images = json.loads(body)
    listed = states(docker)
    text = docker("system", "df").stdout.splitlines()
    assert text[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
    assert [line.split()[0] for line in text[1:]] == ["Images", "Containers", "Local", "Build"]
    rows = {row["Type"]: row for row in
            (json.loads(line) for line in
             docker("system", "df", "--format", "{{json .}}").stdout.splitlines())}
    assert set(rows) == {"Images", "Containers", "Local Volumes", "Build Cache"}
    assert int(rows["Images"]["TotalCount"]) == len(images)
    assert int(rows["Images"]["Active"]) == sum(1 for i in images if i["Containers"] > 0) >= 1
    assert int(rows["Containers"]["TotalCount"]) == len(listed)
    assert int(rows["Containers"]["Active"]) == listed.count("running") >= 1
    assert rows["Local Volumes"]["TotalCount"] == "0"

    status, _, body = api(daemon, "GET", "/system/df")
    assert status == 200
    df = json.loads(body)
    assert df["LayersSize"] > 0
    assert {i["Id"] for i in df["Images"]} == {i["Id"] for i in images}
    busybox = next(i for i in df["Images"] if "busybox:latest" in i["RepoTags"])
    assert busybox["Containers"] >= 2
    assert {c["Names"][0] for c in df["Containers"]} >= {f"/{name}-run", f"/{name}-stopped"}
    assert df["Volumes"] == []

    verbose = docker("system", "df", "-v").stdout
    assert "Images space usage:" in verbose
    assert "busybox" in verbose


# _ping, prefixes, unknown paths ----------------------------------------------------------------

def test_ping_get(daemon: Daemon) -> None:
    status, headers, body = api(daemon, "GET", "/_ping")
    assert status == 200
    assert body == b"OK"
    assert headers["api-version"] == "1.50"
    assert headers["ostype"] == "linux"
    assert headers["docker-experimental"] == "false"
    assert headers["cache-control"] == "no-cache, no-store, must-revalidate"
    assert headers["pragma"] == "no-cache"
    assert headers["content-type"].startswith("text/plain")


def test_ping_head(daemon: Daemon) -> None:
    status, headers, body = api(daemon, "HEAD", "/_ping")
    assert status == 200
    assert body == b""
    assert headers["api-version"] == "1.50"
    assert headers["ostype"] == "linux"


def test_ping_with_version_prefix(daemon: Daemon) -> None:
    status, headers, body = api(daemon, "GET", "/v1.44/_ping")
    assert (status, body) == (200, b"OK")
    assert headers["api-version"] == "1.50"


@pytest.mark.parametrize("version", ["1.24", "1.41", "1.50"])
def test_versioned_paths(daemon: Daemon, version: str) -> None:
    status, headers, body = api(daemon, "GET", f"/v{version}/version")
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    data = json.loads(body)
    assert data["ApiVersion"] == "1.50"
    assert data["MinAPIVersion"] == "1.24"
    assert headers["api-version"] == "1.50"


def test_unversioned_path(daemon: Daemon) -> None:
    status, _, body = api(daemon, "GET", "/version")
    assert status == 200
    assert json.loads(body)["ApiVersion"] == "1.50"


def test_version_too_new(daemon: Daemon) -> None:
    status, headers, body = api(daemon, "GET", "/v1.99/version")
    assert status == 400
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body) == {
        "message": "client version 1.99 is too new. Maximum supported API version is 1.50"}


def test_version_too_old(daemon: Daemon) -> None:
    status, _, body = api(daemon, "GET", "/v1.12/version")
    assert status == 400
    assert json.loads(body) == {
        "message": "client version 1.12 is too old. Minimum supported API version is 1.24, "
                   "please upgrade your client to a newer version"}


def test_cli_with_too_new_api_version(daemon: Daemon) -> None:
    import subprocess

    env = {**os.environ, "DOCKER_HOST": daemon.host, "DOCKER_API_VERSION": "1.99"}
    env.pop("DOCKER_CONTEXT", None)
    result = subprocess.run([DOCKER, "version"], capture_output=True, text=True, env=env,
                            timeout=60)
    assert result.returncode != 0
    assert "client version 1.99 is too new. Maximum supported API version is 1.50" in \
        result.stderr


@pytest.mark.parametrize("path", ["/nosuch", "/v1.50/nosuch", "/containers/x/nosuch",
                                  "/images"])
def test_unknown_path_is_json_404(daemon: Daemon, path: str) -> None:
    status, headers, body = api(daemon, "GET", path)
    assert status == 404
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body) == {"message": "page not found"}


# events ----------------------------------------------------------------------------------------

def image_events(docker: DockerCLI, since: str, until: str, *filters: str) -> list[dict[str, Any]]:
    args = [arg for f in ("type=image", *filters) for arg in ("--filter", f)]
    out = docker("events", "--since", since, "--until", until, *args, "--format", "{{json .}}",
                 timeout=30).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_events_for_image_operations(docker: DockerCLI, tmp_path: Path) -> None:
    tok = token()
    since = f"{time.time() - 1:.9f}"
    path = tmp_path / "r.tar"
    path.write_bytes(tiny_rootfs(tok))
    image_id = docker("import", str(path)).stdout.strip()
    docker("tag", image_id, f"events-{tok}:v1")
    docker("rmi", f"events-{tok}:v1")
    until = f"{time.time() + 1:.9f}"

    events = [e for e in image_events(docker, since, until) if e["Actor"]["ID"] == image_id]
    assert [e["Action"] for e in events] == ["import", "tag", "untag", "delete"]
    for event in events:
        assert event["Type"] == "image"
        assert event["scope"] == "local"
        assert event["time"] == event["timeNano"] // 1_000_000_000
        assert float(since) <= event["timeNano"] / 1e9 <= float(until)
    assert [e["timeNano"] for e in events] == sorted(e["timeNano"] for e in events)
    tag_event = events[1]
    assert tag_event["Actor"]["Attributes"]["name"] == f"events-{tok}:v1"

    only_tags = [e for e in image_events(docker, since, until, "event=tag")
                 if e["Actor"]["ID"] == image_id]
    assert [e["Action"] for e in only_tags] == ["tag"]
    by_image = image_events(docker, since, until, f"image={image_id}")
    assert [e["Action"] for e in by_image] == ["import", "tag", "untag", "delete"]

    # the window is honoured: nothing before "since" or after "until"
    assert [e for e in image_events(docker, until, f"{float(until) + 0.5:.9f}")
            if e["Actor"]["ID"] == image_id] == []


def test_events_with_relative_times(docker: DockerCLI, tmp_path: Path) -> None:
    path = tmp_path / "r.tar"
    path.write_bytes(tiny_rootfs(token()))
    image_id = docker("import", str(path)).stdout.strip()
    docker("rmi", image_id)
    # the CLI turns "0s" into whole unix seconds: let the current second pass
    time.sleep(1.1)
    events = [e for e in image_events(docker, "1m", "0s") if e["Actor"]["ID"] == image_id]
    assert [e["Action"] for e in events] == ["import", "delete"]


def test_events_api_json_stream(daemon: Daemon, docker: DockerCLI, tmp_path: Path) -> None:
    path = tmp_path / "r.tar"
    path.write_bytes(tiny_rootfs(token()))
    since = time.time() - 1
    image_id = docker("import", str(path)).stdout.strip()
    docker("rmi", image_id)
    until = time.time()
    filters = quote(json.dumps({"type": ["image"]}))
    status, headers, body = api(daemon, "GET",
                                f"/events?since={since:.9f}&until={until:.9f}&filters={filters}")
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    events = [json.loads(line) for line in body.splitlines() if line.strip()]
    assert [e["Action"] for e in events if e["Actor"]["ID"] == image_id] == ["import", "delete"]
    assert all(e["Type"] == "image" for e in events)


def test_events_invalid_arguments(daemon: Daemon, docker: DockerCLI) -> None:
    status, _, body = api(daemon, "GET", "/events?since=0&until=1&filters=" +
                          quote('{"bogus":["x"]}'))
    assert status == 400
    assert json.loads(body)["message"] == "invalid filter 'bogus'"
    result = docker("events", "--since", "yesterday", "--until", "0s", check=False)
    assert result.returncode != 0


def test_events_survive_a_daemon_restart(tmp_path: Path, private_root: Path) -> None:
    root = private_root
    started: list[Daemon] = []
    try:
        first = start_daemon(root, "--no-live-restore")
        started.append(first)
        cli = DockerCLI(first.host)
        path = tmp_path / "r.tar"
        path.write_bytes(tiny_rootfs(token()))
        since = f"{time.time() - 1:.9f}"
        image_id = cli("import", str(path), "kept:v1").stdout.strip()
        cli("tag", "kept:v1", "kept:v2")
        until = f"{time.time():.9f}"
        before = [e for e in image_events(cli, since, until) if e["Actor"]["ID"] == image_id]
        assert [e["Action"] for e in before][-1] == "tag"
        stop_daemon(first)

        second = start_daemon(root, "--no-live-restore")
        started.append(second)
        cli = DockerCLI(second.host)
        after = [e for e in image_events(cli, since, until) if e["Actor"]["ID"] == image_id]
        assert after == before
        assert [e["Action"] for e in image_events(cli, "0", f"{time.time():.9f}")
                if e["Actor"]["ID"] == image_id] == [e["Action"] for e in before]
        assert json.loads(cli("image", "inspect", "kept:v2").stdout)[0]["Id"] == image_id
        stop_daemon(second)
    finally:
        for started_daemon in started:
            stop_daemon(started_daemon)
