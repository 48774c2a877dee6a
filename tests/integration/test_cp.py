"""docker cp both ways, on running and stopped containers, and paths that try to escape."""

from __future__ import annotations

import io
import secrets
import tarfile
from pathlib import Path

import pytest

from tests.conftest import DockerCLI

SETUP = ("mkdir -p /data && echo hello > /data/f && chmod 640 /data/f && chown 33:33 /data/f"
         " && ln -s /etc/passwd /data/link && ln -s / /data/root")


@pytest.fixture
def box(docker: DockerCLI, name: str) -> str:
    docker("run", "-d", "--name", name, "--tmpfs", "/scratch", "busybox", "sh", "-c",
           SETUP + " && echo tmp > /scratch/t && sleep 300")
    docker("exec", name, "sh", "-c", "until [ -e /scratch/t ]; do sleep 0.05; done")
    yield name
    docker("rm", "-f", name, check=False)


def test_copy_out_keeps_modes_owners_and_symlinks(docker: DockerCLI, box: str,
                                                  tmp_path: Path) -> None:
    docker("cp", "-a", f"{box}:/data", str(tmp_path))
    copied = tmp_path / "data"
    assert (copied / "f").read_text() == "hello\n"
    assert oct((copied / "f").stat().st_mode & 0o777) == "0o640"
    assert (copied / "link").is_symlink()
    assert str((copied / "link").readlink()) == "/etc/passwd"


def test_copy_out_archive_keeps_owner(docker: DockerCLI, box: str) -> None:
    raw = docker("cp", f"{box}:/data/f", "-", text=False).stdout
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        member = tar.getmember("f")
    assert (member.uid, member.gid, member.mode) == (33, 33, 0o640)


def test_copy_out_sees_container_mounts(docker: DockerCLI, box: str, tmp_path: Path) -> None:
    docker("cp", f"{box}:/scratch/t", str(tmp_path / "t"))
    assert (tmp_path / "t").read_text() == "tmp\n"


def test_copy_in_running_and_stopped(docker: DockerCLI, box: str, tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("in\n")
    docker("cp", str(source), f"{box}:/tmp/")
    assert docker("exec", box, "cat", "/tmp/in.txt").stdout == "in\n"
    docker("stop", "-t", "0", box)
    docker("cp", str(source), f"{box}:/data/")
    docker("cp", f"{box}:/data/in.txt", str(tmp_path / "back.txt"))
    assert (tmp_path / "back.txt").read_text() == "in\n"


def test_copy_through_symlink_stays_inside(docker: DockerCLI, box: str,
                                          tmp_path: Path) -> None:
    marker = f"skiff-escape-{secrets.token_hex(4)}"
    source = tmp_path / marker
    source.write_text("x")
    # /data/root -> / inside the container: the copy must land in the container's /tmp
    docker("cp", str(source), f"{box}:/data/root/tmp/")
    assert not Path("/tmp", marker).exists()
    assert docker("exec", box, "cat", f"/tmp/{marker}").stdout == "x"
    out = docker("cp", f"{box}:/data/root/etc/hostname", "-").stdout
    assert "hostname" in out  # a tar of the container's file, not the host's


def test_missing_path_is_404(docker: DockerCLI, box: str, tmp_path: Path) -> None:
    result = docker("cp", f"{box}:/nonexistent", str(tmp_path), check=False)
    assert result.returncode != 0
    assert f"Could not find the file /nonexistent in container {box}" in result.stderr


def test_put_archive_refuses_escaping_entries(client: object, box: str) -> None:
    import docker.errors

    api = client.api  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("../../escape")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(docker.errors.APIError) as caught:
        api.put_archive(box, "/tmp", buffer.getvalue())
    assert caught.value.status_code == 400
    assert not Path("/escape").exists()


def test_stat_header(client: object, box: str) -> None:
    api = client.api  # type: ignore[attr-defined]
    stat = api.get_archive(box, "/data/f")[1]
    assert stat["name"] == "f" and stat["size"] == 6
    assert stat["mode"] & 0o777 == 0o640
