"""ps filters, logs options, diff, export, prune and events for containers."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import secrets
import subprocess
import tarfile
import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import DockerCLI, inspect

pytestmark = pytest.mark.timeout(120)




def unique(prefix: str = "t") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


# --- ps ------------------------------------------------------------------------------------


@dataclass
class Group:
    label: str
    exited0: str
    exited3: str
    running: str
    created: str
    ids: dict[str, str]


@pytest.fixture
def group(docker: DockerCLI, cleanup: list[str]) -> Group:
    """Four containers sharing a unique label, created in this order."""
    label = f"group={secrets.token_hex(4)}"
    names = [unique("ps0"), unique("ps3"), unique("psrun"), unique("pscreated")]
    cleanup.extend(names)
    docker("run", "--name", names[0], "-l", label, "busybox", "true")
    docker("run", "--name", names[1], "-l", label, "busybox", "sh", "-c", "exit 3", check=False)
    docker("run", "-d", "--name", names[2], "-l", label, "-l", "role=server", "busybox",
           "sleep", "60")
    docker("create", "--name", names[3], "-l", label, "busybox")
    ids = {n: inspect(docker, n)["Id"] for n in names}
    return Group(label, names[0], names[1], names[2], names[3], ids)


def ps_names(docker: DockerCLI, group: Group, *args: str) -> list[str]:
    out = docker("ps", "--filter", f"label={group.label}", "--format", "{{.Names}}", *args)
    return out.stdout.split()


def test_ps_default_shows_only_running(docker: DockerCLI, group: Group) -> None:
    assert ps_names(docker, group) == [group.running]
    assert ps_names(docker, group, "-a") == [group.created, group.running, group.exited3,
                                             group.exited0]


def test_ps_filter_status_and_exited(docker: DockerCLI, group: Group) -> None:
    assert ps_names(docker, group, "-a", "--filter", "status=exited") == [group.exited3,
                                                                          group.exited0]
    assert ps_names(docker, group, "--filter", "status=exited") == [group.exited3,
                                                                    group.exited0]
    assert ps_names(docker, group, "-a", "--filter", "status=running") == [group.running]
    assert ps_names(docker, group, "-a", "--filter", "status=created") == [group.created]
    assert ps_names(docker, group, "-a", "--filter", "exited=3") == [group.exited3]
    assert ps_names(docker, group, "-a", "--filter", "exited=0") == [group.exited0]
    # Several values of one filter are ORed.
    assert ps_names(docker, group, "-a", "--filter", "status=created",
                    "--filter", "status=running") == [group.created, group.running]


def test_ps_filter_label_name_id_ancestor(docker: DockerCLI, group: Group) -> None:
    assert ps_names(docker, group, "-a", "--filter", "label=role=server") == [group.running]
    assert ps_names(docker, group, "-a", "--filter", "label=role") == [group.running]
    assert ps_names(docker, group, "-a", "--filter", f"name={group.exited3}") == [group.exited3]
    # name matches a substring / regexp.
    assert ps_names(docker, group, "-a", "--filter", "name=psrun") == [group.running]
    assert ps_names(docker, group, "-a", "--filter", f"id={group.ids[group.exited0][:10]}") == \
        [group.exited0]
    assert len(ps_names(docker, group, "-a", "--filter", "ancestor=busybox")) == 4
    assert len(ps_names(docker, group, "-a", "--filter", "ancestor=busybox:latest")) == 4


def test_ps_filter_before_since(docker: DockerCLI, group: Group) -> None:
    assert ps_names(docker, group, "-a", "--filter", f"before={group.running}") == [
        group.exited3, group.exited0]
    assert ps_names(docker, group, "-a", "--filter", f"since={group.exited3}") == [
        group.created, group.running]
    assert ps_names(docker, group, "-a", "--filter", f"since={group.ids[group.exited0]}",
                    "--filter", f"before={group.created}") == [group.running, group.exited3]


def test_ps_last_n_quiet_and_size(docker: DockerCLI, group: Group) -> None:
    assert ps_names(docker, group, "-n", "2") == [group.created, group.running]
    quiet = docker("ps", "-aq", "--filter", f"label={group.label}").stdout.split()
    assert quiet == [group.ids[n][:12] for n in (group.created, group.running, group.exited3,
                                                  group.exited0)]
    sized = docker("ps", "-s", "--filter", f"name={group.running}").stdout.splitlines()
    assert sized[0].split()[-1] == "SIZE"
    assert re.search(r"\d+(\.\d+)?[kMG]?B \(virtual \d+(\.\d+)?[kMG]?B\)", sized[1]), sized
    info = json.loads(docker("ps", "-s", "--filter", f"name={group.running}", "--format",
                             "json").stdout)
    assert re.fullmatch(r"\d+(\.\d+)?[kMG]?B \(virtual .+\)", info["Size"]), info


def test_ps_shows_status_and_command(docker: DockerCLI, group: Group) -> None:
    rows = {}
    for line in docker("ps", "-a", "--no-trunc", "--filter", f"label={group.label}",
                       "--format", "{{.Names}}|{{.Status}}|{{.Command}}|{{.Image}}"
                       ).stdout.splitlines():
        n, status, command, image = line.split("|")
        rows[n] = (status, command, image)
    assert rows[group.exited3][0].startswith("Exited (3) ")
    assert rows[group.exited0][0].startswith("Exited (0) ")
    assert rows[group.running][0].startswith("Up ")
    assert rows[group.created][0] == "Created"
    assert rows[group.running][1] == '"sleep 60"'
    assert {r[2] for r in rows.values()} == {"busybox"}


# --- logs ----------------------------------------------------------------------------------


def test_logs_tail_and_timestamps(docker: DockerCLI, name: str, cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "--name", name, "busybox", "sh", "-c", "for i in 1 2 3 4 5; do echo l$i; done")
    assert docker("logs", name).stdout == "l1\nl2\nl3\nl4\nl5\n"
    assert docker("logs", "--tail", "2", name).stdout == "l4\nl5\n"
    assert docker("logs", "--tail", "0", name).stdout == ""
    assert docker("logs", "--tail", "all", name).stdout == "l1\nl2\nl3\nl4\nl5\n"
    stamped = docker("logs", "-t", name).stdout.splitlines()
    assert len(stamped) == 5
    for i, line in enumerate(stamped, 1):
        assert re.fullmatch(rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{9}}Z l{i}", line), line


def _unix(stamp: str) -> float:
    """RFC 3339 with nanoseconds → seconds since the epoch (float)."""
    whole, frac = stamp.rstrip("Z").split(".")
    base = dt.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)
    return base.timestamp() + float("0." + frac)


def test_logs_since_until(docker: DockerCLI, name: str, cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "--name", name, "busybox", "sh", "-c", "echo early; sleep 1.2; echo late")
    stamped: dict[str, str] = {}
    for line in docker("logs", "-t", name).stdout.splitlines():
        stamp, text = line.split(" ", 1)
        stamped[text] = stamp
    early, late = _unix(stamped["early"]), _unix(stamped["late"])
    assert late - early >= 1
    middle = f"{(early + late) / 2:.3f}"
    assert docker("logs", "--since", middle, name).stdout == "late\n"
    assert docker("logs", "--until", middle, name).stdout == "early\n"
    assert docker("logs", "--since", f"{early - 5:.3f}", name).stdout == "early\nlate\n"
    assert docker("logs", "--since", f"{late + 5:.3f}", name).stdout == ""


def test_logs_stdout_stderr_separation(docker: DockerCLI, client: Any, name: str,
                                       cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "--name", name, "busybox", "sh", "-c",
           "echo out1; echo err1 >&2; echo out2; echo err2 >&2")
    container = client.containers.get(name)
    assert container.logs(stdout=True, stderr=False) == b"out1\nout2\n"
    assert container.logs(stdout=False, stderr=True) == b"err1\nerr2\n"
    both = container.logs(stdout=True, stderr=True)
    assert sorted(both.splitlines()) == [b"err1", b"err2", b"out1", b"out2"]
    cli = docker("logs", name)
    assert cli.stdout == "out1\nout2\n"
    assert cli.stderr == "err1\nerr2\n"


def test_logs_follow_ends_when_container_exits(docker: DockerCLI, name: str,
                                               cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "-d", "--name", name, "busybox", "sh", "-c",
           "echo a; sleep 0.5; echo b; sleep 0.5; echo c")
    started = time.monotonic()
    result = docker("logs", "-f", name, timeout=20)
    assert result.stdout == "a\nb\nc\n"
    assert time.monotonic() - started < 10
    assert inspect(docker, name)["State"]["Status"] == "exited"


def test_logs_follow_of_exited_container_returns(docker: DockerCLI, name: str,
                                                 cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "--name", name, "busybox", "echo", "done")
    assert docker("logs", "-f", name, timeout=10).stdout == "done\n"


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_logs_follow_streams_new_lines(collect_streams: None, client: Any, docker: DockerCLI,
                                       name: str, cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "-d", "--name", name, "busybox", "sh", "-c",
           "i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done")
    stream = client.containers.get(name).logs(stream=True, follow=True, tail=0)
    got: list[bytes] = []

    def reader() -> None:
        for chunk in stream:
            got.append(chunk)
            if len(b"".join(got).split()) >= 10:
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    thread.join(10)
    stream.close()
    numbers = [int(n) for n in b"".join(got).split()]
    assert len(numbers) >= 10, f"the follow stream ended early: {got!r}"
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))


# --- diff / export / prune -------------------------------------------------------------------


def test_diff_reports_added_changed_deleted(docker: DockerCLI, name: str,
                                            cleanup: list[str]) -> None:
    cleanup.append(name)
    docker("run", "--name", name, "busybox", "sh", "-c",
           "touch /newfile; rm /etc/group; echo x >> /etc/passwd; mkdir -p /root/d")
    changes = docker("diff", name).stdout.splitlines()
    for expected in ("C /etc", "D /etc/group", "C /etc/passwd", "A /newfile", "C /root",
                     "A /root/d"):
        assert expected in changes, changes
    assert changes == sorted(changes, key=lambda c: c[2:])


def test_diff_excludes_engine_managed_files(docker: DockerCLI, name: str,
                                            cleanup: list[str]) -> None:
    """/etc/hosts, /etc/resolv.conf, /etc/hostname are the engine's, not the container's."""
    cleanup.append(name)
    docker("run", "--name", name, "busybox", "true")
    assert docker("diff", name).stdout == ""


def _export(docker: DockerCLI, name: str) -> tarfile.TarFile:
    docker("run", "--name", name, "busybox", "sh", "-c", "echo data > /exported")
    raw: bytes = docker("export", name, text=False).stdout  # type: ignore[assignment]
    return tarfile.open(fileobj=io.BytesIO(raw))


def test_export_contains_filesystem(docker: DockerCLI, name: str,
                                    cleanup: list[str]) -> None:
    cleanup.append(name)
    with _export(docker, name) as tar:
        members = {m.name.removeprefix("./").rstrip("/"): m for m in tar.getmembers()}
        assert "bin/busybox" in members
        assert "etc/passwd" in members
        member = tar.extractfile(members["exported"])
        assert member is not None and member.read() == b"data\n"


def test_export_member_names_are_relative(docker: DockerCLI, name: str,
                                          cleanup: list[str]) -> None:
    """Docker's export names members "bin/busybox", without a "./" prefix."""
    cleanup.append(name)
    with _export(docker, name) as tar:
        names = tar.getnames()
    assert "bin/busybox" in names
    assert "exported" in names
    assert not [n for n in names if n.startswith("./") or n.startswith("/")]


