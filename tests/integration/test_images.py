"""Images: import, list, tag, rmi, history, inspect, save/load and prune, with the real CLI."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import platform
import secrets
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BUSYBOX_TAR, Daemon, DockerCLI, UnixHTTPConnection

# helpers ---------------------------------------------------------------------------------------


def api(daemon: Daemon, method: str, path: str, body: bytes | None = None,
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP request to the daemon's socket: (status, lower-cased headers, body)."""
    conn = UnixHTTPConnection(str(daemon.socket))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def token() -> str:
    return secrets.token_hex(4)


Entry = tuple[tarfile.TarInfo, bytes | None]


def reg(name: str, data: bytes = b"data\n", mode: int = 0o644) -> Entry:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = 1_700_000_000
    return info, data


def directory(name: str, mode: int = 0o755) -> Entry:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = mode
    info.mtime = 1_700_000_000
    return info, None


def symlink(name: str, target: str) -> Entry:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info, None


def hardlink(name: str, target: str) -> Entry:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE
    info.linkname = target
    return info, None


def tar_bytes(*entries: Entry) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def rootfs(tok: str) -> bytes:
    """A small, unique root filesystem."""
    return tar_bytes(directory("etc"), reg("etc/skiff-token", tok.encode() + b"\n"),
                     directory("tmp", 0o1777), reg("hello", b"hello " * 200 + b"\n"))


def arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def image_list(daemon: Daemon) -> list[tuple[str, tuple[str, ...]]]:
    status, _, body = api(daemon, "GET", "/images/json?all=1")
    assert status == 200
    return sorted((i["Id"], tuple(sorted(i["RepoTags"] or []))) for i in json.loads(body))


def inspect(docker: DockerCLI, ref: str) -> dict[str, Any]:
    return json.loads(docker("image", "inspect", ref).stdout)[0]


def exists(docker: DockerCLI, ref: str) -> bool:
    return docker("image", "inspect", ref, check=False).returncode == 0


def rmi_records(out: str, image_id: str) -> list[str]:
    """``docker rmi`` output without the graphdriver's extra "Deleted: <layer chain ID>" lines."""
    return [line for line in out.splitlines()
            if not line.startswith("Deleted: ") or line == f"Deleted: {image_id}"]


class Cleanup:
    """Removes the containers, then the images, a test created."""

    def __init__(self, docker: DockerCLI) -> None:
        self.docker = docker
        self.images: list[str] = []
        self.containers: list[str] = []
        self.paths: list[Path] = []

    def image(self, ref: str) -> str:
        self.images.append(ref)
        return ref

    def container(self, name: str) -> str:
        self.containers.append(name)
        return name

    def close(self) -> None:
        if self.containers:
            self.docker("rm", "-f", *self.containers, check=False)
        for ref in reversed(self.images):
            self.docker("rmi", "-f", ref, check=False)
        for path in self.paths:
            if path.is_dir():
                import shutil

                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


@pytest.fixture
def cleanup(docker: DockerCLI) -> Iterator[Cleanup]:
    c = Cleanup(docker)
    yield c
    c.close()


def do_import(docker: DockerCLI, tmp_path: Path, data: bytes, ref: str | None,
              *args: str) -> str:
    path = tmp_path / f"rootfs-{token()}.tar"
    path.write_bytes(data)
    out = docker("import", *args, str(path), *([ref] if ref else [])).stdout.strip()
    assert out.startswith("sha256:") and len(out) == 71, out
    return out


def import_busybox(docker: DockerCLI, cleanup: Cleanup, ref: str | None) -> str:
    """A runnable image with its own ID (a unique message), sharing busybox's layer."""
    image_id = docker("import", "--change", 'CMD ["sh"]', "-m", f"copy {token()}",
                      str(BUSYBOX_TAR), *([ref] if ref else [])).stdout.strip()
    cleanup.image(image_id)
    return image_id


