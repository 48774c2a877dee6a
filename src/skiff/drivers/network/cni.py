"""Running CNI plugins (the containernetworking reference plugins) for one attachment."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from skiff.errdefs import System

PLUGIN_DIRS = ("/usr/lib/cni", "/opt/cni/bin")
VERSION = "1.0.0"


def plugin_dir() -> str:
    return next((d for d in PLUGIN_DIRS if os.path.isdir(d)), PLUGIN_DIRS[0])


async def _invoke(command: str, conf: dict[str, Any], container_id: str, netns: Path,
                  ifname: str) -> dict[str, Any]:
    directory = plugin_dir()
    env = {"CNI_COMMAND": command, "CNI_CONTAINERID": container_id, "CNI_NETNS": str(netns),
           "CNI_IFNAME": ifname, "CNI_PATH": directory,
           "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")}
    proc = await asyncio.create_subprocess_exec(
        os.path.join(directory, conf["type"]), env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate(json.dumps(conf).encode())
    if proc.returncode != 0:
        try:
            detail = json.loads(out)
            message = f"{detail.get('msg', '')} {detail.get('details', '')}".strip()
        except ValueError:
            message = (out or err).decode(errors="replace").strip()
        raise System(f"failed to set up container networking: {message}")
    if not out.strip():
        return {}
    result: dict[str, Any] = json.loads(out)
    return result


async def add(conf: dict[str, Any], container_id: str, netns: Path,
              ifname: str) -> dict[str, Any]:
    """Attach: returns the plugin's result (interfaces, ips, routes)."""
    return await _invoke("ADD", {"cniVersion": VERSION, **conf}, container_id, netns, ifname)


async def delete(conf: dict[str, Any], container_id: str, netns: Path, ifname: str) -> None:
    """Detach; safe to call twice."""
    await _invoke("DEL", {"cniVersion": VERSION, **conf}, container_id, netns, ifname)
