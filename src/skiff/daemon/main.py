"""skiffd: the composition root that wires drivers into services and services into routers."""

from __future__ import annotations

import asyncio
import contextlib
import grp
import logging
import os
import secrets
import shutil
import signal
import ssl
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from aiohttp import web

from skiff import __version__
from skiff.daemon.config import DaemonConfig, load, metrics_addr
from skiff.drivers import cgroups, cgroupstats, requirements
from skiff.drivers.logging.base import ReadConfig
from skiff.drivers.logging.registry import LogDriverRegistry
from skiff.drivers.network.firewall import Firewall
from skiff.drivers.runtime.base import Runtime
from skiff.drivers.runtime.capture import ConmonCapture
from skiff.drivers.runtime.conmon import ConmonRuntime
from skiff.drivers.runtime.exits import ExitWatcher
from skiff.drivers.snapshot.overlay import OverlaySnapshotter
from skiff.engine.builder.commit import Committer
from skiff.engine.builder.explain import Records
from skiff.engine.builder.mounts import CacheMounts
from skiff.engine.builder.service import BuildService
from skiff.engine.containers import seccomp
from skiff.engine.containers.execs import ExecService
from skiff.engine.containers.files import FileService
from skiff.engine.containers.health import HealthService
from skiff.engine.containers.queries import ContainerQueries
from skiff.engine.containers.service import ContainerService, DaemonDefaults
from skiff.engine.containers.stats import StatsService
from skiff.engine.events import EventService
from skiff.engine.images.service import ImageService
from skiff.engine.images.store import ImageStore
from skiff.engine.monitoring import exporter
from skiff.engine.monitoring.containers import ContainerCollector
from skiff.engine.monitoring.engine import EngineMetrics
from skiff.engine.networks.attachments import Attachments
from skiff.engine.networks.dns import DnsServer
from skiff.engine.networks.sandbox import Sandboxes
from skiff.engine.networks.service import NetworkService
from skiff.engine.system import SystemService
from skiff.engine.telemetry import NOWHERE, Telemetry
from skiff.engine.volumes.service import VolumeService
from skiff.errdefs import SkiffError
from skiff.server import app as server_app
from skiff.server import metrics as metrics_server
from skiff.server.routers import archive as archive_router
from skiff.server.routers import build as build_router
from skiff.server.routers import containers as containers_router
from skiff.server.routers import execs as execs_router
from skiff.server.routers import images as images_router
from skiff.server.routers import networks as networks_router
from skiff.server.routers import stats as stats_router
from skiff.server.routers import system as system_router
from skiff.server.routers import volumes as volumes_router
from skiff.store.blobs import BlobStore
from skiff.store.db import Database
from skiff.store.layout import Layout

log = logging.getLogger("skiffd")


class StartupError(Exception):
    """skiffd cannot start; the message says why."""


@dataclass
class Daemon:
    config: DaemonConfig
    db: Database
    containers: ContainerService
    exits: ExitWatcher
    runner: web.AppRunner
    sandboxes: Sandboxes
    metrics_runner: web.AppRunner | None = None


def find_runtimes(config: DaemonConfig) -> dict[str, str]:
    found = {name: path for name in ("crun", "runc") if (path := shutil.which(name))}
    found.update(config.runtimes)
    if config.default_runtime not in found:
        raise StartupError(f"default runtime {config.default_runtime!r} is not installed")
    return found


def check_hosts(config: DaemonConfig) -> None:
    for host in config.hosts:
        scheme = urlparse(host).scheme or "unix"
        if scheme == "tcp":
            if not (config.tls_verify and config.tls_ca and config.tls_cert and config.tls_key):
                raise StartupError(
                    f"refusing to listen on {host} without TLS: pass --tlsverify, --tlscacert, "
                    f"--tlscert and --tlskey")
        elif scheme not in ("unix", "fd"):
            raise StartupError(f"invalid host {host!r}: only unix:// and tcp:// are supported")