def oci_archive(layers: list[bytes], repo_tag: str | None, *, labels: dict[str, str] | None = None,
                history: list[dict[str, Any]] | None = None, compress: bool = True,
                cmd: list[str] | None = None) -> tuple[bytes, str, list[str]]:
    """An OCI image layout tarball: (archive, image ID, diff IDs)."""
    diff_ids = [digest(layer) for layer in layers]
    config = json.dumps({
        "architecture": arch(), "os": "linux", "created": "2026-01-02T03:04:05Z",
        "config": {"Cmd": cmd or ["/hello"], "Labels": labels or {}, "Env": ["X=1"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history or [{"created": "2026-01-02T03:04:05Z", "created_by": "test"}
                               for _ in layers],
    }).encode()
    blobs: dict[str, bytes] = {digest(config): config}
    layer_descs = []
    for layer in layers:
        blob = gzip.compress(layer) if compress else layer
        blobs[digest(blob)] = blob
        layer_descs.append({
            "mediaType": "application/vnd.oci.image.layer.v1.tar"
                         + ("+gzip" if compress else ""),
            "digest": digest(blob), "size": len(blob)})
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(config), "size": len(config)},
        "layers": layer_descs}).encode()
    blobs[digest(manifest)] = manifest
    desc: dict[str, Any] = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": digest(manifest), "size": len(manifest)}
    if repo_tag:
        desc["annotations"] = {"io.containerd.image.name": f"docker.io/library/{repo_tag}",
                               "org.opencontainers.image.ref.name": repo_tag.rsplit(":", 1)[1]}
    index = json.dumps({"schemaVersion": 2,
                        "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [desc]}).encode()
    entries = [reg("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), reg("index.json", index),
               directory("blobs"), directory("blobs/sha256")]
    entries += [reg(f"blobs/sha256/{d[7:]}", data) for d, data in blobs.items()]
    return tar_bytes(*entries), digest(config), diff_ids


def save_archive(manifest: list[dict[str, Any]], files: dict[str, bytes],
                 *extra: Entry) -> bytes:
    """A ``docker save`` style archive (manifest.json only) from the given members."""
    entries = [reg(name, data) for name, data in files.items()]
    entries.append(reg("manifest.json", json.dumps(manifest).encode()))
    return tar_bytes(*entries, *extra)


def load(daemon: Daemon, archive: bytes) -> tuple[int, dict[str, str], bytes]:
    return api(daemon, "POST", "/images/load?quiet=1", archive,
               {"Content-Type": "application/x-tar"})


def read_archive(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
                for m in tar.getmembers() if m.isfile()}


# import ----------------------------------------------------------------------------------------

CHANGES = ("--change", 'CMD ["sh"]', "--change", "ENV A=b", "--change", "LABEL x=y",
           "--change", "EXPOSE 80", "--change", "WORKDIR /tmp", "-m", "msg")


def test_import_with_changes(docker: DockerCLI, cleanup: Cleanup, tmp_path: Path) -> None:
    tok = token()
    ref = cleanup.image(f"imp-{tok}:v1")
    data = rootfs(tok)
    image_id = do_import(docker, tmp_path, data, ref, *CHANGES)
    info = inspect(docker, ref)
    assert info["Id"] == image_id
    assert info["RepoTags"] == [ref]
    assert info["Comment"] == "msg"
    config = info["Config"]
    assert config["Cmd"] == ["sh"]
    assert "A=b" in config["Env"]
    assert config["Labels"] == {"x": "y"}
    assert config["ExposedPorts"] == {"80/tcp": {}}
    assert config["WorkingDir"] == "/tmp"
    assert info["RootFS"] == {"Type": "layers", "Layers": [digest(data)]}
    assert info["Size"] > 0
    assert info["Os"] == "linux"
    assert info["Architecture"] == arch()
    assert info["Created"].startswith("20")


def test_import_id_is_the_config_digest(docker: DockerCLI, cleanup: Cleanup,
                                        tmp_path: Path) -> None:
    tok = token()
    ref = cleanup.image(f"imp-{tok}:v1")
    data = rootfs(tok)
    image_id = do_import(docker, tmp_path, data, ref, *CHANGES)
    out = tmp_path / "saved.tar"
    docker("save", ref, "-o", str(out))
    files = read_archive(out)
    manifest = json.loads(files["manifest.json"])
    assert len(manifest) == 1
    assert manifest[0]["RepoTags"] == [ref]
    config_bytes = files[manifest[0]["Config"]]
    assert digest(config_bytes) == image_id
    config = json.loads(config_bytes)
    assert config["rootfs"] == {"type": "layers", "diff_ids": [digest(data)]}
    assert config["comment"] == "msg"
    assert config["config"]["Cmd"] == ["sh"]
    assert len(config["history"]) == 1
    assert [digest(files[name]) for name in manifest[0]["Layers"]] == [digest(data)]


def test_import_gzip_compressed(docker: DockerCLI, cleanup: Cleanup, tmp_path: Path) -> None:
    tok = token()
    ref = cleanup.image(f"imp-{tok}:gz")
    data = rootfs(tok)
    image_id = do_import(docker, tmp_path, gzip.compress(data), ref)
    info = inspect(docker, ref)
    assert info["Id"] == image_id
    assert info["RootFS"]["Layers"] == [digest(data)]
    assert info["Size"] > 0


def test_import_from_stdin_and_runs(docker: DockerCLI, cleanup: Cleanup, name: str) -> None:
    ref = cleanup.image(f"imp-{token()}:bb")
    data = BUSYBOX_TAR.read_bytes()
    out = docker("import", "--change", 'CMD ["echo", "from-import"]', "-", ref, input=data,
                 text=False).stdout.decode().strip()
    assert out.startswith("sha256:")
    assert docker("run", "--rm", ref).stdout == "from-import\n"


def test_import_without_name_is_dangling(docker: DockerCLI, cleanup: Cleanup,
                                         tmp_path: Path) -> None:
    image_id = cleanup.image(do_import(docker, tmp_path, rootfs(token()), None))
    info = inspect(docker, image_id)
    assert info["RepoTags"] == []
    dangling = docker("images", "-q", "--no-trunc", "-f", "dangling=true").stdout.split()
    assert image_id in dangling
    listed = docker("images", "--no-trunc", "--format",
                    "{{.ID}} {{.Repository}} {{.Tag}}").stdout.splitlines()
    assert f"{image_id} <none> <none>" in listed


def test_import_invalid_change_is_refused(docker: DockerCLI, daemon: Daemon,
                                          tmp_path: Path) -> None:
    before = image_list(daemon)
    path = tmp_path / "r.tar"
    path.write_bytes(rootfs(token()))
    result = docker("import", "--change", "RUN echo hi", str(path), check=False)
    assert result.returncode != 0
    assert "is not a valid change command" in result.stderr
    assert image_list(daemon) == before


def test_import_not_a_tar_is_refused(daemon: Daemon) -> None:
    before = image_list(daemon)
    status, headers, body = api(daemon, "POST", "/images/create?fromSrc=-&repo=notatar",
                                b"this is not a tar archive" * 40)
    assert 400 <= status < 500
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body)["message"]
    assert image_list(daemon) == before


# list ------------------------------------------------------------------------------------------

def test_images_list_and_format(docker: DockerCLI, cleanup: Cleanup, tmp_path: Path) -> None:
    tok = token()
    repo = f"list-{tok}"
    image_id = do_import(docker, tmp_path, rootfs(tok), cleanup.image(f"{repo}:a"))
    docker("tag", f"{repo}:a", cleanup.image(f"{repo}:b"))
    table = docker("images").stdout.splitlines()
    assert table[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    rows = [line.split() for line in table[1:]]
    assert [repo, "a", image_id[7:19]] in [r[:3] for r in rows]
    assert [repo, "b", image_id[7:19]] in [r[:3] for r in rows]
    formatted = docker("images", repo, "--format",
                       "{{.Repository}}|{{.Tag}}|{{.ID}}").stdout.splitlines()
    assert sorted(formatted) == [f"{repo}|a|{image_id[7:19]}", f"{repo}|b|{image_id[7:19]}"]
    only_b = docker("images", f"{repo}:b", "--format", "{{.Tag}}").stdout.split()
    assert only_b == ["b"]
    as_json = [json.loads(line) for line in
               docker("images", repo, "--format", "{{json .}}").stdout.splitlines()]
    assert {row["Tag"] for row in as_json} == {"a", "b"}
    assert all(row["ID"] == image_id[7:19] for row in as_json)


def test_images_quiet_and_all(docker: DockerCLI, cleanup: Cleanup, tmp_path: Path) -> None:
    tok = token()
    image_id = do_import(docker, tmp_path, rootfs(tok), cleanup.image(f"quiet-{tok}"))
    quiet = docker("images", "-q").stdout.split()
    assert image_id[7:19] in quiet
    assert all(len(i) == 12 for i in quiet)
    assert image_id in docker("images", "-q", "--no-trunc").stdout.split()
    assert image_id[7:19] in docker("images", "-a", "-q").stdout.split()
    assert set(docker("images", "-a", "-q").stdout.split()) == set(quiet)
    busybox = inspect(docker, "busybox")["Id"]
    assert busybox[7:19] in quiet


def test_images_filters(docker: DockerCLI, cleanup: Cleanup, tmp_path: Path) -> None:
    tok = token()
    first = do_import(docker, tmp_path, rootfs(tok + "1"), cleanup.image(f"flt-{tok}:one"),
                      "--change", f"LABEL skiff.test={tok}", "--change", "LABEL only.first=1")
    second = do_import(docker, tmp_path, rootfs(tok + "2"), cleanup.image(f"flt-{tok}:two"),
                       "--change", f"LABEL skiff.test={tok}")
    dangling = cleanup.image(do_import(docker, tmp_path, rootfs(tok + "3"), None,
                                       "--change", f"LABEL skiff.test={tok}"))

    def ids(*filters: str) -> set[str]:
        args = [arg for f in filters for arg in ("--filter", f)]
        return set(docker("images", "-q", "--no-trunc", *args).stdout.split())

    assert ids(f"label=skiff.test={tok}") == {first, second, dangling}
    assert ids("label=only.first") == {first}
    assert ids("label=only.first=1") == {first}
    assert ids("label=only.first=2") == set()
    assert ids(f"label=skiff.test={tok}", "dangling=true") == {dangling}
    assert ids(f"label=skiff.test={tok}", "dangling=false") == {first, second}
    assert ids(f"reference=flt-{tok}") == {first, second}
    assert ids(f"reference=flt-{tok}:two") == {second}
    assert ids(f"reference=flt-{tok[:4]}*:on*") == {first}
    assert ids(f"label=skiff.test={tok}", f"since=flt-{tok}:one") == {second, dangling}
    assert ids(f"label=skiff.test={tok}", f"before={dangling}") == {first, second}
    assert ids(f"label=skiff.test={tok}", f"before=flt-{tok}:two") == {first}
    result = docker("images", "--filter", "bogus=1", check=False)
    assert result.returncode != 0
    assert "invalid filter 'bogus'" in result.stderr


def test_reference_filter_shows_only_matching_tags(docker: DockerCLI, cleanup: Cleanup,
                                                   tmp_path: Path) -> None:
    tok = token()
    do_import(docker, tmp_path, rootfs(tok), cleanup.image(f"refa-{tok}:x"))
    docker("tag", f"refa-{tok}:x", cleanup.image(f"refb-{tok}:y"))
    rows = docker("images", "--filter", f"reference=refb-{tok}", "--format",
                  "{{.Repository}}:{{.Tag}}").stdout.split()
    assert rows == [f"refb-{tok}:y"]


def test_docker_py_images_list(client: Any, docker: DockerCLI, cleanup: Cleanup,
                               tmp_path: Path) -> None:
    tok = token()
    repo = f"py-{tok}"
    image_id = do_import(docker, tmp_path, rootfs(tok), cleanup.image(f"{repo}:v1"),
                         "--change", f"LABEL py.test={tok}")
    docker("tag", f"{repo}:v1", cleanup.image(f"{repo}:v2"))
    by_name = client.images.list(name=repo)
    assert [i.id for i in by_name] == [image_id]
    assert sorted(by_name[0].tags) == [f"{repo}:v1", f"{repo}:v2"]
    assert by_name[0].labels == {"py.test": tok}
    by_label = client.images.list(filters={"label": f"py.test={tok}"})
    assert [i.id for i in by_label] == [image_id]
    everything = {i.id for i in client.images.list(all=True)}
    assert image_id in everything
    assert client.images.get(f"{repo}:v2").id == image_id
    assert client.images.get(image_id[7:19]).id == image_id
    short_ids = client.api.images(name=repo, quiet=True)
    assert short_ids == [image_id]


# tag and rmi -----------------------------------------------------------------------------------

def test_tag_adds_a_reference_to_the_same_image(docker: DockerCLI, cleanup: Cleanup) -> None:
    tok = token()
    busybox = inspect(docker, "busybox")["Id"]
    docker("tag", "busybox", cleanup.image(f"tagged-{tok}:t1"))
    docker("tag", "busybox:latest", cleanup.image(f"example.com/tagged-{tok}"))
    assert inspect(docker, f"tagged-{tok}:t1")["Id"] == busybox
    assert inspect(docker, f"example.com/tagged-{tok}:latest")["Id"] == busybox
    tags = inspect(docker, "busybox")["RepoTags"]
    assert {"busybox:latest", f"tagged-{tok}:t1", f"example.com/tagged-{tok}:latest"} <= set(tags)
    rows = docker("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").stdout.splitlines()
    assert f"tagged-{tok}:t1 {busybox[7:19]}" in rows
    docker("rmi", f"tagged-{tok}:t1", f"example.com/tagged-{tok}")
    assert inspect(docker, "busybox")["RepoTags"] == [
        t for t in tags if t not in (f"tagged-{tok}:t1", f"example.com/tagged-{tok}:latest")]


def test_tag_moves_an_existing_tag(docker: DockerCLI, cleanup: Cleanup, tmp_path: Path) -> None:
    tok = token()
    ref = cleanup.image(f"move-{tok}:x")
    first = do_import(docker, tmp_path, rootfs(tok + "a"), ref)
    second = cleanup.image(do_import(docker, tmp_path, rootfs(tok + "b"), None))
    docker("tag", second, ref)
    assert inspect(docker, ref)["Id"] == second
    assert inspect(docker, first)["RepoTags"] == []
    docker("rmi", first)


def test_tag_errors(docker: DockerCLI, daemon: Daemon) -> None:
    result = docker("tag", f"nosuch-{token()}", "x:y", check=False)
    assert result.returncode != 0
    assert "No such image" in result.stderr
    status, _, body = api(daemon, "POST", "/images/busybox/tag?repo=Bad_Upper&tag=x")
    assert status == 400
    assert "invalid reference format" in json.loads(body)["message"]


def test_rmi_one_of_two_tags_only_untags(docker: DockerCLI, cleanup: Cleanup,
                                         tmp_path: Path) -> None:
    tok = token()
    image_id = do_import(docker, tmp_path, rootfs(tok), cleanup.image(f"two-{tok}:a"))
    docker("tag", f"two-{tok}:a", cleanup.image(f"two-{tok}:b"))
    out = docker("rmi", f"two-{tok}:b").stdout
    assert out == f"Untagged: two-{tok}:b\n"
    assert inspect(docker, image_id)["RepoTags"] == [f"two-{tok}:a"]
    out = rmi_records(docker("rmi", f"two-{tok}:a").stdout, image_id)
    assert out == [f"Untagged: two-{tok}:a", f"Deleted: {image_id}"]
    assert not exists(docker, image_id)


def test_rmi_by_id_with_two_tags_must_be_forced(docker: DockerCLI, daemon: Daemon,
                                                cleanup: Cleanup, tmp_path: Path) -> None:
    tok = token()
    image_id = do_import(docker, tmp_path, rootfs(tok), cleanup.image(f"multi-{tok}:a"))
    docker("tag", image_id, cleanup.image(f"multi-other-{tok}:b"))
    short = image_id[7:19]
    result = docker("rmi", short, check=False)
    assert result.returncode == 1
    assert (f"conflict: unable to delete {short} (must be forced) - image is referenced in "
            f"multiple repositories") in result.stderr
    status, headers, body = api(daemon, "DELETE", f"/images/{short}")
    assert status == 409
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body)["message"].startswith(f"conflict: unable to delete {short}")
    assert sorted(inspect(docker, image_id)["RepoTags"]) == sorted([f"multi-other-{tok}:b",
                                                                    f"multi-{tok}:a"])
    out = rmi_records(docker("rmi", "-f", short).stdout, image_id)
    assert sorted(out) == sorted([f"Untagged: multi-{tok}:a", f"Untagged: multi-other-{tok}:b",
                                  f"Deleted: {image_id}"])
    assert out[-1] == f"Deleted: {image_id}"
    assert not exists(docker, image_id)


def test_rmi_image_of_a_stopped_container_conflicts(docker: DockerCLI, daemon: Daemon,
                                                    cleanup: Cleanup, name: str) -> None:
    ref = cleanup.image(f"stopped-{token()}:v")
    image_id = import_busybox(docker, cleanup, ref)
    short = image_id[7:19]
    cid = docker("create", "--name", cleanup.container(name), ref, "true").stdout.strip()
    result = docker("rmi", ref, check=False)
    assert result.returncode == 1
    assert (f'conflict: unable to remove repository reference "{ref}" (must force) - container '
            f"{cid[:12]} is using its referenced image {short}") in result.stderr
    result = docker("rmi", image_id, check=False)
    assert result.returncode == 1
    assert (f"conflict: unable to delete {short} (must be forced) - image is being used by "
            f"stopped container {cid[:12]}") in result.stderr
    status, _, body = api(daemon, "DELETE", f"/images/{image_id}")
    assert status == 409
    assert "must be forced" in json.loads(body)["message"]
    assert inspect(docker, ref)["Id"] == image_id


def test_rmi_force_deletes_image_of_a_stopped_container(docker: DockerCLI, cleanup: Cleanup,
                                                        name: str) -> None:
    # dockerd (graphdriver and containerd stores): a stopped container is a soft conflict,
    # -f by ID untags and deletes the image; the container stays and can still be removed
    ref = cleanup.image(f"stopped-{token()}:v")
    image_id = import_busybox(docker, cleanup, ref)
    docker("create", "--name", cleanup.container(name), ref, "true")
    out = rmi_records(docker("rmi", "-f", image_id).stdout, image_id)
    assert out == [f"Untagged: {ref}", f"Deleted: {image_id}"]
    assert not exists(docker, image_id)
    assert docker("ps", "-a", "--filter", f"name={name}", "--format", "{{.Names}}").stdout.split() \
        == [name]
    docker("rm", name)


@pytest.fixture
def running_image(docker: DockerCLI, cleanup: Cleanup, name: str) -> tuple[str, str, str]:
    """(reference, image ID, container ID) of an image used by a running container."""
    ref = cleanup.image(f"running-{token()}:v")
    image_id = import_busybox(docker, cleanup, ref)
    cid = docker("run", "-d", "--name", cleanup.container(name), ref, "sleep", "300").stdout.strip()
    return ref, image_id, cid


def test_rmi_by_id_of_a_running_containers_image_cannot_be_forced(
        docker: DockerCLI, daemon: Daemon, running_image: tuple[str, str, str]) -> None:
    ref, image_id, cid = running_image
    short = image_id[7:19]
    hard = (f"conflict: unable to delete {short} (cannot be forced) - image is being used by "
            f"running container {cid[:12]}")
    for args in (("rmi", image_id), ("rmi", "-f", image_id), ("rmi", "-f", short)):
        result = docker(*args, check=False)
        assert result.returncode == 1, args
        assert hard in result.stderr, (args, result.stderr)
    status, _, body = api(daemon, "DELETE", f"/images/{image_id}?force=1")
    assert status == 409
    assert json.loads(body)["message"] == hard
    assert inspect(docker, image_id)["RepoTags"] == [ref]


def test_rmi_by_reference_of_a_running_containers_image_must_be_forced(
        docker: DockerCLI, running_image: tuple[str, str, str]) -> None:
    ref, image_id, cid = running_image
    result = docker("rmi", ref, check=False)
    assert result.returncode == 1
    assert (f'conflict: unable to remove repository reference "{ref}" (must force) - container '
            f"{cid[:12]} is using its referenced image {image_id[7:19]}") in result.stderr
    assert inspect(docker, image_id)["RepoTags"] == [ref]


def test_rmi_force_by_reference_of_a_running_containers_image_only_untags(
        docker: DockerCLI, running_image: tuple[str, str, str], name: str) -> None:
    ref, image_id, _ = running_image
    assert docker("rmi", "-f", ref).stdout == f"Untagged: {ref}\n"
    assert inspect(docker, image_id)["RepoTags"] == []
    assert docker("inspect", "-f", "{{.State.Running}} {{.Image}}", name).stdout.split() == [
        "true", image_id]
    docker("rm", "-f", name)
    assert rmi_records(docker("rmi", image_id).stdout, image_id) == [f"Deleted: {image_id}"]


def test_rmi_missing_image(docker: DockerCLI, daemon: Daemon) -> None:
    missing = f"nosuch-{token()}"
    result = docker("rmi", missing, check=False)
    assert result.returncode == 1
    assert f"No such image: {missing}:latest" in result.stderr
    status, headers, body = api(daemon, "DELETE", f"/images/{missing}")
    assert status == 404
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body) == {"message": f"No such image: {missing}:latest"}
    status, _, body = api(daemon, "DELETE", f"/images/{missing}:v2")
    assert status == 404
    assert json.loads(body) == {"message": f"No such image: {missing}:v2"}


def test_rmi_several_at_once(docker: DockerCLI, cleanup: Cleanup, tmp_path: Path) -> None:
    tok = token()
    a = do_import(docker, tmp_path, rootfs(tok + "a"), cleanup.image(f"many-{tok}:a"))
    b = do_import(docker, tmp_path, rootfs(tok + "b"), cleanup.image(f"many-{tok}:b"))
    result = docker("rmi", f"many-{tok}:a", f"nosuch-{tok}", f"many-{tok}:b", check=False)
    assert result.returncode == 1
    assert f"Deleted: {a}" in result.stdout
    assert f"Deleted: {b}" in result.stdout
    assert f"No such image: nosuch-{tok}" in result.stderr


# history and inspect ---------------------------------------------------------------------------

def test_history_of_an_import(docker: DockerCLI, cleanup: Cleanup, tmp_path: Path) -> None:
    tok = token()
    ref = cleanup.image(f"hist-{tok}")
    image_id = do_import(docker, tmp_path, rootfs(tok), ref, "-m", "imported by test")
    rows = docker("history", "--no-trunc", "--format", "{{.ID}}|{{.Comment}}",
                  ref).stdout.splitlines()
    assert rows == [f"{image_id}|imported by test"]
    short = docker("history", "-q", ref).stdout.split()
    assert short == [image_id[7:19]]


def test_history_one_row_per_entry(docker: DockerCLI, daemon: Daemon, cleanup: Cleanup) -> None:
    tok = token()
    repo_tag = f"hist-{tok}:v1"
    cleanup.image(repo_tag)
    layer_a = tar_bytes(reg("a", b"a" * 3000))
    layer_b = tar_bytes(reg("b", b"b" * 5000))
    history = [
        {"created": "2026-01-01T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:a in /",
         "comment": "first"},
        {"created": "2026-01-01T00:00:01Z", "created_by": '/bin/sh -c #(nop)  CMD ["/a"]',
         "empty_layer": True},
        {"created": "2026-01-01T00:00:02Z", "created_by": "/bin/sh -c echo b > /b"},
    ]
    archive, image_id, _ = oci_archive([layer_a, layer_b], repo_tag, history=history)
    status, _, body = load(daemon, archive)
    assert status == 200, body
    status, _, body = api(daemon, "GET", f"/images/{repo_tag}/history")
    assert status == 200
    rows = json.loads(body)
    assert [r["CreatedBy"] for r in rows] == [h["created_by"] for h in reversed(history)]
    assert [r["Id"] for r in rows] == [image_id, "<missing>", "<missing>"]
    assert rows[0]["Tags"] == [repo_tag]
    assert rows[1]["Tags"] is None
    assert [r["Created"] for r in rows] == [1767225602, 1767225601, 1767225600]
    assert rows[1]["Size"] == 0
    assert rows[0]["Size"] >= 5000
    assert rows[2]["Size"] >= 3000
    assert rows[2]["Comment"] == "first"
    cli = docker("history", "--no-trunc", "--format", "{{.ID}}\t{{.CreatedBy}}",
                 repo_tag).stdout.splitlines()
    assert cli == [f"{image_id}\t/bin/sh -c echo b > /b",
                   '<missing>\t/bin/sh -c #(nop)  CMD ["/a"]',
                   "<missing>\t/bin/sh -c #(nop) ADD file:a in /"]


def test_history_missing_image(docker: DockerCLI, daemon: Daemon) -> None:
    missing = f"nosuch-{token()}"
    result = docker("history", missing, check=False)
    assert result.returncode == 1
    assert "No such image" in result.stderr
    status, _, body = api(daemon, "GET", f"/images/{missing}/history")
    assert status == 404
    assert json.loads(body) == {"message": f"No such image: {missing}:latest"}


def test_inspect_by_id_prefix_and_full_id(docker: DockerCLI) -> None:
    info = inspect(docker, "busybox")
    image_id = info["Id"]
    assert inspect(docker, image_id)["Id"] == image_id
    assert inspect(docker, image_id[7:])["Id"] == image_id
    assert inspect(docker, image_id[7:19])["Id"] == image_id
    assert inspect(docker, "docker.io/library/busybox:latest")["Id"] == image_id
    assert "busybox:latest" in info["RepoTags"]
    assert info["GraphDriver"]["Name"] == "overlay2"
    assert docker("image", "inspect", "-f", "{{.Config.Cmd}}", "busybox").stdout == "[sh]\n"


def test_inspect_missing_image(docker: DockerCLI, daemon: Daemon) -> None:
    missing = f"nosuch-{token()}"
    result = docker("image", "inspect", missing, check=False)
    assert result.returncode == 1
    assert "No such image" in result.stderr
    status, headers, body = api(daemon, "GET", f"/images/{missing}/json")
    assert status == 404
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body) == {"message": f"No such image: {missing}:latest"}
    status, _, body = api(daemon, "GET", f"/images/{missing}:1.0/json")
    assert status == 404
    assert json.loads(body) == {"message": f"No such image: {missing}:1.0"}


