"""skiff build's own output (BuildKit-style plain progress, --explain), the build cache
(builder prune, cache mounts exported and imported), remote contexts and cancelling a build."""

from __future__ import annotations

import io
import json
import re
import subprocess
import tarfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.conftest import Daemon, DockerCLI, UnixHTTPConnection
from tests.integration.build.conftest import git, make_context
from tests.integration.test_cli import SkiffCLI


def test_plain_progress_shows_steps_their_output_and_cached_ones(
        skiff: SkiffCLI, tmp_path: Path, built: list[str]) -> None:
    dockerfile = ("FROM busybox AS one\nRUN echo from-one && sleep 1\n"
                  "FROM busybox AS two\nRUN echo from-two && sleep 1\n"
                  "FROM busybox\nCOPY --from=one /etc/hostname /one\n"
                  "COPY --from=two /etc/hostname /two\n")
    context = make_context(tmp_path, dockerfile)
    built.append("built-progress:1")
    first = skiff("build", "--progress=plain", "-t", "built-progress:1", str(context),
                  timeout=120).stdout
    assert re.search(r"^#\d+ \[one 2/2\] RUN echo from-one && sleep 1$", first, re.M)
    assert re.search(r"^#\d+ \d+\.\d{3} from-two$", first, re.M)
    assert re.search(r"^#\d+ DONE \d+\.\d+s$", first, re.M)
    assert "naming to built-progress:1" in first
    second = skiff("build", "--progress=plain", "-t", "built-progress:1", str(context),
                   timeout=120).stdout
    assert second.count("CACHED") == 4
    assert not re.search(r"^#\d+ \d+\.\d{3} from-one$", second, re.M)  # nothing ran


def test_explain_names_the_input_that_changed(skiff: SkiffCLI, tmp_path: Path,
                                              built: list[str]) -> None:
    dockerfile = ("FROM busybox\nARG MODE=dev\nWORKDIR /app\nCOPY package.json lib.js ./\n"
                  "RUN cat package.json > /seen\n")
    context = make_context(tmp_path, dockerfile, {"package.json": "{}", "lib.js": "x"})
    built.append("built-explain:1")
    skiff("build", "-q", "-t", "built-explain:1", str(context), timeout=120)
    (context / "package.json").write_text('{"name": "changed"}')
    out = skiff("build", "--explain", "-t", "built-explain:1", str(context),
                timeout=120).stdout
    explanation = out[out.index("Cache explanation:"):]
    assert re.search(r"ARG MODE=dev CACHED", explanation)
    assert re.search(r"COPY package.json lib.js ./ missed: package.json changed$",
                     explanation, re.M)
    assert re.search(r"RUN cat package.json > /seen missed: the step before it changed$",
                     explanation, re.M)
    out = skiff("build", "--explain", "--build-arg", "MODE=prod", "-t", "built-explain:1",
                str(context), timeout=120).stdout
    assert "ARG MODE=dev missed: build argument MODE changed: 'dev' -> 'prod'" in out


def test_cache_mounts_are_exported_imported_and_pruned(
        skiff: SkiffCLI, docker: DockerCLI, tmp_path: Path, built: list[str]) -> None:
    dockerfile = ("FROM busybox\nARG ROUND\n"
                  "RUN --mount=type=cache,id=skiff-carried,target=/cache "
                  "echo $ROUND >> /cache/log && cat /cache/log > /seen\n"
                  "CMD [\"cat\", \"/seen\"]\n")
    context = make_context(tmp_path, dockerfile)
    built.append("built-carried:1")
    skiff("build", "-q", "--build-arg", "ROUND=one", "-t", "built-carried:1", str(context),
          timeout=120)
    listing = skiff("builder", "cache", "ls").stdout
    assert re.search(r"^skiff-carried\s+\d", listing, re.M)
    exported = tmp_path / "cache.tar"
    skiff("builder", "cache", "export", "-o", str(exported), "skiff-carried")
    with tarfile.open(exported) as tar:
        assert tar.extractfile("log").read() == b"one\n"  # type: ignore[union-attr]
    pruned = skiff("builder", "prune", "-f").stdout
    assert "skiff-carried" in pruned and "Total:" in pruned
    assert "skiff-carried" not in skiff("builder", "cache", "ls").stdout
    skiff("builder", "cache", "import", "-i", str(exported), "skiff-carried")
    skiff("build", "-q", "--build-arg", "ROUND=two", "-t", "built-carried:1", str(context),
          timeout=120)
    assert docker("run", "--rm", "built-carried:1").stdout == "one\ntwo\n"
    hostile = tmp_path / "hostile.tar"
    with tarfile.open(hostile, "w") as tar:
        info = tarfile.TarInfo("../escape")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    failed = skiff("builder", "cache", "import", "-i", str(hostile), "skiff-carried",
                   check=False)
    assert failed.returncode != 0 and failed.stderr.count("\n") == 1
    assert docker("builder", "prune", "-f").returncode == 0  # the docker CLI's own call
    assert "skiff-carried" not in skiff("builder", "cache", "ls").stdout


