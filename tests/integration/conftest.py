"""After every integration test module, nothing its tests made may remain.

Other pytest runs, each with daemons of its own, may run on the machine at the same time, so
nothing here compares the whole host before and after: every leftover is attributed to this
session, by

- the session daemon's own objects: containers, networks, volumes and images it lists at the
  end of the module that it did not list at the start;
- the session directory every daemon root lives under (tests/conftest.py's ``session_root``):
  mounts and processes (conmon, private daemons) whose lines mention it, here and when a
  test's private daemon root is cleaned up (``private_root``);
- the session daemon's events during the module: containers and networks it destroyed must
  have taken their mounts, monitors, network namespaces, cgroups, bridges and iptables rules
  (nat and filter: skiff's rules name the bridge in their comments, CNI portmap's rules the
  container ID and a chain named from a hash of network name and container ID) with them.

The session daemon's default bridge and its firewall rules stay by design, like docker0's.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import Daemon, UnixHTTPConnection, processes

BRIDGE_NAME = "com.docker.network.bridge.name"
SETTLE = 3.0  # seconds a leftover may take to go before it counts as a leak


def _request(daemon: Daemon, path: str) -> tuple[int, bytes]:
    conn = UnixHTTPConnection(str(daemon.socket), timeout=30)
    try:
        conn.request("GET", path)
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


def _get(daemon: Daemon, path: str) -> Any:
    status, body = _request(daemon, path)
    if status != 200:
        raise AssertionError(f"GET {path}: {status} {body.decode(errors='replace')}")
    return json.loads(body)


def _events(daemon: Daemon, since: float, until: float) -> list[dict[str, Any]]:
    filters = quote(json.dumps({"type": ["container", "network"]}))
    status, body = _request(daemon, f"/events?since={since:.9f}&until={until:.9f}"
                                    f"&filters={filters}")
    assert status == 200, body
    return [json.loads(line) for line in body.decode().splitlines() if line.strip()]


@dataclass(frozen=True)
class NetworkInfo:
    name: str
    bridge: str
    subnet: str


def _network_info(network: dict[str, Any]) -> NetworkInfo:
    bridge = (network.get("Options") or {}).get(BRIDGE_NAME) or f"br-{network['Id'][:12]}"
    config = (network.get("IPAM") or {}).get("Config") or [{}]
    return NetworkInfo(network["Name"], bridge, str(config[0].get("Subnet", "")))


class NetworkWatcher:
    """Notes the bridge and subnet of every network created while it runs.

    Once a network is removed its events tell only its ID and name; a bridge named by option
    or a subnet can be learnt only while the network exists.
    """

    def __init__(self, daemon: Daemon, since: float) -> None:
        self.seen: dict[str, NetworkInfo] = {}
        self._daemon = daemon
        self._conn = UnixHTTPConnection(str(daemon.socket), timeout=None)
        filters = quote(json.dumps({"type": ["network"], "event": ["create"]}))
        self._conn.request("GET", f"/events?since={since:.9f}&filters={filters}")
        self._reply = self._conn.getresponse()
        self._thread = threading.Thread(target=self._run, name="network-watcher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with contextlib.suppress(OSError, ValueError, http.client.HTTPException):
            while line := self._reply.readline():
                network_id = json.loads(line)["Actor"]["ID"]
                status, body = _request(self._daemon, f"/networks/{network_id}")
                if status == 200:
                    self.seen[network_id] = _network_info(json.loads(body))

    def stop(self) -> None:
        if self._conn.sock is not None:
            with contextlib.suppress(OSError):
                self._conn.sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(10)
        self._reply.close()
        self._conn.close()


def _mounts(needle: str) -> set[str]:
    with open("/proc/mounts") as fh:
        return {line.strip() for line in fh if needle in line}


def _rules() -> list[str]:
    lines = []
    for table in ("nat", "filter"):
        out = subprocess.run(["iptables", "-w", "-t", table, "-S"], capture_output=True,
                             text=True).stdout
        lines += [f"[{table}] {line}" for line in out.splitlines()]
    return lines


def _links() -> dict[str, dict[str, Any]]:
    out = subprocess.run(["ip", "-j", "link"], capture_output=True, text=True).stdout
    return {link["ifname"]: link for link in json.loads(out or "[]")}


def _mentions(line: str, word: str) -> bool:
    return re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w.-])", line) is not None


def _portmap_chain(network_name: str, container_id: str) -> str:
    """The per-container DNAT chain CNI's portmap plugin makes (its FormatChainName)."""
    return "CNI-DN-" + hashlib.sha512((network_name + container_id).encode()).hexdigest()[:21]


@dataclass
class Snapshot:
    containers: set[str]
    networks: dict[str, NetworkInfo]
    volumes: set[str]
    images: set[str]
    mounts: set[str]
    processes: set[tuple[int, str]]
    netns: set[str]
    default_bridge_rules: set[str]

    @staticmethod
    def take(daemon: Daemon, session_root: Path, default_bridge: str) -> Snapshot:
        netns_dir = daemon.exec_root / "netns"
        return Snapshot(
            containers={c["Id"] for c in _get(daemon, "/containers/json?all=1")},
            networks={n["Id"]: _network_info(n) for n in _get(daemon, "/networks")},
            volumes={v["Name"] for v in _get(daemon, "/volumes")["Volumes"] or []},
            images={f"{i['Id'][7:19]} {' '.join(i.get('RepoTags') or [])}"
                    for i in _get(daemon, "/images/json?all=1")},
            mounts=_mounts(str(session_root)),
            processes={p for p in processes(str(session_root))
                       if p[0] != daemon.process.pid},
            netns={p.name for p in netns_dir.iterdir()} if netns_dir.exists() else set(),
            # skiff's masquerade and isolation rules for the default bridge are made on its
            # first use, then kept (as docker0's)
            default_bridge_rules={r for r in _rules() if _mentions(r, default_bridge)
                                  and not re.search(r'--comment "?skiff', r)})