def test_inspect_invalid_reference_is_400(daemon: Daemon) -> None:
    # GetImage: reference.ParseAnyReference fails -> errdefs.InvalidParameter
    status, headers, body = api(daemon, "GET", "/images/Bad_Upper/json")
    assert status == 400
    assert headers["content-type"].startswith("application/json")
    assert "invalid reference format" in json.loads(body)["message"]


# save and load ---------------------------------------------------------------------------------

def test_save_load_round_trip_busybox(docker: DockerCLI, daemon: Daemon,
                                      tmp_path: Path) -> None:
    archive = tmp_path / "x.tar"
    before = inspect(docker, "busybox")
    docker("save", "busybox", "-o", str(archive))
    try:
        names = set(read_archive(archive))
        assert {"manifest.json", "index.json", "oci-layout"} <= names
        blobs = {n for n in names if n.startswith("blobs/sha256/")}
        assert f"blobs/sha256/{before['Id'][7:]}" in blobs
        for layer in before["RootFS"]["Layers"]:
            assert f"blobs/sha256/{layer[7:]}" in blobs
        files = read_archive(archive)
        for blob in blobs:
            assert digest(files[blob]) == "sha256:" + blob.rsplit("/", 1)[1]
        assert json.loads(files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
        index = json.loads(files["index.json"])
        assert index["schemaVersion"] == 2
        annotations = index["manifests"][0]["annotations"]
        assert annotations["io.containerd.image.name"] == "docker.io/library/busybox:latest"
        assert annotations["org.opencontainers.image.ref.name"] == "latest"
        manifest = json.loads(files["manifest.json"])
        assert manifest[0]["RepoTags"] == ["busybox:latest"]

        docker("rmi", "busybox")
        assert not exists(docker, before["Id"])
        out = docker("load", "-i", str(archive)).stdout
        assert out == "Loaded image: busybox:latest\n"
        after = inspect(docker, "busybox")
        assert after["Id"] == before["Id"]
        assert after["RootFS"] == before["RootFS"]
        assert after["Config"]["Cmd"] == ["sh"]
        assert docker("run", "--rm", "busybox", "echo", "ok").stdout == "ok\n"
    finally:
        if not exists(docker, "busybox"):
            docker("load", "-i", str(archive), check=False)
        if not exists(docker, "busybox"):
            docker("import", "--change", 'CMD ["sh"]', str(BUSYBOX_TAR), "busybox:latest")


def test_save_two_images_in_one_archive(docker: DockerCLI, cleanup: Cleanup,
                                        tmp_path: Path) -> None:
    tok = token()
    a_ref, b_ref = cleanup.image(f"pair-{tok}:a"), cleanup.image(f"pair-{tok}:b")
    a = do_import(docker, tmp_path, rootfs(tok + "a"), a_ref)
    b = do_import(docker, tmp_path, rootfs(tok + "b"), b_ref, "--change", "LABEL b=1")
    archive = tmp_path / "pair.tar"
    docker("save", "-o", str(archive), a_ref, b_ref)
    files = read_archive(archive)
    manifest = json.loads(files["manifest.json"])
    assert sorted(tuple(m["RepoTags"]) for m in manifest) == [(a_ref,), (b_ref,)]
    assert {digest(files[m["Config"]]) for m in manifest} == {a, b}
    index = json.loads(files["index.json"])
    names = sorted(m["annotations"]["io.containerd.image.name"] for m in index["manifests"])
    assert names == [f"docker.io/library/{a_ref}", f"docker.io/library/{b_ref}"]
    docker("rmi", a_ref, b_ref)
    out = docker("load", "-i", str(archive)).stdout.splitlines()
    assert sorted(out) == sorted([f"Loaded image: {a_ref}", f"Loaded image: {b_ref}"])
    assert inspect(docker, a_ref)["Id"] == a
    assert inspect(docker, b_ref)["Id"] == b
    assert inspect(docker, b_ref)["Config"]["Labels"] == {"b": "1"}


def test_save_by_id_has_no_repo_tags_and_loads_untagged(docker: DockerCLI, cleanup: Cleanup,
                                                        tmp_path: Path) -> None:
    tok = token()
    image_id = do_import(docker, tmp_path, rootfs(tok), cleanup.image(f"byid-{tok}"))
    archive = tmp_path / "byid.tar"
    docker("save", "-o", str(archive), image_id)
    manifest = json.loads(read_archive(archive)["manifest.json"])
    assert not manifest[0].get("RepoTags")
    docker("rmi", f"byid-{tok}")
    out = docker("load", "-i", str(archive)).stdout
    assert out == f"Loaded image ID: {image_id}\n"
    cleanup.image(image_id)
    assert inspect(docker, image_id)["RepoTags"] == []


def test_save_missing_image(docker: DockerCLI, tmp_path: Path) -> None:
    result = docker("save", "-o", str(tmp_path / "none.tar"), f"nosuch-{token()}", check=False)
    assert result.returncode == 1
    assert "No such image" in result.stderr


def test_load_from_stdin_with_docker_py(client: Any, docker: DockerCLI, cleanup: Cleanup,
                                        tmp_path: Path) -> None:
    tok = token()
    ref = cleanup.image(f"pyload-{tok}:v1")
    image_id = do_import(docker, tmp_path, rootfs(tok), ref)
    data = b"".join(client.images.get(ref).save(named=True))
    docker("rmi", ref)
    loaded = client.images.load(data)
    assert [i.id for i in loaded] == [image_id]
    assert client.images.get(ref).id == image_id


def test_load_oci_layout_with_gzip_layer(docker: DockerCLI, cleanup: Cleanup, tmp_path: Path,
                                         name: str) -> None:
    tok = token()
    repo_tag = cleanup.image(f"oci-{tok}:v1")
    layer = tar_bytes(directory("etc"), reg("etc/oci-token", tok.encode()),
                      reg("hello", b"#!/bin/sh\necho hi\n", 0o755))
    archive, image_id, diff_ids = oci_archive([layer], repo_tag, labels={"oci": tok})
    path = tmp_path / "oci.tar"
    path.write_bytes(archive)
    assert docker("load", "-i", str(path)).stdout == f"Loaded image: {repo_tag}\n"
    info = inspect(docker, repo_tag)
    assert info["Id"] == image_id
    assert info["RootFS"]["Layers"] == diff_ids
    assert info["Config"]["Labels"] == {"oci": tok}
    assert info["Config"]["Cmd"] == ["/hello"]
    assert info["Created"] == "2026-01-02T03:04:05Z"
    # the layer's content is what the container sees
    docker("create", "--name", cleanup.container(name), repo_tag)
    exported = docker("export", name, text=False).stdout
    with tarfile.open(fileobj=io.BytesIO(exported)) as tar:
        members = {m.name.removeprefix("./"): m for m in tar.getmembers()}
        member = tar.extractfile(members["etc/oci-token"])
        assert member is not None and member.read() == tok.encode()


def test_load_oci_layout_layer_shared_with_existing_image(docker: DockerCLI, cleanup: Cleanup,
                                                          tmp_path: Path) -> None:
    busybox_layer = BUSYBOX_TAR.read_bytes()
    repo_tag = cleanup.image(f"ocibb-{token()}:v1")
    archive, image_id, _ = oci_archive([busybox_layer], repo_tag, cmd=["echo", "shared"])
    path = tmp_path / "ocibb.tar"
    path.write_bytes(archive)
    assert docker("load", "-i", str(path)).stdout == f"Loaded image: {repo_tag}\n"
    assert inspect(docker, repo_tag)["Id"] == image_id
    assert docker("run", "--rm", repo_tag).stdout == "shared\n"
    docker("rmi", repo_tag)
    assert docker("run", "--rm", "busybox", "true").returncode == 0


def test_load_tag_replaces_an_existing_tag(docker: DockerCLI, cleanup: Cleanup,
                                           tmp_path: Path) -> None:
    tok = token()
    ref = cleanup.image(f"replace-{tok}:v1")
    old = do_import(docker, tmp_path, rootfs(tok + "old"), ref)
    cleanup.image(old)
    archive, new, _ = oci_archive([rootfs(tok + "new")], ref)
    path = tmp_path / "replace.tar"
    path.write_bytes(archive)
    out = docker("load", "-i", str(path)).stdout
    assert f"Loaded image: {ref}" in out
    assert inspect(docker, ref)["Id"] == new
    assert inspect(docker, old)["RepoTags"] == []


# prune -----------------------------------------------------------------------------------------

def test_image_prune_dangling_then_all(docker: DockerCLI, cleanup: Cleanup, tmp_path: Path,
                                       name: str) -> None:
    tok = token()
    dangling = cleanup.image(do_import(docker, tmp_path, rootfs(tok + "d"), None))
    unused = do_import(docker, tmp_path, rootfs(tok + "u"), cleanup.image(f"unused-{tok}"))
    used_ref = cleanup.image(f"used-{tok}")
    used = import_busybox(docker, cleanup, used_ref)
    docker("create", "--name", cleanup.container(name), used_ref, "true")
    busybox_keeper = cleanup.container(f"{name}-bb")
    docker("create", "--name", busybox_keeper, "busybox", "true")

    out = docker("image", "prune", "-f").stdout
    assert dangling in out
    assert "Total reclaimed space" in out
    assert not exists(docker, dangling)
    assert exists(docker, unused)
    assert exists(docker, used)

    out = docker("image", "prune", "-a", "-f").stdout
    assert unused in out
    assert f"untagged: unused-{tok}:latest" in out.lower()
    assert not exists(docker, unused)
    assert exists(docker, used)
    assert exists(docker, "busybox")


def test_image_prune_api(daemon: Daemon, docker: DockerCLI, cleanup: Cleanup,
                         tmp_path: Path) -> None:
    tok = token()
    keep = cleanup.image(do_import(docker, tmp_path, rootfs(tok + "k"), None))
    drop = cleanup.image(do_import(docker, tmp_path, rootfs(tok + "x"), None,
                                   "--change", f"LABEL prune.me={tok}"))
    filters = json.dumps({"label": [f"prune.me={tok}"]})
    from urllib.parse import quote

    status, _, body = api(daemon, "POST", f"/images/prune?filters={quote(filters)}")
    assert status == 200
    report = json.loads(body)
    assert report["ImagesDeleted"] == [{"Deleted": drop}]
    assert report["SpaceReclaimed"] > 0
    assert exists(docker, keep)
    status, _, body = api(daemon, "POST", "/images/prune?filters=" + quote('{"bogus":["1"]}'))
    assert status == 400
    assert json.loads(body)["message"] == "invalid filter 'bogus'"


# hostile archives ------------------------------------------------------------------------------

@pytest.fixture
def victim(cleanup: Cleanup) -> Path:
    """A directory outside the daemon's root that hostile archives try to reach."""
    path = Path(f"/tmp/skiff-victim-{token()}")
    path.mkdir(mode=0o700)
    (path / "victim").write_text("secret\n")
    cleanup.paths.append(path)
    return path


class Guard:
    """Snapshots what must not change around one hostile request."""

    def __init__(self, daemon: Daemon, tok: str, victim: Path) -> None:
        self.daemon = daemon
        self.tok = tok
        self.victim = victim
        self.images = image_list(daemon)
        self.tmp_entries = sorted(p.name for p in (daemon.data_root / "tmp").iterdir())
        self.passwd = Path("/etc/passwd").stat()

    def check(self) -> None:
        self.check_outside()
        self.check_images()

    def check_images(self) -> None:
        assert image_list(self.daemon) == self.images

    def check_outside(self) -> None:
        """Nothing was written, linked or chmod-ed outside the data root."""
        outside = [Path("/tmp"), Path("/"), Path("/etc"), self.daemon.root,
                   self.daemon.exec_root, self.victim]
        leaked = [str(p) for base in outside for p in base.glob(f"*{self.tok}*")
                  if p != self.victim]
        assert leaked == []
        assert sorted(p.name for p in self.victim.iterdir()) == ["victim"]
        assert (self.victim.stat().st_mode & 0o7777) == 0o700
        assert (self.victim / "victim").stat().st_nlink == 1
        passwd = Path("/etc/passwd").stat()
        assert passwd.st_nlink == self.passwd.st_nlink
        assert (passwd.st_mode, passwd.st_uid) == (self.passwd.st_mode, self.passwd.st_uid)
        inodes = {(s.st_dev, s.st_ino) for s in (passwd, (self.victim / "victim").stat())}
        for path in self.daemon.data_root.rglob("*"):
            st = path.lstat()
            assert (st.st_dev, st.st_ino) not in inodes, path
        assert sorted(p.name for p in (self.daemon.data_root / "tmp").iterdir()) == \
            self.tmp_entries


def assert_json_4xx(status: int, headers: dict[str, str], body: bytes) -> None:
    assert 400 <= status < 500, (status, body)
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body)["message"]


