"""dockerd's behaviour where skiff once differed: ps network/publish/expose/volume filters, name
filters as regular expressions, volumes in system df, volume driver options and drivers on a
container's mounts, --volumes-from with bind mounts and its errors."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import Daemon, DockerCLI, UnixHTTPConnection, inspect

pytestmark = pytest.mark.timeout(120)


def token() -> str:
    return secrets.token_hex(4)


def api(daemon: Daemon, method: str, path: str,
        body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """One raw request: (status, decoded JSON body or None)."""
    conn = UnixHTTPConnection(str(daemon.socket))
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, "/v1.50" + path,
                     body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        conn.close()


def ps(docker: DockerCLI, label: str, *filters: str) -> set[str]:
    """Names of the containers with ``label`` that ``docker ps -a --filter …`` lists."""
    args = [part for f in filters for part in ("--filter", f)]
    out = docker("ps", "-a", "--filter", f"label={label}", *args, "--format", "{{.Names}}")
    return set(out.stdout.split())


def filtered(daemon: Daemon, path: str, filters: dict[str, list[str]]) -> tuple[int, Any]:
    separator = "&" if "?" in path else "?"
    return api(daemon, "GET", f"{path}{separator}filters={quote(json.dumps(filters))}")


@pytest.fixture
def volumes(docker: DockerCLI, cleanup: list[str]) -> Iterator[list[str]]:
    """Names of volumes a test makes; removed afterwards, once the test's containers (and
    their anonymous volumes) are gone."""
    names: list[str] = []
    yield names
    if cleanup:
        docker("rm", "-f", "-v", *cleanup, check=False)
    if names:
        docker("volume", "rm", "-f", *names, check=False)


# ps --filter publish / expose ------------------------------------------------------------------

def test_ps_filter_publish_matches_host_ports_expose_container_ports(
        docker: DockerCLI, daemon: Daemon, cleanup: list[str]) -> None:
    label = f"compat={token()}"
    web, other, created = (f"pub-{token()}", f"exp-{token()}", f"new-{token()}")
    cleanup.extend([web, other, created])
    docker("run", "-d", "--name", web, "-l", label, "-p", "127.0.0.1::80",
           "busybox", "sleep", "300")
    docker("run", "-d", "--name", other, "-l", label, "--expose", "8080",
           "--expose", "5353/udp", "busybox", "sleep", "300")
    docker("create", "--name", created, "-l", label, "-p", "127.0.0.1::81", "busybox")
    host_port = int(docker("port", web, "80/tcp").stdout.split(":")[-1])
    assert host_port != 80

    # publish: the host side of a published port (as dockerd 28 compares them)
    assert ps(docker, label, f"publish={host_port}") == {web}
    assert ps(docker, label, f"publish={host_port}/tcp") == {web}
    assert ps(docker, label, f"publish={host_port - 1}-{host_port + 1}") == {web}
    assert ps(docker, label, f"publish={host_port}/udp") == set()
    assert ps(docker, label, "publish=80") == set()
    # expose: the container side, published or not
    assert ps(docker, label, "expose=80") == {web}
    assert ps(docker, label, "expose=8000-8080/tcp") == {other}
    assert ps(docker, label, "expose=5353") == set()  # tcp unless told
    assert ps(docker, label, "expose=5353/udp") == {other}
    # the two keys are alternatives; a container that never ran has no ports
    assert ps(docker, label, "expose=8080", f"publish={host_port}") == {web, other}
    assert ps(docker, label, "expose=81") == set()


@pytest.mark.parametrize(("value", "message"), [
    ("publish=80:80", "filter for 'publish' should not contain ':': 80:80"),
    ("publish=abc", 'error while looking up for publish abc: strconv.ParseUint: parsing "abc": '
                    'invalid syntax'),
    ("expose=90-80", "error while looking up for expose 90-80: invalid range specified for "
                     "port: 90-80"),
    ("expose=70000", 'error while looking up for expose 70000: strconv.ParseUint: parsing '
                     '"70000": value out of range'),
    ("publish=", "error while looking up for publish : empty string specified for ports"),
])
def test_ps_filter_bad_ports_are_dockerds_errors(daemon: Daemon, value: str,
                                                 message: str) -> None:
    key, _, port = value.partition("=")
    status, body = filtered(daemon, "/containers/json?all=1", {key: [port]})
    assert (status, body["message"]) == (500, message)  # dockerd answers these with a 500


# ps --filter network / volume ------------------------------------------------------------------

def test_ps_filter_network_by_name_or_id(docker: DockerCLI, cleanup: list[str]) -> None:
    label = f"compat={token()}"
    net = f"psnet-{token()}"
    on_net, configured, on_bridge, on_none = (f"n-{token()}" for _ in range(4))
    docker("network", "create", net)
    try:
        cleanup.extend([on_net, configured, on_bridge, on_none])
        docker("run", "-d", "--name", on_net, "-l", label, "--network", net,
               "busybox", "sleep", "300")
        docker("create", "--name", configured, "-l", label, "--network", net, "busybox")
        docker("run", "-d", "--name", on_bridge, "-l", label, "busybox", "sleep", "300")
        docker("create", "--name", on_none, "-l", label, "--network", "none", "busybox")
        net_id = docker("network", "inspect", "-f", "{{.Id}}", net).stdout.strip()

        assert ps(docker, label, f"network={net}") == {on_net, configured}
        assert ps(docker, label, f"network={net[:-2]}") == set()  # a name matches whole
        # an ID (or its start) matches the networks a container is attached to
        assert ps(docker, label, f"network={net_id}") == {on_net}
        assert ps(docker, label, f"network={net_id[:12]}") == {on_net}
        docker("stop", "-t", "0", on_net)  # a stopped container keeps its network's ID
        assert ps(docker, label, f"network={net_id[:12]}") == {on_net}
        assert ps(docker, label, "network=bridge") == {on_bridge}
        assert ps(docker, label, "network=none") == {on_none}
        assert ps(docker, label, "network=none", f"network={net}") == {on_none, on_net,
                                                                        configured}
    finally:
        docker("rm", "-f", on_net, configured, on_bridge, on_none, check=False)
        docker("network", "rm", net)


def test_ps_filter_volume_by_name_source_or_destination(
        docker: DockerCLI, cleanup: list[str], volumes: list[str], tmp_path: Path) -> None:
    label = f"compat={token()}"
    volume = f"psvol-{token()}"
    volumes.append(volume)
    with_volume, with_bind, plain = (f"v-{token()}" for _ in range(3))
    cleanup.extend([with_volume, with_bind, plain])
    docker("create", "--name", with_volume, "-l", label, "-v", f"{volume}:/data", "busybox")
    docker("create", "--name", with_bind, "-l", label, "-v", f"{tmp_path}:/host:ro",
           "busybox")
    docker("create", "--name", plain, "-l", label, "busybox")

    assert ps(docker, label, f"volume={volume}") == {with_volume}
    assert ps(docker, label, "volume=/data") == {with_volume}
    assert ps(docker, label, f"volume={tmp_path}") == {with_bind}
    assert ps(docker, label, "volume=/host") == {with_bind}
    assert ps(docker, label, "volume=/host", f"volume={volume}") == {with_volume, with_bind}
    assert ps(docker, label, "volume=/nowhere") == set()


def test_ps_filter_name_is_a_regular_expression(docker: DockerCLI, daemon: Daemon,
                                                cleanup: list[str]) -> None:
    label = f"compat={token()}"
    base = f"rx-{token()}"
    cleanup.extend([f"{base}-a1", f"{base}-a10"])
    docker("create", "--name", f"{base}-a1", "-l", label, "busybox")
    docker("create", "--name", f"{base}-a10", "-l", label, "busybox")
    assert ps(docker, label, f"name=^{base}-a1$") == {f"{base}-a1"}
    assert ps(docker, label, f"name=^/{base}-a1$") == {f"{base}-a1"}
    assert ps(docker, label, f"name={base}-a") == {f"{base}-a1", f"{base}-a10"}
    # a pattern that does not compile matches nothing, and is no error (as in dockerd)
    status, body = filtered(daemon, "/containers/json?all=1", {"name": [f"{base}-a1["],
                                                               "label": [label]})
    assert (status, body) == (200, [])


# network ls / volume ls: name filters are regular expressions ----------------------------------

def test_network_ls_name_and_id_filters_are_regular_expressions(docker: DockerCLI,
                                                                daemon: Daemon) -> None:
    base = f"rx{token()}"
    nets = [f"{base}-dn1", f"{base}-dn10", f"{base}-dn2"]
    for net in nets:
        docker("network", "create", net)
    try:
        def names(*args: str) -> set[str]:
            return set(docker("network", "ls", *args, "--format", "{{.Name}}").stdout.split())

        assert names("--filter", f"name=^{base}-dn1$") == {f"{base}-dn1"}
        assert names("--filter", f"name=^{base}-dn[12]$") == {f"{base}-dn1", f"{base}-dn2"}
        assert names("--filter", f"name={base}-dn1") == {f"{base}-dn1", f"{base}-dn10"}
        assert names("--filter", f"name={base}-dn1[") == set()
        net_id = docker("network", "inspect", "-f", "{{.Id}}", f"{base}-dn2").stdout.strip()
        assert names("--filter", f"id=^{net_id[:10]}") == {f"{base}-dn2"}
        status, body = filtered(daemon, "/networks", {"name": [f"{base}-dn1("]})
        assert (status, body) == (200, [])
    finally:
        docker("network", "rm", *nets)


def test_volume_ls_name_filter_is_a_regular_expression(docker: DockerCLI, daemon: Daemon,
                                                       volumes: list[str]) -> None:
    base = f"rx{token()}"
    volumes.extend([f"{base}-mv1", f"{base}-mv2", f"{base}-mv3", f"x{base}-mv1"])
    for volume in volumes:
        docker("volume", "create", volume)

    def names(pattern: str) -> set[str]:
        return set(docker("volume", "ls", "-q", "--filter", f"name={pattern}").stdout.split())

    assert names(f"^{base}-mv[12]$") == {f"{base}-mv1", f"{base}-mv2"}
    assert names(f"{base}-mv1") == {f"{base}-mv1", f"x{base}-mv1"}
    assert names(f"{base}-mv[") == set()
    status, body = filtered(daemon, "/volumes", {"name": [f"{base}-mv["]})
    assert status == 200 and body["Volumes"] == []


# system df -------------------------------------------------------------------------------------

def test_system_df_lists_volumes_with_usage(docker: DockerCLI, daemon: Daemon,
                                            cleanup: list[str], volumes: list[str],
                                            name: str) -> None:
    used, unused, tmpfs = (f"df-{token()}" for _ in range(3))
    volumes.extend([used, unused, tmpfs])
    cleanup.append(name)
    docker("volume", "create", unused)
    docker("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", tmpfs)
    docker("run", "--name", name, "-v", f"{used}:/d", "busybox", "sh", "-c",
           "head -c 100000 /dev/zero > /d/f")

    status, df = api(daemon, "GET", "/system/df")
    assert status == 200
    listed = {v["Name"]: v for v in df["Volumes"]}
    assert listed[used]["UsageData"] == {"Size": 100000, "RefCount": 1}
    assert listed[unused]["UsageData"] == {"Size": 0, "RefCount": 0}
    assert listed[used]["Driver"] == "local" and listed[used]["Mountpoint"]
    assert tmpfs not in listed  # as dockerd: volumes with driver options are not counted
    # the usage is system df's alone, as in dockerd
    assert "UsageData" not in api(daemon, "GET", f"/volumes/{used}")[1]

    rows = {row["Type"]: row for row in
            (json.loads(line) for line in
             docker("system", "df", "--format", "{{json .}}").stdout.splitlines())}
    local = rows["Local Volumes"]
    assert int(local["TotalCount"]) == len(df["Volumes"]) >= 2
    assert int(local["Active"]) == sum(1 for v in df["Volumes"]
                                       if v["UsageData"]["RefCount"] > 0) >= 1
    verbose = docker("system", "df", "-v").stdout.splitlines()
    assert [line.split() for line in verbose if line.startswith(used)] == \
        [[used, "1", "100kB"]]
    assert [line.split() for line in verbose if line.startswith(unused)] == \
        [[unused, "0", "0B"]]


# a container's volume mounts: driver options, volume drivers -----------------------------------

def test_mount_volume_options_create_the_volume_with_them(docker: DockerCLI,
                                                         volumes: list[str]) -> None:
    volume = f"opt-{token()}"
    volumes.append(volume)
    out = docker("run", "--rm", "--mount",
                 f"type=volume,src={volume},dst=/d,volume-opt=type=tmpfs,"
                 "volume-opt=device=tmpfs,volume-opt=o=size=8m",
                 "busybox", "grep", " /d ", "/proc/mounts").stdout
    assert out.startswith("tmpfs /d tmpfs") and "size=8192k" in out
    options = docker("volume", "inspect", "-f", "{{json .Options}}", volume).stdout
    assert json.loads(options) == {"type": "tmpfs", "device": "tmpfs", "o": "size=8m"}
    # an anonymous volume of a --mount gets its options too
    out = docker("run", "--rm", "--mount",
                 "type=volume,dst=/d,volume-opt=type=tmpfs,volume-opt=device=tmpfs,"
                 "volume-opt=o=size=4m", "busybox", "grep", " /d ", "/proc/mounts").stdout
    assert out.startswith("tmpfs /d tmpfs") and "size=4096k" in out


def test_unknown_volume_driver_is_refused_like_dockerd(docker: DockerCLI, daemon: Daemon,
                                                       cleanup: list[str],
                                                       volumes: list[str]) -> None:
    names = [f"vd-{token()}" for _ in range(4)]
    cleanup.extend(names)
    volume = f"vd-{token()}"
    volumes.append(volume)
    before = set(docker("volume", "ls", "-q").stdout.split())

    status, body = api(daemon, "POST", f"/containers/create?name={names[0]}",
                       {"Image": "busybox", "Volumes": {"/data": {}},
                        "HostConfig": {"VolumeDriver": "nodrv"}})
    assert status == 404  # dockerd's status: the plugin is not found
    prefix, _, rest = body["message"].partition(": ")
    assert prefix.startswith("create ") and len(prefix) == len("create ") + 64
    assert rest == 'error looking up volume plugin nodrv: plugin "nodrv" not found'
    status, body = api(daemon, "POST", f"/containers/create?name={names[1]}",
                       {"Image": "busybox",
                        "HostConfig": {"VolumeDriver": "nodrv", "Binds": [f"{volume}:/d"]}})
    assert (status, body["message"]) == (
        404, f'create {volume}: error looking up volume plugin nodrv: plugin "nodrv" not found')
    assert set(docker("volume", "ls", "-q").stdout.split()) == before
    assert docker("ps", "-aq", "--filter", f"name=^{names[0]}$").stdout == ""

    # no volume to create, nothing to look up; and "local" is the local driver
    docker("create", "--name", names[2], "--volume-driver", "nodrv", "-v", "/tmp:/h",
           "busybox")
    docker("create", "--name", names[3], "--volume-driver", "local", "-v", f"{volume}:/d",
           "busybox")
    assert docker("volume", "inspect", "-f", "{{.Driver}}", volume).stdout.strip() == "local"


# --volumes-from --------------------------------------------------------------------------------

def _mounts(docker: DockerCLI, ref: str) -> dict[str, dict[str, Any]]:
    return {m["Destination"]: m for m in inspect(docker, ref)["Mounts"]}


def test_volumes_from_copies_bind_mounts_with_their_modes(
        docker: DockerCLI, cleanup: list[str], volumes: list[str], tmp_path: Path) -> None:
    shared, readonly = tmp_path / "shared", tmp_path / "readonly"
    shared.mkdir()
    readonly.mkdir()
    (shared / "f").write_text("from host\n")
    volume = f"vf-{token()}"
    volumes.append(volume)
    src, copy, copy_ro, copy_rw, again = (f"vf-{token()}" for _ in range(5))
    cleanup.extend([again, copy, copy_ro, copy_rw, src])
    docker("create", "--name", src, "-v", f"{shared}:/b1", "-v", f"{readonly}:/b2:ro",
           "--mount", f"type=bind,src={shared},dst=/m1,readonly", "-v", f"{volume}:/v1",
           "busybox")

    docker("create", "--name", copy, "--volumes-from", src, "busybox")
    mounts = _mounts(docker, copy)
    assert set(mounts) == {"/b1", "/b2", "/m1", "/v1"}
    assert {d: (m["Type"], m["Source"], m["RW"], m["Mode"]) for d, m in mounts.items()
            if m["Type"] == "bind"} == {
        "/b1": ("bind", str(shared), True, ""), "/b2": ("bind", str(readonly), False, ""),
        "/m1": ("bind", str(shared), False, "")}
    assert (mounts["/v1"]["Name"], mounts["/v1"]["RW"]) == (volume, True)
    out = docker("start", "-a", copy, check=False)
    assert out.returncode == 0, out.stderr

    # :ro makes every copy read-only; :rw keeps a read-only source read-only
    docker("create", "--name", copy_ro, "--volumes-from", f"{src}:ro", "busybox")
    assert {d: m["RW"] for d, m in _mounts(docker, copy_ro).items()} == {
        "/b1": False, "/b2": False, "/m1": False, "/v1": False}
    docker("create", "--name", copy_rw, "--volumes-from", f"{src}:rw", "busybox")
    assert {d: m["RW"] for d, m in _mounts(docker, copy_rw).items()} == {
        "/b1": True, "/b2": False, "/m1": False, "/v1": True}

    # the copies are real mounts, writable or not as listed, and pass on to the next container
    out = docker("run", "--rm", "--volumes-from", copy, "busybox", "sh", "-c",
                 "cat /b1/f; echo new > /b1/g; touch /b2/x 2>/dev/null || echo b2-ro; "
                 "touch /m1/x 2>/dev/null || echo m1-ro").stdout
    assert out == "from host\nb2-ro\nm1-ro\n"
    assert (shared / "g").read_text() == "new\n"
    out = docker("run", "--rm", "--volumes-from", f"{src}:ro", "busybox", "sh", "-c",
                 "cat /b1/f; touch /b1/x 2>/dev/null || echo b1-ro").stdout
    assert out == "from host\nb1-ro\n"
    # the container's own mount at a destination wins over the source's
    docker("create", "--name", again, "--volumes-from", src, "-v", f"{readonly}:/b1",
           "busybox")
    assert _mounts(docker, again)["/b1"]["Source"] == str(readonly)


def test_volumes_from_errors_are_dockerds(docker: DockerCLI, daemon: Daemon, name: str,
                                          cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("create", "--name", name, "busybox")
    before = set(docker("ps", "-aq", "--no-trunc").stdout.split())
    for source, message in [
            ("nosuch", "No such container: nosuch"),
            (f"{name}:rw,rshared", "invalid mode: rw,rshared"),
            (f"{name}:nocopy", "invalid mode: nocopy"),
            (f"{name}:ro,rw", "invalid mode: ro,rw"),
            ("", "volumes-from specification cannot be an empty string")]:
        status, body = api(daemon, "POST", "/containers/create",
                           {"Image": "busybox", "HostConfig": {"VolumesFrom": [source]}})
        assert (status, body["message"]) == (400, message), source
    assert set(docker("ps", "-aq", "--no-trunc").stdout.split()) == before
    # a 400, so the docker CLI does not go looking for the image
    result = docker("create", "--volumes-from", "nosuch", "busybox", check=False)
    assert result.returncode != 0
    assert "No such container: nosuch" in result.stderr
    assert "Unable to find image" not in result.stderr
    # label and consistency modes are accepted
    status, body = api(daemon, "POST", "/containers/create",
                       {"Image": "busybox", "HostConfig": {"VolumesFrom": [f"{name}:z,ro"]}})
    assert status == 201, body
    cleanup.append(body["Id"])