def test_container_prune(docker: DockerCLI, cleanup: list[str]) -> None:
    label = f"prune={secrets.token_hex(4)}"
    stopped = [unique(), unique()]
    running = unique()
    keep = unique()
    cleanup.extend([*stopped, running, keep])
    ids = []
    for n in stopped:
        docker("run", "--name", n, "-l", label, "busybox", "true")
        ids.append(inspect(docker, n)["Id"])
    docker("run", "-d", "--name", running, "-l", label, "busybox", "sleep", "60")
    docker("run", "--name", keep, "busybox", "true")
    out = docker("container", "prune", "-f", "--filter", f"label={label}").stdout
    assert out.startswith("Deleted Containers:\n")
    assert sorted(re.findall(r"^[0-9a-f]{64}$", out, re.M)) == sorted(ids)
    assert "Total reclaimed space:" in out
    remaining = docker("ps", "-a", "--format", "{{.Names}}").stdout.split()
    assert running in remaining
    assert keep in remaining
    assert not set(stopped) & set(remaining)
    again = docker("container", "prune", "-f", "--filter", f"label={label}").stdout
    assert "Deleted Containers" not in again
    assert "Total reclaimed space: 0B" in again


# --- events --------------------------------------------------------------------------------


def test_events_since_until(docker: DockerCLI, name: str) -> None:
    since = f"{time.time() - 1:.3f}"
    docker("run", "-d", "--name", name, "busybox", "true")
    docker("wait", name)
    docker("rm", name)
    until = f"{time.time() + 0.5:.3f}"
    out = docker("events", "--since", since, "--until", until, "--filter", f"container={name}",
                 "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}",
                 timeout=20).stdout.splitlines()
    container_events = [line for line in out if line.startswith("container ")]
    assert container_events == [f"container {a} {name}" for a in
                                ("create", "start", "die", "destroy")]
    as_json = docker("events", "--since", since, "--until", until, "--filter",
                     f"container={name}", "--filter", "event=die", "--format", "{{json .}}",
                     timeout=20).stdout.splitlines()
    assert len(as_json) == 1
    die = json.loads(as_json[0])
    assert die["Type"] == "container"
    assert die["Action"] == "die"
    assert die["Actor"]["Attributes"]["exitCode"] == "0"
    assert die["Actor"]["Attributes"]["image"] == "busybox"
    assert len(die["Actor"]["ID"]) == 64
    assert die["time"] >= int(float(since))
    assert isinstance(die["timeNano"], int)


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_events_stream_sees_start(collect_streams: None, client: Any, docker: DockerCLI,
                                  name: str, cleanup: list[str]) -> None:
    cleanup.append(name)
    cid = docker("create", "--name", name, "busybox", "true").stdout.strip()
    events = client.events(decode=True, filters={"container": name, "type": "container"})
    seen: list[dict[str, Any]] = []

    def reader() -> None:
        for event in events:
            seen.append(event)
            if event.get("Action") == "start":
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        time.sleep(0.2)
        docker("start", name)
        thread.join(10)
    finally:
        events.close()
    starts = [e for e in seen if e.get("Action") == "start"]
    assert starts, seen
    assert starts[0]["Type"] == "container"
    assert starts[0]["Actor"]["ID"] == cid
    assert starts[0]["id"] == cid
    assert starts[0]["status"] == "start"
    assert starts[0]["Actor"]["Attributes"]["name"] == name


