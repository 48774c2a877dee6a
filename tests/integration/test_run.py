"""docker run: foreground, detached, --rm, exit codes, with crun and runc."""

from __future__ import annotations

from tests.conftest import DockerCLI


def test_run_prints_output_and_passes_exit_code(docker: DockerCLI, runtime: str) -> None:
    result = docker("run", "--rm", "--runtime", runtime, "busybox", "sh", "-c",
                    "echo out; echo err >&2; exit 7", check=False)
    assert result.returncode == 7
    assert result.stdout == "out\n"
    assert result.stderr == "err\n"


def test_run_missing_executable_exits_127(docker: DockerCLI, runtime: str) -> None:
    result = docker("run", "--rm", "--runtime", runtime, "busybox", "no-such-binary",
                    check=False)
    assert result.returncode == 127
    assert "executable file not found" in result.stderr


def test_run_not_executable_exits_126(docker: DockerCLI, runtime: str) -> None:
    result = docker("run", "--rm", "--runtime", runtime, "busybox", "/etc/passwd",
                    check=False)
    assert result.returncode == 126, result.stderr


def test_run_unknown_image_exits_125(docker: DockerCLI) -> None:
    result = docker("run", "--rm", "no-such-image-here", check=False)
    assert result.returncode == 125


def test_rm_removes_container(docker: DockerCLI, name: str) -> None:
    docker("run", "--rm", "--name", name, "busybox", "true")
    assert name not in docker("ps", "-a", "--format", "{{.Names}}").stdout.split()


def test_detached_container_logs(docker: DockerCLI, name: str, runtime: str) -> None:
    docker("run", "-d", "--name", name, "--runtime", runtime, "busybox", "sh", "-c",
           "for i in 1 2 3; do echo line $i; done")
    assert docker("wait", name).stdout.strip() == "0"
    assert docker("logs", name).stdout == "line 1\nline 2\nline 3\n"
    docker("rm", name)


def test_hostname_is_short_id(docker: DockerCLI, name: str) -> None:
    out = docker("run", "--name", name, "busybox", "hostname").stdout.strip()
    full = docker("inspect", "-f", "{{.Id}}", name).stdout.strip()
    assert out == full[:12]
    docker("rm", name)