def write_pidfile(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError, ValueError):
        pid = int(path.read_text().strip())
        if pid != os.getpid() and _alive(pid):
            raise StartupError(f"pid file found, ensure skiffd is not running or delete {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(os.getpid()))


def _alive(pid: int) -> bool:
    """True for a live process (a zombie left by a killed daemon does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def daemon_id(layout: Layout) -> str:
    path = layout.data_root / "engine-id"
    if not path.exists():
        path.write_text(secrets.token_hex(16))
    return path.read_text().strip()


async def build(config: DaemonConfig) -> Daemon:
    """Wire drivers → services → routers and start listening."""
    check_hosts(config)
    layout = Layout(config.data_root, config.exec_root)
    layout.ensure()
    host_warnings = [r.warning() for r in requirements.missing()]
    for warning in host_warnings:  # one line each, as dockerd says what it lacks
        log.warning("%s", warning)
    runtime_paths = find_runtimes(config)
    moved = cgroups.prepare_hybrid()
    if moved:
        log.info("moved cgroup controllers %s to v1 hierarchies for crun", moved)
    db = Database(layout.database)
    blobs = BlobStore(layout.blobs, layout.tmp)
    snapshots = OverlaySnapshotter(layout)
    metrics: EngineMetrics | None = None
    telemetry: Telemetry = NOWHERE
    if config.metrics_addr:
        metrics = EngineMetrics(exporter.new_registry(), cgroupstats.online_cpus(),
                                cgroupstats.host_memory())
        telemetry = metrics
    events = EventService(db, telemetry)
    shutil.rmtree(layout.tmp, ignore_errors=True)
    layout.tmp.mkdir()
    image_store = ImageStore(db, blobs, snapshots)
    image_store.recover(layout.layers)
    images = ImageService(image_store, events, layout.tmp, telemetry)
    runtimes: dict[str, Runtime] = {
        name: ConmonRuntime(name, path, layout) for name, path in runtime_paths.items()}
    defaults = DaemonDefaults(
        runtime=config.default_runtime, log_type=config.log_driver,
        log_options=config.log_opts,
        init_binary=requirements.INIT.found(),
        seccomp_profile=seccomp.load_default())
    log_drivers = LogDriverRegistry(os.environ.get("SKIFF_JOURNAL_SOCKET"))
    try:
        log_drivers.validate(config.log_driver, config.log_opts)
    except SkiffError as exc:
        raise StartupError(f"the default log driver: {exc}") from None
    containers = ContainerService(layout, db, events, images, snapshots, runtimes, defaults,
                                  log_drivers, ConmonCapture(), telemetry)
    containers.load()
    networks = NetworkService(db, events, config.bridge if config.bridge != "none" else None,
                              config.bip, telemetry)
    containers.is_network = networks.exists
    networks.name_of = containers.name_of
    containers.network_pool = lambda ref: networks.get(ref).pool if networks.exists(ref) \
        else None
    dns = DnsServer(networks, containers.name_of, containers.link_aliases)
    sandboxes = Sandboxes(networks, layout, Firewall(), dns,
                          default_bridge=config.bridge != "none")
    await sandboxes.restore_firewall()
    containers.sandboxes = sandboxes
    volumes = VolumeService(db, events, layout.data_root / "volumes")
    volumes.users = containers.volume_users
    containers.volumes = volumes
    execs = ExecService(containers, events)
    HealthService(containers, execs, events, telemetry=telemetry)
    exits = ExitWatcher(layout.exits_dir, containers.on_exit)
    exits.start()
    await containers.restore()
    queries = ContainerQueries(containers, images, snapshots, layout, telemetry)
    queries.network_id = lambda ref: networks.get(ref).id if networks.exists(ref) else ""
    system = SystemService(layout, queries, images, runtime_paths, config.default_runtime,
                           daemon_id(layout), config.live_restore, sandboxes, host_warnings,
                           log_drivers.names(), config.log_driver)
    system.volumes = volumes
    app = server_app.create_app()
    routes = server_app.Routes(app)
    system_router.setup(routes, system, events)
    images_router.setup(routes, images)
    containers_router.setup(routes, containers, queries, ReadConfig)
    stats = StatsService(containers.get, defaults.cgroup_parent)
    stats_router.setup(routes, stats)
    execs_router.setup(routes, execs)
    archive_router.setup(routes, FileService(containers))
    volumes_router.setup(routes, volumes)
    build_router.setup(routes, Committer(containers, images, snapshots, layout.tmp, telemetry),
                       BuildService(containers, images, snapshots, layout.tmp,
                                    CacheMounts(layout.build_cache),
                                    Records(layout.build_records), telemetry))
    networks_router.setup(routes, networks,
                          Attachments(networks, containers, sandboxes, events, telemetry))
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    metrics_runner = None
    if metrics is not None:
        info = await system.info()
        metrics.describe_engine({
            "version": __version__, "architecture": info["Architecture"],
            "graphdriver": info["Driver"], "kernel": info["KernelVersion"],
            "os": info["OperatingSystem"], "os_type": info["OSType"],
            "os_version": info["OSVersion"], "daemon_id": info["ID"]})
        metrics.watch_states(queries.counts)
        metrics.watch_subscribers(lambda: events.subscribers)
        metrics.registry.register(ContainerCollector(containers.all, stats.group, stats.read,
                                                     metrics.counts))
        metrics_runner = await _serve_metrics(exporter.Exporter(metrics.registry),
                                              config.metrics_addr)
    for host in config.hosts:
        await _listen(runner, host, config)
    events.publish("daemon", "start", daemon_id(layout), {"name": os.uname().nodename})
    await containers.start_by_policy()
    return Daemon(config, db, containers, exits, runner, sandboxes, metrics_runner)


async def _serve_metrics(metrics: exporter.Exporter, address: str) -> web.AppRunner:
    """The Prometheus endpoint on its own plain-HTTP listener, as dockerd's metrics-addr."""
    host, port = metrics_addr(address)
    runner = web.AppRunner(metrics_server.create_app(metrics.render), access_log=None,
                           handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise StartupError(f"cannot serve metrics on {address}: {exc.strerror}") from None
    log.info("metrics listening on http://%s/metrics", address)
    return runner


async def _listen(runner: web.AppRunner, host: str, config: DaemonConfig) -> None:
    url = urlparse(host)
    if url.scheme in ("unix", ""):
        path = url.path or host
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        site: web.BaseSite = web.UnixSite(runner, path)
        await site.start()
        os.chmod(path, 0o660)
        with contextlib.suppress(KeyError, PermissionError):
            os.chown(path, 0, grp.getgrnam(config.group).gr_gid)
        log.info("API listening on %s", path)
    else:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=config.tls_ca)
        context.load_cert_chain(str(config.tls_cert), str(config.tls_key))
        context.verify_mode = ssl.CERT_REQUIRED
        site = web.TCPSite(runner, url.hostname or "0.0.0.0", url.port or 2376,
                           ssl_context=context)
        await site.start()
        log.info("API listening on %s (TLS)", host)


async def serve(config: DaemonConfig) -> None:
    daemon = await build(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    reloads: set[asyncio.Task[None]] = set()

    def reload() -> None:  # as dockerd's reload, and firewalld's: the rules come back
        log.info("reload: restoring firewall rules")
        task = asyncio.ensure_future(daemon.sandboxes.restore_firewall())
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    loop.add_signal_handler(signal.SIGHUP, reload)
    log.info("skiffd %s started (data root %s)", __version__, config.data_root)
    await stop.wait()
    log.info("shutting down%s", " (containers keep running)" if config.live_restore else "")
    await daemon.runner.cleanup()
    if daemon.metrics_runner is not None:
        await daemon.metrics_runner.cleanup()
    await daemon.containers.shutdown(config.live_restore)
    daemon.exits.stop()
    daemon.db.close()
    for host in config.hosts:
        url = urlparse(host)
        if url.scheme in ("unix", ""):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(url.path or host)


def main(argv: list[str] | None = None) -> None:
    try:
        config, args = load(argv)
    except SkiffError as exc:
        print(f"skiffd: {exc.message}", file=sys.stderr)
        sys.exit(1)
    if args.version:
        print(f"skiffd version {__version__}")
        return
    level = {"warn": "WARNING", "fatal": "CRITICAL"}.get(config.log_level, config.log_level)
    logging.basicConfig(level=level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if os.geteuid() != 0:
        print("skiffd: must run as root", file=sys.stderr)
        sys.exit(1)
    try:
        if config.pidfile is None:
            config.pidfile = config.exec_root / "skiffd.pid"
        write_pidfile(config.pidfile)
        _watch_children_by_pidfd()
        asyncio.run(serve(config))
    except (StartupError, SkiffError) as exc:
        print(f"skiffd: {exc}", file=sys.stderr)
        sys.exit(1)
    finally:
        if config.pidfile is not None:
            with contextlib.suppress(FileNotFoundError, ValueError):
                if int(config.pidfile.read_text()) == os.getpid():
                    config.pidfile.unlink()


def _watch_children_by_pidfd() -> None:
    """Wait for child programs (runtime, CNI plugins) through pidfds, not a thread each.

    Python 3.12 does this by itself; on 3.11 it saves about a millisecond per program, which
    ``docker exec`` feels.
    """
    if sys.version_info < (3, 12) and hasattr(os, "pidfd_open"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            asyncio.set_child_watcher(asyncio.PidfdChildWatcher())


if __name__ == "__main__":
    main()
