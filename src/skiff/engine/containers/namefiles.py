"""A container's names on its networks: /etc/hostname, /etc/hosts and /etc/resolv.conf.

Written when the container starts, taken from the owner in ``container:<id>`` mode, and
rewritten in place when a running container joins or leaves a network, as Docker does.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Protocol

from skiff.engine.containers import etcfiles
from skiff.engine.containers.model import Container

EMBEDDED_DNS = "127.0.0.11"


class NetworkFacts(Protocol):
    """What the files need to know of a container's networks (the sandboxes know it)."""

    def own_addresses(self, container: Container) -> list[str]: ...

    def embedded_dns(self, container: Container) -> bool: ...

    def host_gateway(self, container: Container) -> str: ...


def _settings(container: Container, networks: NetworkFacts | None, host_network: bool,
              linked_hosts: list[tuple[str, str]]) -> tuple[list[str], list[str], str]:
    """(name servers, resolver options, /etc/hosts) for the container's networks now."""
    host = container.host_config
    own = networks.own_addresses(container) if networks else []
    # on user networks the embedded DNS at 127.0.0.11 answers, as Docker's does
    embedded = networks.embedded_dns(container) if networks else False
    dns = [EMBEDDED_DNS] if embedded else host.get("Dns") or []
    options = list(host.get("DnsOptions") or [])
    if embedded and not any(o.startswith("ndots:") for o in options):
        options.append("ndots:0")  # Docker's, unless the user set ndots
    gateway = networks.host_gateway(container) if networks else "127.0.0.1"
    hosts = etcfiles.hosts_file(container.config.get("Hostname") or "",
                                host.get("ExtraHosts") or [], host_network, own, gateway,
                                linked_hosts, container.config.get("Domainname") or "")
    return dns, options, hosts


def write(container: Container, directory: Path, networks: NetworkFacts | None,
          host_network: bool, linked_hosts: list[tuple[str, str]]) -> dict[str, str]:
    """The container's own three files; container path -> host path."""
    dns, options, hosts = _settings(container, networks, host_network, linked_hosts)
    return etcfiles.write_all(directory, container.config.get("Hostname") or "", host_network,
                              dns, container.host_config.get("DnsSearch") or [], options, hosts)


def share(container: Container, owner: Container) -> dict[str, str]:
    """A container in another's network namespace takes its name and files, as Docker's."""
    container.config["Hostname"] = owner.config.get("Hostname") or ""
    container.config["Domainname"] = owner.config.get("Domainname") or ""
    container.hostname_path = owner.hostname_path
    container.hosts_path = owner.hosts_path
    container.resolv_path = owner.resolv_path
    return {"/etc/hostname": owner.hostname_path, "/etc/hosts": owner.hosts_path,
            "/etc/resolv.conf": owner.resolv_path}


def refresh(container: Container, networks: NetworkFacts | None,
            linked_hosts: list[tuple[str, str]]) -> None:
    """/etc/hosts and resolv.conf of a running container whose networks changed.

    The files are bind-mounted into the container, so they are rewritten in place.
    """
    dns, options, hosts = _settings(container, networks, False, linked_hosts)
    resolv = etcfiles.resolv_conf(False, dns, container.host_config.get("DnsSearch") or [],
                                  options)
    for path, content in ((container.hosts_path, hosts), (container.resolv_path, resolv)):
        with contextlib.suppress(OSError), open(path, "r+b") as fh:
            fh.write(content.encode())
            fh.truncate()
