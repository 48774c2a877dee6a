"""COPY and ADD beyond the classic builder: --exclude, --parents, --link, ADD of URLs and of
Git repositories (served from a local HTTP server), --checksum."""

from __future__ import annotations

import hashlib
import subprocess
import time
from pathlib import Path

from tests.conftest import DockerCLI
from tests.integration.build.conftest import git, make_context


def _listing(docker: DockerCLI, image: str, path: str) -> list[str]:
    out = docker("run", "--rm", image, "find", path).stdout
    return sorted(out.split())


def test_copy_exclude_and_parents(docker: DockerCLI, tmp_path: Path, built: list[str]) -> None:
    dockerfile = ("FROM busybox\n"
                  "COPY --exclude=*.md --exclude=**/*.log app/ /plain/\n"
                  "COPY --parents x/a.txt y/a.txt /parents/\n"
                  "COPY --parents ./src/./deep/**/*.txt /pivot/\n")
    files = {"app/main.sh": "m", "app/README.md": "r", "app/sub/keep.txt": "k",
             "app/sub/debug.log": "d", "x/a.txt": "x", "y/a.txt": "y",
             "src/deep/one.txt": "1", "src/deep/more/two.txt": "2", "src/deep/skip.bin": "b"}
    context = make_context(tmp_path, dockerfile, files)
    built.append("built-copy-flags:1")
    docker("build", "-q", "-t", "built-copy-flags:1", str(context), timeout=120)
    assert _listing(docker, "built-copy-flags:1", "/plain") == [
        "/plain", "/plain/main.sh", "/plain/sub", "/plain/sub/keep.txt"]
    assert _listing(docker, "built-copy-flags:1", "/parents") == [
        "/parents", "/parents/x", "/parents/x/a.txt", "/parents/y", "/parents/y/a.txt"]
    assert _listing(docker, "built-copy-flags:1", "/pivot") == [
        "/pivot", "/pivot/deep", "/pivot/deep/more", "/pivot/deep/more/two.txt",
        "/pivot/deep/one.txt"]
    # an excluded file changing leaves the step cached
    (context / "app/README.md").write_text("changed")
    again = docker("build", "-t", "built-copy-flags:1", str(context), timeout=120).stdout
    assert again.count("Using cache") == 3


def test_copy_link_makes_a_layer_of_its_own(docker: DockerCLI, tmp_path: Path,
                                            built: list[str]) -> None:
    dockerfile = ("FROM busybox\nRUN mkdir -p /srv && ln -s /srv /link\n"
                  "COPY --link --chown=1000:1000 --chmod=640 conf.txt /etc/app/\n"
                  "COPY --link conf.txt /link/conf.txt\n")
    context = make_context(tmp_path, dockerfile, {"conf.txt": "c\n"})
    built.append("built-link:1")
    docker("build", "-q", "-t", "built-link:1", str(context), timeout=120)
    out = docker("run", "--rm", "built-link:1", "sh", "-c",
                 "stat -c '%u:%g %a' /etc/app/conf.txt; cat /etc/app/conf.txt; "
                 "ls -ld /link | cut -c1; test -e /srv/conf.txt && echo followed || "
                 "echo not-followed").stdout.split("\n")
    # --link never reads the image below: /link becomes a directory, not the symbolic link
    assert out[:4] == ["1000:1000 640", "c", "d", "not-followed"]
    layers = [h for h in docker("history", "--format", "{{.Size}}",
                                "built-link:1").stdout.split() if h != "0B"]
    assert len(layers) >= 3


def test_copy_link_layer_is_the_same_when_the_image_below_changes(
        docker: DockerCLI, tmp_path: Path, built: list[str]) -> None:
    dockerfile = ("FROM busybox\nARG BELOW\nRUN echo $BELOW > /below\n"
                  "COPY --link app/ /srv/app/\n")
    context = make_context(tmp_path, dockerfile, {"app/main.sh": "echo hi\n",
                                                  "app/lib/util.sh": "true\n"})
    built += ["built-rebase:1", "built-rebase:2"]

    def last_layer(tag: str, below: str) -> str:
        docker("build", "-q", "--build-arg", f"BELOW={below}", "-t", tag, str(context),
               timeout=120)
        layers = docker("image", "inspect", "--format", "{{json .RootFS.Layers}}",
                        tag).stdout
        return layers.strip().strip("[]").split(",")[-1]

    first = last_layer("built-rebase:1", "one")
    time.sleep(1.1)  # the directories it makes are made in another second
    second = last_layer("built-rebase:2", "two")  # the RUN reran: the linked copy's parent
    # changed, and its layer is the same one, byte for byte (so it is stored and pushed once)
    assert first == second
    assert docker("run", "--rm", "built-rebase:2", "sh", "-c",
                  "cat /below /srv/app/main.sh").stdout == "two\necho hi\n"
    (context / "app/main.sh").write_text("echo changed\n")
    assert last_layer("built-rebase:2", "three") != first  # what it copies changed


