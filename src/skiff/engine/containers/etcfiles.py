"""The /etc/hostname, /etc/hosts and /etc/resolv.conf that skiff gives a container."""

from __future__ import annotations

import re
import socket
from pathlib import Path

from skiff.store.layout import atomic_write

_LOCAL_NS = re.compile(r"^\s*nameserver\s+(127\.\d+\.\d+\.\d+|::1)\s*$", re.MULTILINE)
DEFAULT_NAMESERVERS = "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"


def resolv_conf(host_network: bool, dns: list[str], search: list[str], options: list[str],
                host_file: Path = Path("/etc/resolv.conf")) -> str:
    """Docker's rules: the host's file minus loopback servers, or what --dns* ask for."""
    try:
        text = host_file.read_text()
    except FileNotFoundError:
        text = ""
    if not host_network:
        text = _LOCAL_NS.sub("", text)
        if "nameserver" not in text:
            text = text.rstrip("\n") + ("\n" if text.strip() else "") + DEFAULT_NAMESERVERS
    lines = text.splitlines()
    if dns:
        lines = [line for line in lines if not line.strip().startswith("nameserver")]
        lines += [f"nameserver {d}" for d in dns]
    if search:
        lines = [line for line in lines if not line.strip().startswith(("search", "domain"))]
        lines.append("search " + " ".join(search))
    if options:
        lines = [line for line in lines if not line.strip().startswith("options")]
        lines.append("options " + " ".join(options))
    return "\n".join(line for line in lines if line.strip()) + "\n"


_DEFAULT_HOSTS = ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                  "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
                  "ff02::2\tip6-allrouters\n")


def own_names(hostname: str, domainname: str = "") -> str:
    """The names of the container's own addresses: the FQDN, then the bare name if it differs.

    As Docker's: ``--hostname h --domainname example.org`` and ``--hostname h.example.org``
    both give ``h.example.org h``.
    """
    names = f"{hostname}.{domainname}" if domainname else hostname
    short, dot, _ = names.partition(".")
    return f"{names} {short}" if dot and short else names


def hosts_file(hostname: str, extra_hosts: list[str], host_network: bool,
               own: list[str] | None = None, host_gateway: str = "127.0.0.1",
               linked: list[tuple[str, str]] | None = None, domainname: str = "",
               host_file: Path = Path("/etc/hosts")) -> str:
    """Docker's /etc/hosts: the defaults, linked containers, --add-host, then the own names.

    On the host's network it is a copy of the host's file, unless --add-host asks for more:
    then the defaults and those entries, as Docker writes it.
    """
    if host_network and not extra_hosts:
        try:
            return host_file.read_text()
        except FileNotFoundError:
            return "127.0.0.1\tlocalhost\n"
    base = _DEFAULT_HOSTS
    for address, names in linked or []:
        base += f"{address}\t{names}\n"
    for entry in extra_hosts:
        name, sep, address = entry.partition(":")
        if not sep:
            name, sep, address = entry.partition("=")
        if address == "host-gateway":
            address = host_gateway
        base += f"{address}\t{name}\n"
    for address in own or []:
        base += f"{address}\t{own_names(hostname, domainname)}\n"
    return base


def write_all(directory: Path, hostname: str, host_network: bool, dns: list[str],
              search: list[str], options: list[str], hosts: str) -> dict[str, str]:
    """Write the three files (``hosts`` is the /etc/hosts text); container path -> host path."""
    files = {
        "/etc/hostname": (directory / "hostname", hostname + "\n"),
        "/etc/hosts": (directory / "hosts", hosts),
        "/etc/resolv.conf": (directory / "resolv.conf",
                             resolv_conf(host_network, dns, search, options)),
    }
    result = {}
    for dest, (path, content) in files.items():
        atomic_write(path, content.encode())
        result[dest] = str(path)
    return result


def host_hostname() -> str:
    return socket.gethostname()
