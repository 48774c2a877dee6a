"""skiff.engine.containers.etcfiles: /etc/hosts as Docker writes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from skiff.engine.containers import etcfiles

DEFAULTS = ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
            "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
            "ff02::2\tip6-allrouters\n")


@pytest.mark.parametrize(("hostname", "domainname", "names"), [
    ("myhost", "", "myhost"),
    ("myhost", "example.org", "myhost.example.org myhost"),
    ("a.b.c", "", "a.b.c a"),
    ("a.b", "example.org", "a.b.example.org a"),
])
def test_own_names(hostname: str, domainname: str, names: str) -> None:
    assert etcfiles.own_names(hostname, domainname) == names


def test_own_addresses_carry_the_fqdn_and_the_bare_name() -> None:
    text = etcfiles.hosts_file("myhost", ["db:10.0.0.9"], False, ["172.18.0.2"],
                               domainname="example.org")
    assert text == DEFAULTS + "10.0.0.9\tdb\n172.18.0.2\tmyhost.example.org myhost\n"


def test_host_network_copies_the_hosts_file(tmp_path: Path) -> None:
    host = tmp_path / "hosts"
    host.write_text("127.0.0.1 localhost\n127.0.1.1 vm\n")
    assert etcfiles.hosts_file("vm", [], True, [], host_file=host) == host.read_text()


def test_host_network_with_add_host_gets_docker_defaults(tmp_path: Path) -> None:
    host = tmp_path / "hosts"
    host.write_text("127.0.1.1 vm\n")
    text = etcfiles.hosts_file("hh", ["x:1.2.3.4"], True, [], host_file=host)
    assert text == DEFAULTS + "1.2.3.4\tx\n"