def test_add_from_urls_with_checksum_and_unpack(docker: DockerCLI, tmp_path: Path,
                                                built: list[str],
                                                served: tuple[Path, str]) -> None:
    www, url = served
    (www / "data.txt").write_text("downloaded\n")
    bundle = tmp_path / "bundle"
    (bundle / "inner").mkdir(parents=True)
    (bundle / "inner/file.txt").write_text("from the tar\n")
    subprocess.run(["tar", "-czf", str(www / "bundle.tar.gz"), "-C", str(bundle), "inner"],
                   check=True, timeout=30)
    digest = hashlib.sha256(b"downloaded\n").hexdigest()
    dockerfile = ("FROM busybox\n"
                  f"ADD --checksum=sha256:{digest} {url}/data.txt /fetched/\n"
                  f"ADD {url}/data.txt /renamed.txt\n"
                  f"ADD {url}/bundle.tar.gz /kept/\n"
                  f"ADD --unpack=true {url}/bundle.tar.gz /unpacked/\n")
    context = make_context(tmp_path / "ctx", dockerfile)
    built.append("built-add-url:1")
    docker("build", "-q", "-t", "built-add-url:1", str(context), timeout=120)
    out = docker("run", "--rm", "built-add-url:1", "sh", "-c",
                 "stat -c %a /fetched/data.txt; cat /renamed.txt; ls /kept; "
                 "cat /unpacked/inner/file.txt").stdout.split("\n")
    assert out[:4] == ["600", "downloaded", "bundle.tar.gz", "from the tar"]
    bad = make_context(tmp_path / "bad", f"FROM busybox\nADD --checksum=sha256:{'0' * 64} "
                                         f"{url}/data.txt /x\n")
    failed = docker("build", str(bad), check=False, timeout=60)
    assert failed.returncode != 0 and "digest mismatch" in failed.stderr
    missing = make_context(tmp_path / "missing", f"FROM busybox\nADD {url}/absent.txt /x\n")
    failed = docker("build", str(missing), check=False, timeout=60)
    assert failed.returncode != 0 and "status 404" in failed.stderr


def test_add_from_a_git_repository(docker: DockerCLI, tmp_path: Path, built: list[str],
                                   served: tuple[Path, str]) -> None:
    www, url = served
    work = tmp_path / "work"
    (work / "docs").mkdir(parents=True)
    (work / "docs/guide.md").write_text("guide\n")
    (work / "run.sh").write_text("echo run\n")
    (work / "run.sh").chmod(0o775)
    git("init", "-q", "-b", "main", cwd=work)
    git("add", ".", cwd=work)
    git("commit", "-q", "-m", "one", cwd=work)
    git("tag", "v1", cwd=work)
    commit = git("rev-parse", "HEAD", cwd=work)
    git("clone", "-q", "--bare", str(work), str(www / "repo.git"), cwd=tmp_path)
    git("update-server-info", cwd=www / "repo.git")  # plain HTTP serving, as a dumb server
    dockerfile = ("FROM busybox\n"
                  f"ADD {url}/repo.git /whole/\n"
                  f"ADD --checksum={commit[:10]} {url}/repo.git#v1:docs /docs\n")
    context = make_context(tmp_path / "ctx", dockerfile)
    built.append("built-add-git:1")
    docker("build", "-q", "-t", "built-add-git:1", str(context), timeout=120)
    out = docker("run", "--rm", "built-add-git:1", "sh", "-c",
                 "ls -a /whole; stat -c %a /whole/run.sh; cat /docs/guide.md").stdout.split()
    assert out == [".", "..", "docs", "run.sh", "755", "guide"]
    wrong = make_context(tmp_path / "wrong", f"FROM busybox\nADD {url}/repo.git#nosuchref /x\n")
    failed = docker("build", str(wrong), check=False, timeout=60)
    assert failed.returncode != 0 and "git clone" in failed.stderr
