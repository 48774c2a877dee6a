"""Bad input to the container API (raw HTTP, docker-py): status codes, messages, no effects."""

from __future__ import annotations

import json
import secrets
import socket
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import docker as docker_py  # type: ignore[import-untyped]
import pytest

from tests.conftest import Daemon, DockerCLI, UnixHTTPConnection

pytestmark = pytest.mark.timeout(60)

V = "/v1.50"


class Api:
    """Minimal raw HTTP client for the daemon's unix socket."""

    def __init__(self, daemon: Daemon) -> None:
        self.path = str(daemon.socket)

    def request(self, method: str, url: str, body: bytes | str | dict[str, Any] | None = None,
                ) -> tuple[int, dict[str, str], bytes]:
        conn = UnixHTTPConnection(self.path)
        try:
            headers = {}
            if isinstance(body, dict):
                body = json.dumps(body)
            if body is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, V + url, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def error(self, method: str, url: str, body: Any = None) -> tuple[int, str]:
        """Make a request expected to fail: return (status, message) after checking the shape."""
        status, headers, raw = self.request(method, url, body)
        assert status >= 400, (status, raw)
        assert headers.get("content-type", "").startswith("application/json"), headers
        payload = json.loads(raw)
        assert isinstance(payload, dict) and isinstance(payload.get("message"), str), payload
        return status, payload["message"]

    def containers(self) -> set[str]:
        status, _, raw = self.request("GET", "/containers/json?all=1")
        assert status == 200
        return {c["Id"] for c in json.loads(raw)}


@pytest.fixture
def api(daemon: Daemon) -> Api:
    return Api(daemon)


@pytest.fixture
def cleanup(docker: DockerCLI) -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    if names:
        docker("rm", "-f", *names, check=False)


@pytest.fixture
def unchanged(api: Api) -> Iterator[None]:
    """The test must not leave any new container behind."""
    before = api.containers()
    yield
    assert api.containers() == before


def create_url(name: str | None = None) -> str:
    return "/containers/create" + (f"?name={urllib.parse.quote(name)}" if name else "")


# --- create: malformed and mistyped bodies ---------------------------------------------------


@pytest.mark.usefixtures("unchanged")
def test_create_malformed_json(api: Api) -> None:
    status, message = api.error("POST", create_url(), b'{"Image": "busybox", ')
    assert status == 400
    assert message


@pytest.mark.usefixtures("unchanged")
def test_create_empty_body(api: Api) -> None:
    status, message = api.error("POST", create_url(), b"")
    assert status == 400
    assert message


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("body", [
    {"Image": "busybox", "Cmd": 5},
    {"Image": "busybox", "Env": "FOO=bar"},
    {"Image": "busybox", "Tty": "yes"},
    {"Image": "busybox", "HostConfig": {"Memory": "lots"}},
    {"Image": "busybox", "HostConfig": {"Binds": "/tmp:/x"}},
    {"Image": 7},
], ids=["cmd-number", "env-string", "tty-string", "memory-string", "binds-string",
        "image-number"])
def test_create_wrong_field_type(api: Api, name: str, body: dict[str, Any]) -> None:
    status, message = api.error("POST", create_url(name), body)
    assert status == 400, message
    assert message


@pytest.mark.usefixtures("unchanged")
def test_create_cmd_as_string_is_accepted(api: Api, name: str, docker: DockerCLI) -> None:
    """Cmd/Entrypoint accept a plain string as well as an array (strslice)."""
    status, _, raw = api.request("POST", create_url(name), {"Image": "busybox",
                                                            "Cmd": "echo hi"})
    try:
        assert status == 201, raw
        info = json.loads(docker("inspect", name).stdout)[0]
        assert info["Config"]["Cmd"] == ["echo hi"]
    finally:
        docker("rm", "-f", name, check=False)


@pytest.mark.usefixtures("unchanged")
def test_create_unknown_image(api: Api, name: str) -> None:
    status, message = api.error("POST", create_url(name), {"Image": "nosuchimage"})
    assert status == 404
    assert message == "No such image: nosuchimage:latest"


@pytest.mark.usefixtures("unchanged")
def test_create_invalid_name(api: Api) -> None:
    status, message = api.error("POST", create_url("a/b"), {"Image": "busybox"})
    assert status == 400
    assert "Invalid container name (a/b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed" in message


