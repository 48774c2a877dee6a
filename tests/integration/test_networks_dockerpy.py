"""Networks, published ports and volumes driven by docker-py, as an SDK user drives them."""

from __future__ import annotations

import secrets
import time
import urllib.request
from typing import Any

import docker as docker_py
import pytest

from tests.conftest import free_port, wait_until


def _subnet() -> str:
    return f"10.{140 + secrets.randbelow(10)}.{secrets.randbelow(256)}"


def test_network_lifecycle_with_aliases_and_static_addresses(client: Any) -> None:
    prefix, name = _subnet(), f"net-{secrets.token_hex(4)}"
    ipam = docker_py.types.IPAMConfig(pool_configs=[
        docker_py.types.IPAMPool(subnet=f"{prefix}.0/24", gateway=f"{prefix}.254")])
    network = client.networks.create(name, driver="bridge", ipam=ipam,
                                     labels={"team": "sdk"})
    server = peer = None
    try:
        assert network.attrs["IPAM"]["Config"] == [{"Subnet": f"{prefix}.0/24",
                                                    "Gateway": f"{prefix}.254"}]
        assert [n.name for n in client.networks.list(filters={"label": "team=sdk"})] == [name]
        server = client.containers.run("busybox", ["httpd", "-f", "-p", "80", "-h", "/etc"],
                                       detach=True, network=name)
        peer = client.containers.run("busybox", ["sleep", "300"], detach=True)
        network.connect(peer, aliases=["buddy"], ipv4_address=f"{prefix}.40")
        network.reload()
        assert {c.id for c in network.containers} == {server.id, peer.id}
        peer.reload()
        assert peer.attrs["NetworkSettings"]["Networks"][name]["IPAddress"] == f"{prefix}.40"
        server.reload()
        hostname = server.attrs["Config"]["Hostname"]
        fetched = client.containers.run(
            "busybox", ["sh", "-c", f"timeout 10 sh -c 'until wget -qO- "
                                    f"http://{server.name}/hostname; do sleep 0.1; done'; "
                                    "nslookup buddy"],
            network=name, remove=True).decode()
        assert fetched.startswith(hostname + "\n") and f"{prefix}.40" in fetched
        with pytest.raises(docker_py.errors.APIError) as busy:
            network.remove()
        assert busy.value.status_code == 403 and "active endpoints" in str(busy.value)
        network.disconnect(peer)
        network.reload()
        assert {c.id for c in network.containers} == {server.id}
    finally:
        for container in (server, peer):
            if container is not None:
                container.remove(force=True)
        network.remove()
    with pytest.raises(docker_py.errors.NotFound):
        client.networks.get(name)


def test_bad_network_requests_are_api_errors(client: Any) -> None:
    with pytest.raises(docker_py.errors.APIError) as overlap:
        ipam = docker_py.types.IPAMConfig(pool_configs=[
            docker_py.types.IPAMPool(subnet="10.1.2.0/24", gateway="10.9.9.9")])
        client.networks.create(f"net-{secrets.token_hex(4)}", ipam=ipam)
    assert overlap.value.status_code == 400


def test_published_ports_in_attrs_and_from_the_host(client: Any) -> None:
    port = free_port()
    container = client.containers.run("busybox", ["httpd", "-f", "-p", "80", "-h", "/etc"],
                                      detach=True, ports={"80/tcp": ("127.0.0.1", port)})
    try:
        container.reload()
        assert container.ports == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}

        def fetch() -> str:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/hostname", timeout=5) as r:
                return r.read().decode().strip()

        assert wait_until(lambda: _quietly(fetch), what="published port") == \
            container.attrs["Config"]["Hostname"]
    finally:
        container.remove(force=True)


def _quietly(fn: Any) -> Any:
    try:
        return fn()
    except OSError:
        time.sleep(0.05)
        return None


def test_volumes_through_the_sdk(client: Any) -> None:
    name = f"vol-{secrets.token_hex(4)}"
    volume = client.volumes.create(name, driver="local", labels={"team": "sdk"},
                                   driver_opts={"type": "tmpfs", "device": "tmpfs",
                                                "o": "size=8m"})
    try:
        assert volume.attrs["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=8m"}
        out = client.containers.run("busybox", ["sh", "-c", "echo hi > /v/f && df /v"],
                                    volumes={name: {"bind": "/v", "mode": "rw"}},
                                    remove=True).decode()
        assert "tmpfs" in out
        holder = client.containers.create("busybox", ["true"],
                                          volumes={name: {"bind": "/v", "mode": "rw"}})
        with pytest.raises(docker_py.errors.APIError) as in_use:
            volume.remove()
        assert in_use.value.status_code == 409
        holder.remove()
        assert [v.name for v in client.volumes.list(filters={"label": "team=sdk"})] == [name]
    finally:
        volume.remove(force=True)
    with pytest.raises(docker_py.errors.NotFound):
        client.volumes.get(name)