HOSTILE_LAYERS = {
    "dotdot": lambda tok, victim: [directory("etc"), reg(f"../evil-{tok}")],
    "deep-dotdot": lambda tok, victim: [reg(f"../../../../../../../../../tmp/evil-{tok}")],
    "absolute": lambda tok, victim: [reg(f"/tmp/evil-{tok}")],
    "absolute-victim": lambda tok, victim: [reg(f"{victim}/evil-{tok}")],
    "symlink-then-child": lambda tok, victim: [symlink("link", "/tmp"), reg(f"link/pwned-{tok}")],
    "symlink-to-victim-then-child": lambda tok, victim: [symlink("link", str(victim)),
                                                         reg(f"link/pwned-{tok}")],
    "relative-symlink-then-child": lambda tok, victim: [
        symlink("link", "../../../../../../../../../tmp"), reg(f"link/pwned-{tok}")],
    "hardlink-dotdot": lambda tok, victim: [hardlink("passwd", "../../etc/passwd")],
    "hardlink-deep-dotdot": lambda tok, victim: [
        hardlink("passwd", "../../../../../../../../../etc/passwd")],
    "hardlink-through-symlink": lambda tok, victim: [
        symlink("link", str(victim)), hardlink(f"stolen-{tok}", "link/victim")],
}