def test_create_duplicate_name(api: Api, name: str, cleanup: list[str]) -> None:
    cleanup.append(name)
    status, _, raw = api.request("POST", create_url(name), {"Image": "busybox"})
    assert status == 201
    created = json.loads(raw)
    assert set(created) == {"Id", "Warnings"}
    before = api.containers()
    status, message = api.error("POST", create_url(name), {"Image": "busybox"})
    assert status == 409
    assert f'The container name "/{name}" is already in use by container "{created["Id"]}"' \
        in message
    assert api.containers() == before


@pytest.mark.usefixtures("unchanged")
def test_create_bind_source_missing(api: Api, name: str) -> None:
    missing = f"/tmp/no-such-dir-{secrets.token_hex(4)}"
    status, message = api.error("POST", create_url(name), {
        "Image": "busybox",
        "HostConfig": {"Mounts": [{"Type": "bind", "Source": missing, "Target": "/x"}]}})
    assert status == 400
    assert message == ('invalid mount config for type "bind": '
                       f"bind source path does not exist: {missing}")


@pytest.mark.usefixtures("unchanged")
def test_create_relative_mount_target(api: Api, name: str) -> None:
    status, message = api.error("POST", create_url(name), {
        "Image": "busybox",
        "HostConfig": {"Mounts": [{"Type": "bind", "Source": "/tmp", "Target": "relative"}]}})
    assert status == 400
    assert "must be absolute" in message


@pytest.mark.usefixtures("unchanged")
def test_create_relative_bind_target(api: Api, name: str) -> None:
    status, message = api.error("POST", create_url(name), {
        "Image": "busybox", "HostConfig": {"Binds": ["/tmp:relative"]}})
    assert status == 400
    assert "must be absolute" in message


@pytest.mark.usefixtures("unchanged")
def test_create_unknown_mount_type(api: Api, name: str) -> None:
    status, message = api.error("POST", create_url(name), {
        "Image": "busybox",
        "HostConfig": {"Mounts": [{"Type": "bogus", "Source": "/tmp", "Target": "/x"}]}})
    assert status == 400
    assert "bogus" in message


@pytest.mark.usefixtures("unchanged")
def test_create_with_docker_py_low_level(client: Any, name: str) -> None:
    with pytest.raises(docker_py.errors.ImageNotFound) as err:
        client.api.create_container("nosuchimage:v1", name=name)
    assert err.value.status_code == 404
    with pytest.raises(docker_py.errors.APIError) as bad:
        client.api.create_container("busybox", name="bad name!")
    assert bad.value.status_code == 400


# --- unknown containers and state conflicts ------------------------------------------------


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/json"), ("POST", "/start"), ("POST", "/stop"), ("POST", "/kill"),
    ("POST", "/restart"), ("POST", "/pause"), ("POST", "/wait"), ("GET", "/logs?stdout=1"),
    ("GET", "/top"), ("GET", "/changes"), ("DELETE", ""),
])
def test_unknown_container(api: Api, method: str, path: str) -> None:
    ref = f"nosuch{secrets.token_hex(4)}"
    status, message = api.error(method, f"/containers/{ref}{path}")
    assert status == 404
    assert message == f"No such container: {ref}"


def test_state_conflicts_on_stopped_container(api: Api, name: str, cleanup: list[str],
                                              docker: DockerCLI) -> None:
    cleanup.append(name)
    docker("run", "--name", name, "busybox", "true")
    for action in ("pause", "unpause", "kill"):
        status, message = api.error("POST", f"/containers/{name}/{action}")
        assert status == 409, (action, message)
    status, message = api.error("POST", f"/containers/{name}/pause")
    assert "is not running" in message.lower()
    status, _, _ = api.request("POST", f"/containers/{name}/stop")
    assert status == 304
    status, _, _ = api.request("POST", f"/containers/{name}/start")
    assert status == 204
    docker("wait", name)


def test_start_running_container_is_not_modified(api: Api, name: str, cleanup: list[str],
                                                 docker: DockerCLI) -> None:
    cleanup.append(name)
    docker("run", "-d", "--name", name, "busybox", "sleep", "60")
    status, _, _ = api.request("POST", f"/containers/{name}/start")
    assert status == 304


