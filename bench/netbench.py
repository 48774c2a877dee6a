"""Network benchmarks: `docker run` on a user-defined bridge network, and TCP throughput
container -> container on that network and host -> a port published on 127.0.0.1.

Each engine gets a network `benchnet` with its own subnet and bridge name (the two engines'
bridges coexist on this host) and one server container on it: busybox httpd serving a file
of zeros from a tmpfs, its port published on 127.0.0.1. Readers: a busybox `wget` in a second
container on the same network (timed inside that container, so container start-up is not
counted), and a plain Python socket on the host.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import subprocess
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from daemons import SKIFF_BRIDGE, Engine
from measure import LABEL, MIB, cli_output, pids_mentioning, process_name, run_latency
from unixhttp import ApiError

NETWORK = "benchnet"
BRIDGE_OPTION = "com.docker.network.bridge.name"
# per engine: benchnet's subnet and bridge; clear of docker0 (172.17.0.0/16), of skiffd's
# bench default bridge (10.199.0.0/24) and of the test suite's bridges (10.213.x.0/24)
NETS = {"skiff": ("10.199.1.0/24", "skbench1"), "dockerd": ("10.198.1.0/24", "dkbench1")}
SERVER = "bench-net-server"
PORT = 8080  # httpd's port inside the server container
FILE = "/big"
READY = "/ready"
CHUNK = 1 << 20
# busybox `adjtimex` (no arguments: read only) prints the wall clock with microseconds
ADJTIME = re.compile(rb"time\.tv_sec:\s*(\d+)\s+time\.tv_usec:\s*(\d+)")
CONTENT_LENGTH = re.compile(rb"^content-length:\s*(\d+)\s*$", re.IGNORECASE | re.MULTILINE)
FORWARD_COMMENT = "skiff-bench"


@dataclass
class Server:
    """One engine's server container: its address on benchnet and its published port."""

    cid: str
    ip: str
    host_port: int


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def remove_network(engine: Engine) -> None:
    """Remove the engine's benchnet if it exists."""
    status, body = engine.api.call("DELETE", f"/networks/{NETWORK}")
    if status not in (200, 204, 404):
        raise ApiError(f"DELETE /networks/{NETWORK}: HTTP {status}: {body[:300]!r}")


def create_network(engine: Engine) -> None:
    """(Re)create benchnet on engine with its fixed subnet and bridge name."""
    remove_server(engine)
    remove_network(engine)
    subnet, bridge = NETS[engine.name]
    engine.api.json("POST", "/networks/create", {
        "Name": NETWORK, "Driver": "bridge", "CheckDuplicate": True,
        "IPAM": {"Driver": "default", "Config": [{"Subnet": subnet}]},
        "Options": {BRIDGE_OPTION: bridge}, "Labels": {LABEL: "1"}})


def server_cmd(mib: int) -> list[str]:
    """Write `mib` MiB of zeros to the tmpfs, then serve it with httpd in the foreground."""
    return ["sh", "-c", f"dd if=/dev/zero of=/www{FILE} bs=1M count={mib} 2>/dev/null && "
            f"echo ok > /www{READY} && exec httpd -f -p {PORT} -h /www"]


def start_server(engine: Engine, mib: int, seconds: float = 120.0) -> Server:
    """Start the server container on benchnet with its port published on 127.0.0.1, and
    wait until the host can fetch /ready through the published port."""
    port = free_port()
    body = {"Image": "busybox:latest", "Cmd": server_cmd(mib), "Labels": {LABEL: "1"},
            "ExposedPorts": {f"{PORT}/tcp": {}},
            "HostConfig": {"NetworkMode": NETWORK, "Tmpfs": {"/www": f"size={mib + 8}m"},
                           "PortBindings": {f"{PORT}/tcp": [{"HostIp": "127.0.0.1",
                                                             "HostPort": str(port)}]}}}
    query = urllib.parse.quote(SERVER)
    cid = str(engine.api.json("POST", f"/containers/create?name={query}", body)["Id"])
    engine.api.json("POST", f"/containers/{cid}/start")
    info = engine.api.json("GET", f"/containers/{cid}/json")
    ip = str(info["NetworkSettings"]["Networks"][NETWORK]["IPAddress"])
    deadline = time.monotonic() + seconds
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            body_bytes, _, _ = host_get(port, READY, keep=True)
            if body_bytes.strip() == b"ok":
                return Server(cid, ip, port)
        except (OSError, RuntimeError) as e:
            last = e
        time.sleep(0.1)
    raise RuntimeError(f"{engine.name}: 127.0.0.1:{port}{READY} did not answer in {seconds} s "
                       f"(last error: {last})")