@pytest.mark.parametrize("case", list(HOSTILE_LAYERS))
def test_import_hostile_tar(daemon: Daemon, docker: DockerCLI, victim: Path,
                            cleanup: Cleanup, case: str) -> None:
    tok = token()
    guard = Guard(daemon, tok, victim)
    data = tar_bytes(*HOSTILE_LAYERS[case](tok, victim))
    try:
        status, headers, body = api(daemon, "POST",
                                    f"/images/create?fromSrc=-&repo=hostile-{tok}&tag=x", data)
        guard.check_outside()
        assert_json_4xx(status, headers, body)
        guard.check_images()
        result = docker("import", "-", f"hostile-{tok}:cli", input=data, text=False,
                        check=False)
        assert result.returncode != 0
        guard.check()
    finally:
        for line in image_list(daemon):
            if line not in guard.images:
                cleanup.image(line[0])
        for leftover in Path("/tmp").glob(f"*{tok}*"):
            if leftover.is_file():
                cleanup.paths.append(leftover)


def test_import_directory_replaces_earlier_symlink(daemon: Daemon, victim: Path,
                                                  cleanup: Cleanup) -> None:
    """Like dockerd, a directory entry replaces a symlink of the same name: no escape."""
    tok = token()
    guard = Guard(daemon, tok, victim)
    data = tar_bytes(symlink("link", str(victim)), directory("link", 0o755),
                     reg(f"link/pwned-{tok}"))
    try:
        status, _, body = api(daemon, "POST",
                              f"/images/create?fromSrc=-&repo=redeclared-{tok}&tag=x", data)
        guard.check_outside()
        assert status == 200, body
        assert not (victim / f"pwned-{tok}").exists()
    finally:
        for line in image_list(daemon):
            if line not in guard.images:
                cleanup.image(line[0])


