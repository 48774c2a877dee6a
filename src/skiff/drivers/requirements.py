"""What skiffd runs or reads on the host, the Debian package it comes from, and what stops
working without it.

This list is the one place that names them: skiffd checks it at start and says in one line per
missing piece what will not work (as dockerd does for a missing iptables), ``/info`` repeats it
in its Warnings, and a test holds ``scripts/install`` to it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

CNI_DIRS = ("/usr/lib/cni", "/opt/cni/bin")


@dataclass(frozen=True)
class Requirement:
    """One program (on PATH) or file (an absolute path); any one of ``names`` will do."""

    names: tuple[str, ...]
    package: str
    without: str  # what does not work when it is missing

    def found(self) -> str | None:
        """Where it is on this host, or None."""
        for name in self.names:
            if os.path.isabs(name):
                if os.path.exists(name):
                    return name
            elif path := shutil.which(name):
                return path
        return None

    def warning(self) -> str:
        shown = " or ".join(os.path.basename(n) if n.startswith(CNI_DIRS) else n
                            for n in self.names)
        return f"{shown} not found (Debian package {self.package}): {self.without}"


def _cni(plugin: str, without: str) -> Requirement:
    return Requirement(tuple(os.path.join(d, plugin) for d in CNI_DIRS),
                       "containernetworking-plugins", without)


INIT = Requirement(("/usr/bin/tini-static", "/usr/bin/catatonit",
                    "/usr/libexec/podman/catatonit"), "tini", "--init will not work")
REQUIREMENTS = (
    Requirement(("conmon",), "conmon", "no container can run"),
    Requirement(("crun", "runc"), "crun", "no container can run"),
    Requirement(("iptables-save",), "iptables",
                "bridge networks cannot be set up (isolation, outbound NAT)"),
    Requirement(("iptables-restore",), "iptables",
                "bridge networks cannot be set up (isolation, outbound NAT)"),
    Requirement(("iptables",), "iptables", "published ports will not work"),
    _cni("bridge", "containers cannot join bridge networks"),
    _cni("static", "containers cannot join bridge networks"),
    _cni("portmap", "published ports will not work"),
    Requirement(("ip",), "iproute2", "bridges of removed networks stay behind"),
    Requirement(("ps",), "procps", "docker top will not work"),
    Requirement(("tar",), "tar", "docker export will not work"),
    Requirement(("cp",), "coreutils", "new volumes do not get the image's content"),
    Requirement(("git",), "git", "builds cannot read Git repositories (ADD, remote contexts)"),
    INIT,
    Requirement(("/usr/share/containers/seccomp.json",), "golang-github-containers-common",
                "containers run without Docker's default seccomp profile"),
)


def missing() -> list[Requirement]:
    """What this host lacks of the list above."""
    return [r for r in REQUIREMENTS if r.found() is None]
