"""skiffd's settings: dockerd's flags where they apply, and daemon.json."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

from skiff.errdefs import InvalidParameter

DEFAULT_SOCKET = "unix:///run/skiff/skiff.sock"


@dataclass
class DaemonConfig:
    hosts: list[str] = field(default_factory=lambda: [DEFAULT_SOCKET])
    data_root: Path = Path("/var/lib/skiff")
    exec_root: Path = Path("/run/skiff")
    default_runtime: str = "crun"
    runtimes: dict[str, str] = field(default_factory=dict)
    log_level: str = "info"
    pidfile: Path | None = None
    tls_verify: bool = False
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    log_driver: str = "json-file"
    log_opts: dict[str, str] = field(default_factory=dict)
    live_restore: bool = True
    group: str = "skiff"
    bridge: str = "skiff0"
    bip: str = "172.17.0.1/16"
    metrics_addr: str = ""  # host:port of the Prometheus endpoint ("": none)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="skiffd", description="The skiff container engine daemon")
    p.add_argument("-H", "--host", action="append", dest="hosts",
                   help="daemon socket(s) to listen on (unix:// or tcp:// with TLS)")
    p.add_argument("--data-root", help="root of persistent state (default /var/lib/skiff)")
    p.add_argument("--exec-root", help="root of runtime state (default /run/skiff)")
    p.add_argument("--config-file", default="/etc/skiff/daemon.json",
                   help="daemon configuration file")
    p.add_argument("--default-runtime", help="OCI runtime for new containers (crun or runc)")
    p.add_argument("-l", "--log-level", help="debug, info, warn, error or fatal")
    p.add_argument("-p", "--pidfile", help="path of the daemon's PID file")
    p.add_argument("--tlsverify", action="store_true", default=None,
                   help="require TLS and verify clients")
    p.add_argument("--tlscacert", help="CA certificate clients must be signed by")
    p.add_argument("--tlscert", help="server certificate")
    p.add_argument("--tlskey", help="server key")
    p.add_argument("--log-driver", help="default logging driver for containers")
    p.add_argument("--log-opt", action="append", default=[], help="default log driver options")
    p.add_argument("--live-restore", dest="live_restore", action="store_true", default=None,
                   help="keep containers running while the daemon is down (default)")
    p.add_argument("--no-live-restore", dest="live_restore", action="store_false",
                   help="stop containers when the daemon stops")
    p.add_argument("-G", "--group", help="group owning the unix socket")
    p.add_argument("-b", "--bridge",
                   help="bridge of the default network (default skiff0; 'none' disables it)")
    p.add_argument("--bip", help="the default bridge's address and subnet (172.17.0.1/16)")
    p.add_argument("--metrics-addr",
                   help="serve Prometheus metrics on this host:port (e.g. 127.0.0.1:9323)")
    p.add_argument("-v", "--version", action="store_true", help="print the version and exit")
    return p


_JSON_KEYS = {"bip", "bridge", "hosts",
              "data-root", "exec-root", "default-runtime", "runtimes", "log-level",
              "pidfile", "tlsverify", "tlscacert", "tlscert", "tlskey", "log-driver",
              "log-opts", "live-restore", "group", "tls", "metrics-addr"}


def load(argv: list[str] | None = None) -> tuple[DaemonConfig, argparse.Namespace]:
    """Flags override daemon.json, which overrides the defaults."""
    args = parser().parse_args(argv)
    config = DaemonConfig()
    path = Path(args.config_file)
    if path.exists():
        try:
            data = json.loads(path.read_text())
        except ValueError as exc:
            raise InvalidParameter(f"unable to configure the daemon with file {path}: {exc}") \
                from None
        unknown = set(data) - _JSON_KEYS
        if unknown:
            raise InvalidParameter(f"the following directives don't match any configuration "
                                   f"option: {', '.join(sorted(unknown))}")
        config.hosts = data.get("hosts", config.hosts)
        config.data_root = Path(data.get("data-root", config.data_root))
        config.exec_root = Path(data.get("exec-root", config.exec_root))
        config.default_runtime = data.get("default-runtime", config.default_runtime)
        config.runtimes = {k: v.get("path", k) if isinstance(v, dict) else str(v)
                           for k, v in (data.get("runtimes") or {}).items()}
        config.log_level = data.get("log-level", config.log_level)
        if data.get("pidfile"):
            config.pidfile = Path(data["pidfile"])
        config.tls_verify = bool(data.get("tlsverify", False))
        config.tls_ca = data.get("tlscacert")
        config.tls_cert = data.get("tlscert")
        config.tls_key = data.get("tlskey")
        config.log_driver = data.get("log-driver", config.log_driver)
        config.log_opts = dict(data.get("log-opts") or {})
        config.live_restore = bool(data.get("live-restore", config.live_restore))
        config.group = data.get("group", config.group)
        config.bridge = data.get("bridge", config.bridge)
        config.bip = data.get("bip", config.bip)
        config.metrics_addr = data.get("metrics-addr", config.metrics_addr)
    if args.hosts:
        config.hosts = args.hosts
    if args.data_root:
        config.data_root = Path(args.data_root)
    if args.exec_root:
        config.exec_root = Path(args.exec_root)
    if args.default_runtime:
        config.default_runtime = args.default_runtime
    if args.log_level:
        config.log_level = args.log_level
    if args.pidfile:
        config.pidfile = Path(args.pidfile)
    if args.tlsverify is not None:
        config.tls_verify = args.tlsverify
    config.tls_ca = args.tlscacert or config.tls_ca
    config.tls_cert = args.tlscert or config.tls_cert
    config.tls_key = args.tlskey or config.tls_key
    if args.log_driver:
        config.log_driver = args.log_driver
    for opt in args.log_opt:
        key, _, value = opt.partition("=")
        config.log_opts[key] = value
    if args.live_restore is not None:
        config.live_restore = args.live_restore
    if args.group:
        config.group = args.group
    if args.bridge:
        config.bridge = args.bridge
    if args.bip:
        config.bip = args.bip
    if args.metrics_addr is not None:
        config.metrics_addr = args.metrics_addr
    check_metrics_addr(config.metrics_addr)
    return config, args


def metrics_addr(value: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port``) of the metrics listener."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidParameter(f"invalid metrics-addr {value!r}: want host:port, e.g. "
                               f"127.0.0.1:9323")
    return host.strip("[]") or "0.0.0.0", int(port)


def check_metrics_addr(value: str) -> None:
    if value:
        metrics_addr(value)