def _layered_save(tok: str, layer: bytes, diff_id: str | None = None,
                  config_name: str | None = None, layer_name: str | None = None) -> bytes:
    config = json.dumps({"architecture": arch(), "os": "linux",
                         "config": {"Cmd": ["/x"]},
                         "rootfs": {"type": "layers", "diff_ids": [diff_id or digest(layer)]},
                         "history": [{"created_by": "test"}]}).encode()
    cfg = config_name or f"blobs/sha256/{digest(config)[7:]}"
    lay = layer_name or f"blobs/sha256/{digest(layer)[7:]}"
    files = {f"blobs/sha256/{digest(config)[7:]}": config,
             f"blobs/sha256/{digest(layer)[7:]}": layer}
    return save_archive([{"Config": cfg, "RepoTags": [f"hostile-{tok}:latest"],
                          "Layers": [lay]}], files)


def _hostile_loads() -> dict[str, Any]:
    cases: dict[str, Any] = {}
    for case, entries in HOSTILE_LAYERS.items():
        cases[f"layer-{case}"] = (
            lambda tok, victim, entries=entries: _layered_save(tok, tar_bytes(*entries(tok,
                                                                                  victim))))
    cases["manifest-config-dotdot"] = lambda tok, victim: _layered_save(
        tok, rootfs(tok), config_name="../x")
    cases["manifest-config-deep-dotdot"] = lambda tok, victim: _layered_save(
        tok, rootfs(tok), config_name="../../../../../../../../etc/passwd")
    cases["manifest-config-absolute"] = lambda tok, victim: _layered_save(
        tok, rootfs(tok), config_name="/etc/passwd")
    cases["manifest-layer-dotdot"] = lambda tok, victim: _layered_save(
        tok, rootfs(tok), layer_name="../x")
    cases["member-named-dotdot"] = lambda tok, victim: save_archive(
        [{"Config": "../x", "RepoTags": [f"hostile-{tok}:latest"], "Layers": []}],
        {"../x": json.dumps({"os": "linux", "rootfs": {"type": "layers",
                                                       "diff_ids": []}}).encode(),
         f"../evil-{tok}": b"x"})
    cases["member-symlink-escape"] = lambda tok, victim: save_archive(
        [{"Config": "cfg.json", "RepoTags": [f"hostile-{tok}:latest"], "Layers": []}], {},
        symlink("cfg.json", "../../../../../../etc/passwd"))
    cases["layer-digest-mismatch"] = lambda tok, victim: _layered_save(
        tok, rootfs(tok), diff_id=digest(b"something else"))
    cases["layer-count-mismatch"] = lambda tok, victim: save_archive(
        [{"Config": "c.json", "RepoTags": [f"hostile-{tok}:latest"], "Layers": []}],
        {"c.json": json.dumps({"os": "linux", "rootfs": {
            "type": "layers", "diff_ids": [digest(rootfs(tok))]}}).encode()})
    cases["oci-manifest-digest-dotdot"] = lambda tok, victim: tar_bytes(
        reg("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
        reg("index.json", json.dumps({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:../../../../../../etc/passwd", "size": 10}]}).encode()))
    cases["not-a-tar"] = lambda tok, victim: b"garbage " * 100
    cases["no-manifest"] = lambda tok, victim: tar_bytes(reg("hello", b"x"))
    return cases


HOSTILE_LOADS = _hostile_loads()


@pytest.mark.parametrize("case", list(HOSTILE_LOADS))
def test_load_hostile_archive(daemon: Daemon, docker: DockerCLI, victim: Path,
                              cleanup: Cleanup, case: str, tmp_path: Path) -> None:
    tok = token()
    guard = Guard(daemon, tok, victim)
    archive = HOSTILE_LOADS[case](tok, victim)
    try:
        status, headers, body = load(daemon, archive)
        guard.check_outside()
        assert_json_4xx(status, headers, body)
        guard.check_images()
        path = tmp_path / "hostile.tar"
        path.write_bytes(archive)
        result = docker("load", "-i", str(path), check=False)
        assert result.returncode != 0
        assert "Loaded image" not in result.stdout
        guard.check()
    finally:
        for line in image_list(daemon):
            if line not in guard.images:
                cleanup.image(line[0])
        for leftover in Path("/tmp").glob(f"*{tok}*"):
            if leftover.is_file():
                cleanup.paths.append(leftover)