def test_kill_invalid_signal(api: Api, name: str, cleanup: list[str],
                             docker: DockerCLI) -> None:
    cleanup.append(name)
    docker("run", "-d", "--name", name, "busybox", "sleep", "60")
    status, message = api.error("POST", f"/containers/{name}/kill?signal=SIGNOPE")
    assert status == 400
    assert "signal" in message.lower()


# --- list filters --------------------------------------------------------------------------


def test_list_invalid_filters_json(api: Api) -> None:
    status, _ = api.error("GET", "/containers/json?filters=" + urllib.parse.quote("{bad"))
    assert status == 400


def test_list_unknown_filter_key(api: Api) -> None:
    query = urllib.parse.quote(json.dumps({"foo": ["bar"]}))
    status, message = api.error("GET", f"/containers/json?filters={query}")
    assert status == 400
    assert message == "invalid filter 'foo'"


def test_list_invalid_status_filter(api: Api) -> None:
    query = urllib.parse.quote(json.dumps({"status": ["sleeping"]}))
    status, message = api.error("GET", f"/containers/json?all=1&filters={query}")
    assert status == 400
    assert "sleeping" in message


def test_prune_unknown_filter_key(api: Api) -> None:
    before = api.containers()
    query = urllib.parse.quote(json.dumps({"status": ["exited"]}))
    status, message = api.error("POST", f"/containers/prune?filters={query}")
    assert status == 400
    assert "status" in message
    assert api.containers() == before


# --- clients that go away mid-stream -------------------------------------------------------


def _ping(api: Api) -> None:
    status, _, body = api.request("GET", "/_ping")
    assert (status, body) == (200, b"OK")


def _raw_socket(api: Api) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(api.path)
    return sock


def _read_until(sock: socket.socket, marker: bytes, limit: float = 10) -> bytes:
    data = b""
    deadline = time.monotonic() + limit
    while marker not in data:
        assert time.monotonic() < deadline, data
        chunk = sock.recv(4096)
        assert chunk, data
        data += chunk
    return data


def _counter(docker: DockerCLI, name: str) -> None:
    docker("run", "-d", "--name", name, "busybox", "sh", "-c",
           "i=0; while :; do i=$((i+1)); echo line $i; sleep 0.02; done")


def test_client_disconnects_from_logs_follow(api: Api, docker: DockerCLI, name: str,
                                             cleanup: list[str]) -> None:
    cleanup.append(name)
    _counter(docker, name)
    for _ in range(3):
        sock = _raw_socket(api)
        try:
            sock.sendall(f"GET {V}/containers/{name}/logs?follow=1&stdout=1&stderr=1 HTTP/1.1\r\n"
                         "Host: docker\r\n\r\n".encode())
            data = _read_until(sock, b"line ")
            assert data.startswith(b"HTTP/1.1 200")
        finally:
            sock.close()
    time.sleep(0.3)
    _ping(api)
    info = json.loads(docker("inspect", name).stdout)[0]
    assert info["State"]["Running"] is True
    # The daemon still streams logs to a new client.
    assert "line " in docker("logs", "--tail", "1", name).stdout


def test_client_disconnects_from_attach(api: Api, docker: DockerCLI, name: str,
                                        cleanup: list[str]) -> None:
    cleanup.append(name)
    _counter(docker, name)
    for _ in range(3):
        sock = _raw_socket(api)
        try:
            sock.sendall(f"POST {V}/containers/{name}/attach?stream=1&stdout=1&stderr=1 "
                         "HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                         "Content-Length: 0\r\n\r\n".encode())
            data = _read_until(sock, b"line ")
            assert data.startswith(b"HTTP/1.1 101"), data[:200]
        finally:
            sock.close()
    time.sleep(0.3)
    _ping(api)
    info = json.loads(docker("inspect", name).stdout)[0]
    assert info["State"]["Running"] is True
    before = len(docker("logs", name).stdout.splitlines())
    time.sleep(0.3)
    assert len(docker("logs", name).stdout.splitlines()) > before


def test_client_disconnects_from_events(api: Api) -> None:
    for _ in range(3):
        sock = _raw_socket(api)
        try:
            sock.sendall(f"GET {V}/events HTTP/1.1\r\nHost: docker\r\n\r\n".encode())
            assert _read_until(sock, b"\r\n\r\n").startswith(b"HTTP/1.1 200")
        finally:
            sock.close()
    time.sleep(0.2)
    _ping(api)