def remove_server(engine: Engine) -> None:
    """Force-remove the server container if it exists."""
    status, body = engine.api.call("DELETE", f"/containers/{SERVER}?force=1&v=1")
    if status not in (200, 204, 404):
        raise ApiError(f"DELETE /containers/{SERVER}: HTTP {status}: {body[:300]!r}")


def host_get(port: int, path: str, keep: bool = False,
             timeout: float = 120.0) -> tuple[bytes, int, float]:
    """GET path from 127.0.0.1:port over a plain socket (HTTP/1.0), reading the body in
    1 MiB recv_into calls; check the status and Content-Length. Returns (the body if keep,
    else b"", its size, seconds from connect to the end of the body)."""
    view = memoryview(bytearray(CHUNK))
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.0\r\nHost: bench\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            got = sock.recv(65536)
            if not got:
                raise RuntimeError(f"127.0.0.1:{port}: connection closed before the headers")
            data += got
        head, _, rest = data.partition(b"\r\n\r\n")
        kept = [rest] if keep else []
        total = len(rest)
        while n := sock.recv_into(view):
            total += n
            if keep:
                kept.append(bytes(view[:n]))
    elapsed = time.perf_counter() - start
    status_line = head.split(b"\r\n", 1)[0]
    if status_line.split()[1:2] != [b"200"]:
        raise RuntimeError(f"127.0.0.1:{port}{path}: {status_line!r}")
    length = CONTENT_LENGTH.search(head)
    if length is None or int(length.group(1)) != total:
        raise RuntimeError(f"127.0.0.1:{port}{path}: got {total} B, header {head!r}")
    return b"".join(kept), total, elapsed


def host_read(server: Server, size: int) -> float:
    """Seconds for the host to read the whole file through the published port."""
    _, total, elapsed = host_get(server.host_port, FILE)
    if total != size:
        raise RuntimeError(f"127.0.0.1:{server.host_port}{FILE}: {total} B, not {size}")
    return elapsed


def container_read(engine: Engine, server: Server) -> float:
    """Seconds for a second container on benchnet to fetch the file with wget (by IP, so
    no name lookup), measured inside that container: busybox wget fails on a short body."""
    script = (f"adjtimex && wget -q -O /dev/null http://{server.ip}:{PORT}{FILE} "
              f"&& adjtimex")
    out = cli_output(engine, "run", "--rm", "--network", NETWORK, "busybox", "sh", "-c",
                     script, timeout=600.0)
    stamps = ADJTIME.findall(out)
    if len(stamps) != 2:
        raise RuntimeError(f"{engine.name}: unexpected client output: {out[-300:]!r}")
    (s0, u0), (s1, u1) = stamps
    return int(s1) - int(s0) + (int(u1) - int(u0)) / 1e6


def default_gateway(engine: Engine) -> str | None:
    """Gateway of the engine's default `bridge` network, if it has one."""
    status, _ = engine.api.call("GET", "/networks/bridge")
    if status != 200:
        return None
    for config in engine.api.json("GET", "/networks/bridge")["IPAM"]["Config"] or []:
        if config.get("Gateway"):
            return str(config["Gateway"])
        if config.get("Subnet"):  # dockerd leaves Gateway out when it picked the subnet
            return str(next(ipaddress.IPv4Network(config["Subnet"]).hosts()))
    return None


def preflight(engine: Engine, server: Server) -> dict[str, str]:
    """With both engines up, check that this engine's networking works: a container on
    benchnet reaches the server by name (embedded DNS), the host reaches it through the
    published port, and a container on the default bridge reaches its gateway."""
    checks = {}
    out = cli_output(engine, "run", "--rm", "--network", NETWORK, "busybox", "wget", "-q",
                     "-O", "-", f"http://{SERVER}:{PORT}{READY}")
    if out.strip() != b"ok":
        raise RuntimeError(f"{engine.name}: container -> {SERVER} by name: {out[-200:]!r}")
    checks["container_by_name"] = "ok"
    body, _, _ = host_get(server.host_port, READY, keep=True)
    if body.strip() != b"ok":
        raise RuntimeError(f"{engine.name}: host -> published port: {body[-200:]!r}")
    checks["host_published_port"] = "ok"
    gateway = default_gateway(engine)
    if gateway is not None:
        cli_output(engine, "run", "--rm", "busybox", "ping", "-c", "1", "-W", "3", gateway)
        checks["default_bridge_gateway"] = f"ok ({gateway})"
    return checks


