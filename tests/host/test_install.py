"""scripts/install names every package whose programs skiffd and its tests execute."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from skiff.drivers.requirements import REQUIREMENTS

ROOT = Path(__file__).resolve().parents[2]
INSTALL = (ROOT / "scripts" / "install").read_text()

# what the tests and the scripts they run execute beside skiffd's own (found by the scan below
# for the Python tests; listed by hand for the shell scripts)
SCRIPT_PROGRAMS = {
    "scripts/beside-dockerd": ["dockerd", "docker", "unshare", "mount", "umount", "ip",
                               "iptables", "pkill", "timeout", "mktemp", "seq", "head", "cut"],
    "scripts/make-busybox-rootfs": ["busybox", "tar", "mktemp", "cp", "ln"],
    "scripts/up": ["curl", "timeout", "setsid", "tail"],
    "scripts/test": ["timeout"],
}
# the docker CLI: the machine's own (/usr/local/bin/docker, 28.x), else docker.io's
MACHINE_PROVIDED = {"/usr/local/bin/docker"}
# skiff's own programs, and Debian's package tools (what scripts/install itself runs)
NOT_PACKAGES = {"skiffd", "skiff", "dpkg-query", "apt-get"}


def _array(name: str) -> set[str]:
    found = re.search(rf"^{name}=\((.*?)\)", INSTALL, re.S | re.M)
    assert found, f"scripts/install has no {name}=(...)"
    words = re.sub(r"#.*", "", found.group(1)).split()
    return set(words)


PACKAGES = _array("packages")
TEST_PACKAGES = _array("test_packages")


def _package_of(path: str) -> str | None:
    """The installed Debian package that owns ``path`` (merged /usr or not)."""
    real = os.path.realpath(path)
    candidates = [real, path]
    for p in list(candidates):
        if p.startswith("/usr/"):
            candidates.append(p[4:])
    for candidate in candidates:
        result = subprocess.run(["dpkg-query", "-S", candidate], capture_output=True,
                                text=True, timeout=30)
        if result.returncode == 0:
            return result.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def _executed_in(directory: Path) -> dict[str, str]:
    """Program name -> a file that runs it, for literal programs in Python sources."""
    patterns = [r"create_subprocess_exec\(\s*\"([\w.-]+)\"",
                r"subprocess\.(?:run|Popen|check_output|check_call|call)\(\s*\[\s*\"([\w.-]+)\"",
                r"shutil\.which\(\"([\w.-]+)\"\)"]
    found: dict[str, str] = {}
    for source in directory.rglob("*.py"):
        text = source.read_text()
        for pattern in patterns:
            for name in re.findall(pattern, text):
                found.setdefault(name, str(source.relative_to(ROOT)))
    return found


def test_every_requirement_is_found_and_comes_from_an_installed_package() -> None:
    for requirement in REQUIREMENTS:
        for name in requirement.names:
            path = shutil.which(name) if not os.path.isabs(name) else name
            if path is None or not os.path.exists(path):
                continue
            package = _package_of(path)
            assert package in PACKAGES, f"{name} ({path}) comes from {package}, which " \
                f"scripts/install does not install"
        assert requirement.found(), f"after scripts/install, {requirement.warning()}"


def test_every_program_skiffd_runs_is_a_listed_requirement() -> None:
    listed = {os.path.basename(n) for r in REQUIREMENTS for n in r.names}
    for name, where in _executed_in(ROOT / "src" / "skiff").items():
        assert name in listed | NOT_PACKAGES, \
            f"{where} runs {name}, which skiff.drivers.requirements does not list"
    plugins = set(re.findall(r'"type": "(\w+)"',
                             (ROOT / "src/skiff/engine/networks/sandbox.py").read_text()))
    assert plugins and plugins <= listed, f"CNI plugins {plugins - listed} are not listed"


@pytest.mark.parametrize("where", ["tests", *SCRIPT_PROGRAMS])
def test_what_the_tests_run_comes_from_a_package_the_install_script_names(where: str) -> None:
    programs = set(_executed_in(ROOT / where)) if where == "tests" else \
        set(SCRIPT_PROGRAMS[where])
    if where == "tests":
        programs |= {"docker", "dockerd"}  # through DOCKER and scripts/beside-dockerd
    assert programs
    for program in sorted(programs):
        path = shutil.which(program)
        assert path, f"{where} runs {program}, which is not installed"
        if path in MACHINE_PROVIDED or program in NOT_PACKAGES:
            continue
        package = _package_of(path)
        allowed = PACKAGES if where == "scripts/up" else PACKAGES | TEST_PACKAGES
        assert package in allowed, \
            f"{where} runs {program} ({path}) from {package}, which scripts/install " \
            f"does not install"
