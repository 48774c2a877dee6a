"""Flag parsing for create/run, references, time arguments, hosts, parser errors."""

from __future__ import annotations

import argparse
import io
from typing import Any

import pytest

from skiff.cli import containerspec, opts, reference
from skiff.cli.errors import UsageError
from skiff.cli.main import build_parser, run
from skiff.cli.parser import check_args
from skiff.cli.session import Session
from skiff.cli.timearg import timestamp_arg
from skiff.client.api import negotiated
from skiff.client.hosts import DEFAULT_HOST, Host, resolve


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def body(*argv: str, detach: bool = False) -> dict[str, Any]:
    args = parse("run", *argv)
    return containerspec.build(args, detach or args.detach, None, for_run=True).body


def test_run_keeps_the_command_after_the_image() -> None:
    args = parse("run", "--rm", "-e", "A=1", "busybox", "sh", "-c", "echo --rm -e")
    assert args.image == "busybox"
    assert args.command == ["sh", "-c", "echo --rm -e"]
    assert args.rm and args.env == ["A=1"]


def test_combined_short_flags_and_bool_values() -> None:
    args = parse("run", "-it", "--rm=false", "--init=true", "busybox")
    assert args.interactive and args.tty and not args.rm and args.init


def test_create_body_from_flags() -> None:
    config = body("--name", "x", "-e", "A=1", "-l", "k=v", "-l", "flag", "-w", "/tmp", "-u",
                  "1:2", "--hostname", "h", "--entrypoint", "", "-m", "64m",
                  "--memory-swap", "-1", "--cpus", "1.5", "--cpu-shares", "512",
                  "--pids-limit", "10", "--ulimit", "nofile=10:20", "--cap-add", "NET_ADMIN",
                  "--cap-drop", "ALL", "--privileged", "--read-only", "--security-opt",
                  "no-new-privileges", "--sysctl", "net.core.somaxconn=1024", "--init",
                  "--log-driver", "none", "--log-opt", "a=b", "--network", "none",
                  "--shm-size", "1m", "--runtime", "runc", "--stop-signal", "SIGINT",
                  "--stop-timeout", "3", "--restart", "on-failure:2", "--tmpfs", "/run:size=1m",
                  "--mount", "type=tmpfs,target=/t,tmpfs-size=1m",
                  "--mount", "type=bind,src=/etc,dst=/e,readonly", "-v", "/data",
                  "-v", "/srv:/srv:ro", "busybox", "true")
    host = config["HostConfig"]
    assert config["Env"] == ["A=1"] and config["Labels"] == {"k": "v", "flag": ""}
    assert config["Entrypoint"] == [""] and config["Cmd"] == ["true"]
    assert config["User"] == "1:2" and config["WorkingDir"] == "/tmp"
    assert config["StopSignal"] == "SIGINT" and config["StopTimeout"] == 3
    assert config["Volumes"] == {"/data": {}}
    assert config["AttachStdout"] and config["AttachStderr"] and not config["AttachStdin"]
    assert host["Memory"] == 64 << 20 and host["MemorySwap"] == -1
    assert host["NanoCpus"] == 1_500_000_000 and host["CpuShares"] == 512
    assert host["PidsLimit"] == 10
    assert host["Ulimits"] == [{"Name": "nofile", "Soft": 10, "Hard": 20}]
    assert host["CapAdd"] == ["NET_ADMIN"] and host["CapDrop"] == ["ALL"]
    assert host["Privileged"] and host["ReadonlyRootfs"] and host["Init"]
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["Sysctls"] == {"net.core.somaxconn": "1024"}
    assert host["LogConfig"] == {"Type": "none", "Config": {"a": "b"}}
    assert host["NetworkMode"] == "none" and host["ShmSize"] == 1 << 20
    assert host["Runtime"] == "runc"
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    assert host["Tmpfs"] == {"/run": "size=1m"}
    assert host["Mounts"] == [
        {"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 1 << 20}},
        {"Type": "bind", "Source": "/etc", "Target": "/e", "ReadOnly": True}]
    assert host["Binds"] == ["/srv:/srv:ro"]


def test_interactive_run_attaches_stdin_once() -> None:
    config = body("-i", "busybox")
    assert config["OpenStdin"] and config["AttachStdin"] and config["StdinOnce"]
    detached = body("-d", "-i", "busybox")
    assert detached["OpenStdin"] and not detached["AttachStdin"]
    assert not detached["AttachStdout"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--restart", "always", "--rm"], "Conflicting options: --restart and --rm"),
    (["--ulimit", "nofile"], "invalid ulimit argument: nofile"),
    (["--mount", "type=nope,target=/x"], "invalid mount type: nope"),
    (["--mount", "type=bind,src=/x"], "target is required"),
    (["--restart", "sometimes"], "invalid restart policy"),
    (["-m", "lots"], "invalid size"),
])
def test_invalid_flags(argv: list[str], message: str) -> None:
    with pytest.raises(opts.InvalidFlag, match=message):
        body(*argv, "busybox")