def publish_path(port: int) -> str:
    """How 127.0.0.1:port reaches the container: a userland proxy or kernel DNAT."""
    proxies = [pid for pid in pids_mentioning(f"-host-port\0{port}\0")
               if process_name(pid) == "docker-proxy"]
    if proxies:
        return "userland proxy (docker-proxy)"
    rules = subprocess.run(["iptables", "-w", "-t", "nat", "-S"], capture_output=True,
                           text=True, check=False).stdout
    if any(f"--dport {port} " in rule and "-j DNAT" in rule for rule in rules.splitlines()):
        return "kernel DNAT (iptables nat OUTPUT, CNI portmap)"
    return "unknown"


def forward_policy() -> str:
    """The policy of the iptables FORWARD chain (ACCEPT or DROP)."""
    out = subprocess.run(["iptables", "-w", "-S", "FORWARD"], capture_output=True, text=True,
                         check=False).stdout
    for line in out.splitlines():
        parts = line.split()
        if parts[:2] == ["-P", "FORWARD"] and len(parts) > 2:
            return parts[2]
    return "unknown"


def forward_rule(bridge: str, direction: str) -> list[str]:
    """An ACCEPT rule for traffic in (-i) or out (-o) of bridge, tagged as the bench's."""
    return ["FORWARD", direction, bridge, "-j", "ACCEPT", "-m", "comment", "--comment",
            FORWARD_COMMENT]


def accept_forward(engines: list[Engine]) -> list[list[str]]:
    """When the FORWARD policy is DROP (dockerd sets it when it turns ip_forward on itself),
    let skiffd's bench bridges forward anyway; return the rules added, for drop_forward.
    Bridged traffic passes the FORWARD chain here (net.bridge.bridge-nf-call-iptables)."""
    if forward_policy() != "DROP" or "skiff" not in {e.name for e in engines}:
        return []
    added = []
    for bridge in (SKIFF_BRIDGE, NETS["skiff"][1]):
        for direction in ("-i", "-o"):
            rule = forward_rule(bridge, direction)
            subprocess.run(["iptables", "-w", "-I", rule[0], "1", *rule[1:]], check=True)
            added.append(rule)
    return added


def drop_forward(rules: list[list[str]]) -> None:
    """Remove the rules accept_forward added."""
    for rule in rules:
        subprocess.run(["iptables", "-w", "-D", *rule], check=False,
                       stderr=subprocess.DEVNULL)


def clean_up(engines: list[Engine]) -> None:
    """Remove the server containers and the benchnet networks (their bridges go with them)."""
    for engine in engines:
        try:
            remove_server(engine)
            remove_network(engine)
        except (OSError, ApiError) as e:  # keep cleaning the rest
            print(f"  warning: removing {engine.name}'s {NETWORK} failed: {e}", flush=True)


def network_benchmarks(engines: list[Engine], runs: int, warmups: int, mib: int,
                       reads: int) -> dict[str, Any]:
    """All network figures: `docker run --rm --network benchnet true` samples (engines
    interleaved run by run), then `reads` reads of `mib` MiB container -> container and
    host -> published port per engine (after one untimed read each, engines interleaved)."""
    names = [e.name for e in engines]
    policy = forward_policy()
    added = accept_forward(engines)
    try:
        servers = {}
        for engine in engines:
            create_network(engine)
            servers[engine.name] = start_server(engine, mib)
        checks = {e.name: preflight(e, servers[e.name]) for e in engines}
        print(f"  preflight: {checks}", flush=True)
        print(f"  docker run --rm --network {NETWORK} x{runs} (interleaved)", flush=True)
        run_s = run_latency(engines, runs, warmups, network=NETWORK)
        print(f"  {mib} MiB container -> container and host -> 127.0.0.1 x{reads} "
              "(interleaved)", flush=True)
        c2c_s: dict[str, list[float]] = {n: [] for n in names}
        host_s: dict[str, list[float]] = {n: [] for n in names}
        size = mib * MIB
        for i in range(reads + 1):  # the first round is a warm-up
            for engine in engines:
                elapsed = container_read(engine, servers[engine.name])
                if i:
                    c2c_s[engine.name].append(elapsed)
            for engine in engines:
                elapsed = host_read(servers[engine.name], size)
                if i:
                    host_s[engine.name].append(elapsed)
        paths = {n: publish_path(servers[n].host_port) for n in names}
    finally:
        clean_up(engines)
        drop_forward(added)
    return {"run_s": run_s, "c2c_s": c2c_s, "host_s": host_s, "size_mib": mib,
            "publish_path": paths, "preflight": checks, "forward_policy": policy,
            "forward_rules_added": [" ".join(r) for r in added],
            "subnets": {n: NETS[n][0] for n in names}, "bridges": {n: NETS[n][1] for n in names}}