def test_events_cli_follow(daemon: Any, docker: DockerCLI, name: str,
                           cleanup: list[str]) -> None:
    """`docker events` without --until streams live events until interrupted."""
    import os

    from tests.conftest import DOCKER

    cleanup.append(name)
    env = {**os.environ, "DOCKER_HOST": daemon.host}
    proc = subprocess.Popen([DOCKER, "events", "--filter", f"container={name}", "--format",
                             "{{.Action}}"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        time.sleep(0.3)
        docker("run", "--name", name, "busybox", "true")
        lines: list[str] = []
        assert proc.stdout is not None
        deadline = time.monotonic() + 10
        while "die" not in lines and time.monotonic() < deadline:
            lines.append(proc.stdout.readline().strip())
    finally:
        proc.terminate()
        proc.wait(5)
        if proc.stdout:
            proc.stdout.close()
    assert [a for a in lines if a in ("create", "start", "die")] == ["create", "start", "die"]


def test_events_foreground_run_emits_attach(docker: DockerCLI, name: str) -> None:
    """`docker run` (attached) makes the daemon log an `attach` event between create/start."""
    since = f"{time.time() - 1:.3f}"
    docker("run", "--rm", "--name", name, "busybox", "true")
    until = f"{time.time() + 0.3:.3f}"
    out = docker("events", "--since", since, "--until", until, "--filter", f"container={name}",
                 "--filter", "type=container", "--format", "{{.Action}}",
                 timeout=20).stdout.split()
    assert out == ["create", "attach", "start", "die", "destroy"]


def test_logs_keep_every_line_of_a_large_output(docker: DockerCLI, name: str,
                                                cleanup: list[str]) -> None:
    """A fast writer crosses many journal rotations; not one line may go missing."""
    cleanup.append(name)
    line = "x" * 79
    count = 1_000_000
    docker("run", "--name", name, "busybox", "sh", "-c",
           f"yes {line} | head -n {count}; printf last")  # ends with an unfinished line
    out = docker("logs", name, timeout=120).stdout
    lines = out.split("\n")
    assert lines.pop() == "last"
    assert len(lines) == count, f"{count - len(lines)} lines missing"
    assert set(lines) == {line}