def test_env_from_environment_and_files(tmp_path: Any) -> None:
    assert opts.env_list(["A", "B=2", "C"], {"A": "1"}) == ["A=1", "B=2"]
    env_file = tmp_path / "env"
    env_file.write_text("# comment\n\nX=1\n  Y=two words\nA\n")
    assert opts.read_env_file(str(env_file), {"A": "a"}) == ["X=1", "Y=two words", "A=a"]


def test_publish_ports() -> None:
    exposed, bindings = opts.ports(["8080:80", "127.0.0.1::53/udp", "9000-9001:9000-9001"])
    assert exposed == {"80/tcp": {}, "53/udp": {}, "9000/tcp": {}, "9001/tcp": {}}
    assert bindings["80/tcp"] == [{"HostIp": "", "HostPort": "8080"}]
    assert bindings["53/udp"] == [{"HostIp": "127.0.0.1", "HostPort": ""}]
    assert bindings["9001/tcp"] == [{"HostIp": "", "HostPort": "9001"}]


@pytest.mark.parametrize(("text", "familiar", "name", "tag"), [
    ("busybox", "busybox", "docker.io/library/busybox", ""),
    ("busybox:1.36", "busybox:1.36", "docker.io/library/busybox", "1.36"),
    ("me/app:v1", "me/app:v1", "docker.io/me/app", "v1"),
    ("localhost:5000/app", "localhost:5000/app", "localhost:5000/app", ""),
    ("ghcr.io/o/r:t", "ghcr.io/o/r:t", "ghcr.io/o/r", "t"),
    ("docker.io/library/x", "x", "docker.io/library/x", ""),
])
def test_references(text: str, familiar: str, name: str, tag: str) -> None:
    ref = reference.parse(text)
    assert ref.familiar() == familiar and ref.name == name and ref.tag == tag
    assert reference.familiar_string("busybox") == "busybox:latest"
    with pytest.raises(reference.ReferenceError):
        reference.parse("UPPER")


def test_time_arguments() -> None:
    assert timestamp_arg("10m", now=1000.0) == "400.000000000"
    assert timestamp_arg("1500000000") == "1500000000"
    assert timestamp_arg("0") == "0"
    assert timestamp_arg("2024-01-02T03:04:05Z") == "1704164645.000000000"
    assert timestamp_arg("2024-01-02T03:04:05.5+01:00") == "1704161045.500000000"
    with pytest.raises(ValueError):
        timestamp_arg("yesterday")


def test_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve(None, {}) == Host.parse(DEFAULT_HOST, is_default=True)
    assert resolve(None, {"DOCKER_HOST": "unix:///x.sock"}).path == "/x.sock"
    assert resolve(None, {"SKIFF_HOST": "tcp://h:1"}).port == 1
    assert not resolve("unix:///y.sock", {"DOCKER_HOST": "unix:///x.sock"}).is_default
    with pytest.raises(ValueError):
        Host.parse("ssh://h")


