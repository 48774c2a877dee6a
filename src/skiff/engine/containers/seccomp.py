"""Docker's seccomp profile format turned into the OCI ``linux.seccomp`` for one container."""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

from skiff.errdefs import InvalidParameter

PROFILE_CANDIDATES = (Path("/usr/share/containers/seccomp.json"),
                      Path("/etc/containers/seccomp.json"))

_ARCH = {"x86_64": "SCMP_ARCH_X86_64", "aarch64": "SCMP_ARCH_AARCH64",
         "ppc64le": "SCMP_ARCH_PPC64LE", "s390x": "SCMP_ARCH_S390X"}


def load_default() -> dict[str, Any] | None:
    """The host's default profile (containers-common ships Docker's)."""
    for path in PROFILE_CANDIDATES:
        if path.exists():
            loaded: dict[str, Any] = json.loads(path.read_text())
            return loaded
    return None


def parse_profile(text: str) -> dict[str, Any]:
    try:
        profile = json.loads(text)
    except ValueError as exc:
        raise InvalidParameter(f"Decoding seccomp profile failed: {exc}") from None
    if not isinstance(profile, dict):
        raise InvalidParameter("Decoding seccomp profile failed: not an object")
    return profile


def to_oci(profile: dict[str, Any], caps: set[str]) -> dict[str, Any]:
    """Resolve includes/excludes against the container's capabilities and the host arch."""
    native = _ARCH.get(platform.machine(), "SCMP_ARCH_X86_64")
    arches = [native]
    for entry in profile.get("archMap") or []:
        if entry.get("architecture") == native:
            arches += list(entry.get("subArchitectures") or [])
    if profile.get("architectures"):
        arches = list(profile["architectures"])
    syscalls = []
    for rule in profile.get("syscalls") or []:
        includes = rule.get("includes") or {}
        excludes = rule.get("excludes") or {}
        if includes.get("arches") and native not in includes["arches"] and not any(
            a in includes["arches"] for a in (_short(x) for x in arches)
        ):
            continue
        if includes.get("caps") and not all(c in caps for c in includes["caps"]):
            continue
        if excludes.get("caps") and any(c in caps for c in excludes["caps"]):
            continue
        if excludes.get("arches") and _short(native) in excludes["arches"]:
            continue
        names = list(rule.get("names") or ([rule["name"]] if rule.get("name") else []))
        if not names:
            continue
        out: dict[str, Any] = {"names": names, "action": rule["action"]}
        if rule.get("args"):
            out["args"] = rule["args"]
        if rule.get("errnoRet") is not None:
            out["errnoRet"] = rule["errnoRet"]
        syscalls.append(out)
    result: dict[str, Any] = {"defaultAction": profile.get("defaultAction", "SCMP_ACT_ERRNO"),
                              "architectures": arches, "syscalls": syscalls}
    if profile.get("defaultErrnoRet") is not None:
        result["defaultErrnoRet"] = profile["defaultErrnoRet"]
    return result


def _short(arch: str) -> str:
    return {"SCMP_ARCH_X86_64": "amd64", "SCMP_ARCH_X86": "386", "SCMP_ARCH_X32": "x32",
            "SCMP_ARCH_AARCH64": "arm64", "SCMP_ARCH_ARM": "arm"}.get(arch, arch.lower())