def test_builder_prune_filters_by_type_age_and_id(
        skiff: SkiffCLI, docker: DockerCLI, tmp_path: Path, built: list[str]) -> None:
    dockerfile = ("FROM busybox\nARG ROUND\n"
                  "RUN --mount=type=cache,id=skiff-aged,target=/cache echo $ROUND > /seen\n")
    context = make_context(tmp_path, dockerfile)
    skiff("build", "-q", "--build-arg", "ROUND=one", str(context), timeout=120)
    roomy = docker("builder", "prune", "-f", "--keep-storage", "1g").stdout
    assert "skiff-aged" not in roomy  # the cache fits in the space kept
    kept = docker("builder", "prune", "-f", "--filter", "until=1h").stdout
    assert "skiff-aged" not in kept  # used a moment ago
    assert "skiff-aged" in skiff("builder", "cache", "ls").stdout
    bad = docker("builder", "prune", "-f", "--filter", "type=layers", check=False)
    assert bad.returncode != 0 and "invalid filter 'type=layers'" in bad.stderr
    bad = docker("builder", "prune", "-f", "--filter", "colour=red", check=False)
    assert bad.returncode != 0 and "invalid filter 'colour'" in bad.stderr
    only_mounts = docker("builder", "prune", "-f", "--filter", "type=exec.cachemount").stdout
    assert "skiff-aged" in only_mounts and "sha256:" not in only_mounts
    assert "skiff-aged" not in skiff("builder", "cache", "ls").stdout
    skiff("build", "-q", "--build-arg", "ROUND=two", str(context), timeout=120)
    steps = docker("builder", "prune", "-f", "--filter", "type=regular").stdout
    assert "sha256:" in steps and "skiff-aged" not in steps
    assert "skiff-aged" in skiff("builder", "cache", "ls").stdout
    gone = docker("builder", "prune", "-f", "--filter", "id=skiff-aged").stdout
    assert "skiff-aged" in gone


def test_remote_contexts(skiff: SkiffCLI, docker: DockerCLI, tmp_path: Path, built: list[str],
                         served: tuple[Path, str]) -> None:
    www, url = served
    source = make_context(tmp_path / "src", "FROM busybox\nCOPY hello.txt /\n"
                                            "CMD [\"cat\", \"/hello.txt\"]\n",
                          {"hello.txt": "from a remote context\n"})
    subprocess.run(["tar", "-czf", str(www / "context.tar.gz"), "-C", str(source), "."],
                   check=True, timeout=30)
    (www / "Dockerfile").write_text("FROM busybox\nCMD [\"echo\", \"dockerfile only\"]\n")
    built += ["built-remote:tar", "built-remote:file", "built-remote:git"]
    docker("build", "-q", "-t", "built-remote:tar", f"{url}/context.tar.gz", timeout=120)
    assert docker("run", "--rm", "built-remote:tar").stdout == "from a remote context\n"
    skiff("build", "-q", "-t", "built-remote:file", f"{url}/Dockerfile", timeout=120)
    assert docker("run", "--rm", "built-remote:file").stdout == "dockerfile only\n"
    git("init", "-q", "-b", "main", cwd=source)
    git("add", ".", cwd=source)
    git("commit", "-q", "-m", "one", cwd=source)
    git("clone", "-q", "--bare", str(source), str(www / "app.git"), cwd=tmp_path)
    git("update-server-info", cwd=www / "app.git")
    skiff("build", "-q", "-t", "built-remote:git", f"{url}/app.git#main", timeout=120)
    assert docker("run", "--rm", "built-remote:git").stdout == "from a remote context\n"
    failed = skiff("build", f"{url}/nothing-here.tar", check=False, timeout=60)
    assert failed.returncode != 0 and "status 404" in failed.stderr


def _post_build(daemon: Daemon, query: str, body: bytes) -> list[dict[str, Any]]:
    connection = UnixHTTPConnection(daemon.host.removeprefix("unix://"), timeout=60)
    connection.request("POST", f"/v1.43/build?{query}", body,
                       {"Content-Type": "application/x-tar"})
    try:
        lines = connection.getresponse().read().decode().splitlines()
    finally:
        connection.close()
    return [json.loads(line) for line in lines if line.strip()]


def _cancel(daemon: Daemon, build_id: str) -> int:
    connection = UnixHTTPConnection(daemon.host.removeprefix("unix://"), timeout=10)
    try:
        connection.request("POST", f"/v1.43/build/cancel?id={build_id}")
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_a_build_is_cancelled_by_its_id(daemon: Daemon, docker: DockerCLI) -> None:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        text = b"FROM busybox\nRUN sleep 30\n"
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
    messages: list[dict[str, Any]] = []
    worker = threading.Thread(target=lambda: messages.extend(
        _post_build(daemon, "buildid=skiff-test-cancel", data.getvalue())))
    started = time.monotonic()
    worker.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # until its step container runs
        if docker("ps", "-aq").stdout.strip():
            break
        time.sleep(0.2)
    assert _cancel(daemon, "skiff-test-cancel") == 200
    worker.join(timeout=30)
    assert not worker.is_alive() and time.monotonic() - started < 25
    assert any("cancelled" in str(m.get("error", "")) for m in messages)
    assert docker("ps", "-aq").stdout.strip() == ""
    assert _cancel(daemon, "no-such-build") == 404