def test_version_negotiation_takes_the_lower() -> None:
    assert negotiated("1.43") == "1.43"
    assert negotiated("1.51") == "1.50"
    assert negotiated(None) == "1.50"


def test_argument_count_errors_match_docker() -> None:
    args = parse("stop")
    with pytest.raises(UsageError) as info:
        check_args(args, args.containers, 1)
    assert info.value.render() == (
        "skiff: 'skiff stop' requires at least 1 argument\n\n"
        "Usage:  skiff stop [OPTIONS] CONTAINER [CONTAINER...]\n\n"
        "See 'skiff stop --help' for more information\n")
    assert info.value.code == 1


def test_unknown_flags_exit_125() -> None:
    err = io.StringIO()
    code = run(["ps", "--nope"], Session("unix:///nonexistent.sock", io.StringIO(), err))
    assert code == 125
    assert err.getvalue().startswith("unknown flag: --nope\n\nUsage:  skiff ps [OPTIONS]\n")


def test_unreachable_daemon_is_reported() -> None:
    err = io.StringIO()
    code = run(["ps"], Session("unix:///nonexistent.sock", io.StringIO(), err))
    assert code == 1
    assert err.getvalue() == ("Cannot connect to the Docker daemon at "
                              "unix:///nonexistent.sock. Is the docker daemon running?\n")


def _outcome(argv: list[str], parser: argparse.ArgumentParser,
             capsys: pytest.CaptureFixture[str]) -> object:
    """What parsing ``argv`` gives: the namespace, the usage error, or the help printed."""
    try:
        args = vars(parser.parse_args(argv))
    except UsageError as exc:
        return exc.render(), exc.code
    except SystemExit as exc:
        return capsys.readouterr().out, exc.code
    if "parser" in args:
        args["parser"] = (args["parser"].prog, args["parser"].format_help())
        args["handler"] = args["handler"].__qualname__
    return args


@pytest.mark.parametrize("argv", [
    [], ["-v"], ["-D", "--version"], ["ps"], ["ps", "-a", "--format", "{{.ID}}"],
    ["-H", "unix:///x", "run", "--rm", "-v", "/a:/b", "busybox", "sh", "-c", "echo -h"],
    ["--debug=true", "ps", "-q"], ["ps", "--debug=false"], ["run", "--help"], ["ps", "-h"],
    ["--help"], ["-h", "ps"], ["-Dh"], ["--he"], ["--h", "ps", "images"], ["-H"],
    ["-H", "ps", "images"], ["--context=x", "rmi", "a"], ["bogus"], ["PS"], ["--", "ps"],
    ["--bogus", "ps"], ["ps", "--bogus"], ["container"], ["container", "ls", "-q"],
    ["container", "ps"], ["container", "-h"], ["container", "--help", "ls"],
    ["container", "bogus"], ["container", "--bogus", "ls"], ["image", "rmi", "-f", "x"],
    ["image", "inspect", "x"], ["network", "ls", "-q"], ["volume", "rm", "v"],
    ["system", "prune", "-h"], ["system", "df", "--bogus"], ["inspect", "--type", "x", "y"],
])
def test_parsers_built_for_one_command_line_parse_it_like_the_whole_tree(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert _outcome(argv, build_parser(argv), capsys) == _outcome(argv, build_parser(), capsys)


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """``parser``'s subcommand parsers, by name and alias."""
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_only_the_command_run_gets_a_parser() -> None:
    assert list(_commands(build_parser(["-H", "unix:///x", "ps", "-a"]))) == ["ps"]
    assert _commands(build_parser(["--version"])) == {}
    container = _commands(build_parser(["container", "ps", "-a"]))["container"]
    assert list(_commands(container)) == ["ls", "ps", "list"]
    everything = _commands(build_parser())
    assert len(everything) == 42
    assert list(_commands(build_parser(["--bogus", "ps"]))) == list(everything)
    container = _commands(build_parser(["container", "--help"]))["container"]
    assert list(_commands(container)) == list(_commands(everything["container"]))