def find_leaks(daemon: Daemon, session_root: Path, default_bridge: str, before: Snapshot,
               since: float, watched: dict[str, NetworkInfo]) -> list[str]:
    now = Snapshot.take(daemon, session_root, default_bridge)
    leaks = [f"container {c[:12]} still exists" for c in sorted(now.containers -
                                                                before.containers)]
    leaks += [f"network {n.name} ({i[:12]}) still exists"
              for i, n in now.networks.items() if i not in before.networks]
    leaks += [f"volume {v} still exists" for v in sorted(now.volumes - before.volumes)]
    leaks += [f"image {i} still exists" for i in sorted(now.images - before.images)]

    events = _events(daemon, since, time.time())
    gone_containers = {e["Actor"]["ID"] for e in events if e["Type"] == "container"} - \
        now.containers
    known = {**before.networks, **watched, **now.networks}
    gone_networks: dict[str, NetworkInfo] = {}
    for event in events:
        network_id = event["Actor"]["ID"]
        if event["Type"] == "network" and network_id not in now.networks:
            gone_networks[network_id] = known.get(network_id) or NetworkInfo(
                event["Actor"]["Attributes"].get("name", ""), f"br-{network_id[:12]}", "")
    network_names = {n.name for n in known.values()} | {n.name for n in gone_networks.values()}

    leaks += [f"mount {m}" for m in sorted(now.mounts - before.mounts)]
    leaks += [f"process {pid}: {cmd}" for pid, cmd in sorted(now.processes - before.processes)]
    leaks += [f"netns file {daemon.exec_root / 'netns' / n}"
              for n in sorted(now.netns - before.netns)]
    leaks += [f"rule on the default bridge {r}"
              for r in sorted(now.default_bridge_rules - before.default_bridge_rules)]

    links = _links()
    rules = _rules()
    all_mounts = _mounts("")
    all_processes = processes("")
    for network_id, network in sorted(gone_networks.items()):
        what = f"removed network {network.name} ({network_id[:12]}, {network.subnet or '?'})"
        if network.bridge in links:
            leaks.append(f"{what}: bridge {network.bridge}")
        leaks += [f"{what}: rule {r}" for r in rules if _mentions(r, network.bridge)]
    for container_id in sorted(gone_containers):
        what = f"removed container {container_id[:12]}"
        chains = {_portmap_chain(n, container_id) for n in network_names}
        leaks += [f"{what}: rule {r}" for r in rules
                  if container_id in r or any(_mentions(r, c) for c in chains)]
        leaks += [f"{what}: mount {m}" for m in sorted(all_mounts - now.mounts)
                  if container_id in m]
        leaks += [f"{what}: process {pid}: {cmd}"
                  for pid, cmd in sorted(all_processes - now.processes) if container_id in cmd]
        leaks += [f"{what}: cgroup {g}" for g in
                  sorted(str(p) for p in Path("/sys/fs/cgroup").glob(f"*/*/{container_id}"))]
        leaks += [f"{what}: cgroup {g}" for g in
                  sorted(str(p) for p in Path("/sys/fs/cgroup").glob(f"*/{container_id}"))]
        if (daemon.data_root / "containers" / container_id).exists():
            leaks.append(f"{what}: {daemon.data_root / 'containers' / container_id}")

    # veths on the default bridge: one per container attached to it, no more
    veths = [name for name, link in links.items() if link.get("master") == default_bridge]
    attached = _get(daemon, "/networks/bridge").get("Containers") or {}
    if len(veths) > len(attached):
        leaks.append(f"{len(veths)} veths on the default bridge {default_bridge} for "
                     f"{len(attached)} attached containers: {', '.join(sorted(veths))}")
    return leaks


@pytest.fixture(scope="module", autouse=True)
def leak_check(request: pytest.FixtureRequest, daemon: Daemon, session_root: Path,
               private_leftovers: list[str]) -> Iterator[None]:
    """Fail the module when anything its tests made outlives it (see the module docstring).

    Private daemons' roots are cleaned up after each test (``private_root``); what was still
    mounted or running under them then is reported here too.
    """
    default_bridge = _get(daemon, "/networks/bridge")["Options"][BRIDGE_NAME]
    since = time.time()
    before = Snapshot.take(daemon, session_root, default_bridge)
    watcher = NetworkWatcher(daemon, since)
    try:
        yield
    finally:
        watcher.stop()
    deadline = time.monotonic() + SETTLE
    while True:
        leaks = find_leaks(daemon, session_root, default_bridge, before, since, watcher.seen)
        if not leaks or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    leaks += private_leftovers
    private_leftovers.clear()
    if leaks:
        pytest.fail(f"{request.module.__name__} left behind:\n  " + "\n  ".join(leaks),
                    pytrace=False)
