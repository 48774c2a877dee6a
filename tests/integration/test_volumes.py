"""Volumes: named and anonymous, copy-up from the image, nocopy, in use, rm -v, prune."""

from __future__ import annotations

import secrets

from tests.conftest import DockerCLI


def _volume() -> str:
    return f"vol-{secrets.token_hex(4)}"


def test_named_volume_outlives_its_container_and_is_copied_up(docker: DockerCLI) -> None:
    volume = _volume()
    docker("volume", "create", "--label", "team=a", volume)
    try:
        listed = docker("run", "--rm", "-v", f"{volume}:/etc", "busybox", "sh", "-c",
                        "ls /etc; echo kept > /etc/kept").stdout.split()
        assert "passwd" in listed  # the image's /etc was copied into the empty volume
        assert docker("run", "--rm", "-v", f"{volume}:/data", "busybox", "cat",
                      "/data/kept").stdout == "kept\n"
        info = docker("volume", "inspect", volume, "--format",
                      "{{.Driver}} {{.Labels.team}} {{.Scope}}").stdout.strip()
        assert info == "local a local"
        assert volume in docker("volume", "ls", "-q", "--filter", "label=team=a").stdout
    finally:
        docker("volume", "rm", volume)


def test_nocopy_and_read_only(docker: DockerCLI) -> None:
    volume = _volume()
    try:
        empty = docker("run", "--rm", "--mount",
                       f"type=volume,source={volume},target=/etc,volume-nocopy", "busybox",
                       "ls", "/etc").stdout
        assert "passwd" not in empty
        denied = docker("run", "--rm", "-v", f"{volume}:/data:ro", "busybox", "touch",
                        "/data/x", check=False)
        assert denied.returncode != 0
    finally:
        docker("volume", "rm", "-f", volume)


def test_volume_in_use_cannot_be_removed(docker: DockerCLI, name: str) -> None:
    volume = _volume()
    docker("run", "-d", "--name", name, "-v", f"{volume}:/data", "busybox", "sleep", "300")
    try:
        busy = docker("volume", "rm", volume, check=False)
        assert busy.returncode != 0 and "volume is in use" in busy.stderr
        dangling = docker("volume", "ls", "-q", "--filter", "dangling=true").stdout.split()
        assert volume not in dangling
    finally:
        docker("rm", "-f", name)
        docker("volume", "rm", volume)


def test_anonymous_volumes_and_rm_v(docker: DockerCLI, name: str) -> None:
    docker("run", "--name", name, "-v", "/scratch", "busybox", "touch", "/scratch/x")
    anonymous = docker("inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", name).stdout.strip()
    assert len(anonymous) == 64
    assert anonymous in docker("volume", "ls", "-q").stdout.split()
    docker("rm", "-v", name)
    assert anonymous not in docker("volume", "ls", "-q").stdout.split()


def test_prune_takes_anonymous_unless_all(docker: DockerCLI, name: str) -> None:
    named = _volume()
    docker("volume", "create", named)
    docker("run", "--name", name, "-v", "/scratch", "busybox", "true")
    anonymous = docker("inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", name).stdout.strip()
    docker("rm", name)
    docker("volume", "prune", "-f")
    remaining = docker("volume", "ls", "-q").stdout.split()
    assert anonymous not in remaining and named in remaining
    docker("volume", "rm", named)


def test_bad_volume_names_are_refused(docker: DockerCLI) -> None:
    for bad in ("a/b", "..", "-x"):
        result = docker("volume", "create", bad, check=False)
        assert result.returncode != 0, bad
    traversal = docker("run", "--rm", "--mount", "type=volume,source=../x,target=/x", "busybox",
                       "true", check=False)
    assert traversal.returncode != 0


def test_tmpfs_volume(docker: DockerCLI) -> None:
    volume = _volume()
    docker("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=8m",
           volume)
    try:
        out = docker("run", "--rm", "-v", f"{volume}:/t", "busybox", "sh", "-c",
                     "grep ' /t ' /proc/mounts; echo kept > /t/x").stdout
        assert "tmpfs" in out and "size=8192k" in out
        assert docker("run", "--rm", "-v", f"{volume}:/t", "busybox", "cat",
                      "/t/x").stdout == "kept\n"
    finally:
        docker("volume", "rm", volume)


def test_bind_volume_keeps_host_files_when_removed(docker: DockerCLI, tmp_path: object) -> None:
    from pathlib import Path

    host = Path(str(tmp_path)) / "shared"
    host.mkdir()
    (host / "f").write_text("from host\n")
    volume = _volume()
    docker("volume", "create", "-o", "type=none", "-o", "o=bind", "-o", f"device={host}",
           volume)
    assert docker("run", "--rm", "-v", f"{volume}:/b", "busybox", "cat", "/b/f").stdout == \
        "from host\n"
    docker("run", "--rm", "-v", f"{volume}:/b", "busybox", "sh", "-c", "echo new > /b/g")
    docker("volume", "rm", volume)
    assert (host / "f").exists() and (host / "g").read_text() == "new\n"


def test_unsafe_driver_options_are_refused(docker: DockerCLI) -> None:
    before = docker("volume", "ls", "-q").stdout
    for opts in (["type=ext4", "device=/dev/vda"], ["type=none", "o=bind", "device=/etc"],
                 ["type=tmpfs", "o=exec,suid"], ["type=none", "o=bind", "device=relative"]):
        args = [part for opt in opts for part in ("-o", opt)]
        result = docker("volume", "create", *args, _volume(), check=False)
        assert result.returncode != 0, opts
    assert docker("volume", "ls", "-q").stdout == before


def test_volumes_from(docker: DockerCLI, name: str) -> None:
    volume = _volume()
    docker("run", "-d", "--name", name, "-v", f"{volume}:/data", "busybox", "sh", "-c",
           "echo shared > /data/f; sleep 300")
    try:
        docker("exec", name, "sh", "-c", "until [ -e /data/f ]; do sleep 0.05; done")
        out = docker("run", "--rm", "--volumes-from", f"{name}:ro", "busybox", "sh", "-c",
                     "cat /data/f; touch /data/g 2>/dev/null && echo writable; true").stdout
        assert out == "shared\n"
    finally:
        docker("rm", "-f", name)
        docker("volume", "rm", volume)


def test_mount_modes_and_created_at_as_docker_reports_them(docker: DockerCLI,
                                                            name: str) -> None:
    import json
    import re

    named, readonly = _volume(), _volume()
    docker("create", "--name", name, "-v", f"{named}:/a", "-v", f"{readonly}:/b:ro", "-v",
           "/c", "--mount", f"type=volume,src={named},dst=/d", "busybox")
    try:
        mounts = {m["Destination"]: m for m in json.loads(
            docker("inspect", "-f", "{{json .Mounts}}", name).stdout)}
        assert {d: m["Mode"] for d, m in mounts.items()} == \
            {"/a": "z", "/b": "ro", "/c": "", "/d": ""}
        created = docker("volume", "inspect", "-f", "{{.CreatedAt}}", named).stdout.strip()
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created), created
    finally:
        anonymous = [m["Name"] for m in json.loads(
            docker("inspect", "-f", "{{json .Mounts}}", name).stdout) if m["Destination"] == "/c"]
        docker("rm", "-f", name, check=False)
        docker("volume", "rm", named, readonly, *anonymous, check=False)
