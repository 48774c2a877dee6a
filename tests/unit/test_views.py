"""skiff.engine.containers.views: NetworkSettings as Docker shows them."""

from __future__ import annotations

from typing import Any

import pytest

from skiff.engine.containers import views
from skiff.engine.containers.model import Container

ID = "ab" * 32


def _container(mode: str = "", endpoints: dict[str, Any] | None = None,
               settings: dict[str, Any] | None = None, pid: int = 0) -> Container:
    networking: dict[str, Any] = {}
    if endpoints is not None:
        networking["EndpointsConfig"] = endpoints
    if settings is not None:
        networking["Settings"] = settings
    container = Container(id=ID, name="box", created_ns=0, image_id="sha256:x",
                          image_ref="busybox", config={"Cmd": ["sh"]},
                          host_config={"NetworkMode": mode} if mode else {},
                          networking=networking)
    if pid:
        container.state.set_running(pid, 1_000)
    return container


def test_a_created_container_shows_the_network_it_will_join() -> None:
    networks = views.networks(_container())
    assert list(networks) == ["bridge"]
    bridge = networks["bridge"]
    assert bridge["MacAddress"] == "" and bridge["IPAddress"] == "" and \
        bridge["EndpointID"] == "" and bridge["IPAMConfig"] is None
    assert set(bridge) == {"IPAMConfig", "Links", "Aliases", "MacAddress", "DriverOpts",
                           "GwPriority", "NetworkID", "EndpointID", "Gateway", "IPAddress",
                           "IPPrefixLen", "IPv6Gateway", "GlobalIPv6Address",
                           "GlobalIPv6PrefixLen", "DNSNames"}


def test_configured_endpoints_keep_what_was_asked_sorted_by_name() -> None:
    container = _container("zeta", {
        "zeta": {"Aliases": ["web"], "IPAMConfig": {"IPv4Address": "10.1.0.9"}},
        "alpha": {"MacAddress": "02:42:0a:00:00:09"}})
    networks = views.networks(container, network_id=lambda name: f"id-{name}")
    assert list(networks) == ["alpha", "zeta"]
    assert networks["zeta"]["Aliases"] == ["web"]
    assert networks["zeta"]["IPAMConfig"] == {"IPv4Address": "10.1.0.9"}
    assert networks["zeta"]["NetworkID"] == "id-zeta"
    assert networks["alpha"]["MacAddress"] == "02:42:0a:00:00:09"


@pytest.mark.parametrize("mode", ["host", "none"])
def test_host_and_none_show_their_network(mode: str) -> None:
    assert list(views.networks(_container(mode))) == [mode]
    assert list(views.networks(_container(mode, pid=42))) == [mode]
    assert list(views.summary(_container(mode))["NetworkSettings"]["Networks"]) == [mode]


def test_a_container_in_anothers_namespace_has_no_networks() -> None:
    assert views.networks(_container(f"container:{'c' * 64}", pid=42)) == {}


def test_live_endpoints_win_and_are_sorted() -> None:
    live = {"zz": {"IPAddress": "10.0.0.2"}, "aa": {"IPAddress": "10.1.0.2"}}
    container = _container("zz", {"zz": {}, "aa": {}}, settings=live, pid=42)
    networks = views.networks(container)
    assert list(networks) == ["aa", "zz"] and networks["zz"]["IPAddress"] == "10.0.0.2"


def test_sandbox_key_is_the_namespace_file_skiff_keeps() -> None:
    container = _container(pid=42)
    container.networking["SandboxKey"] = f"/run/skiff/netns/{ID}"
    sandbox_id, key = views.sandbox(container)
    assert key == f"/run/skiff/netns/{ID}"
    assert len(sandbox_id) == 64 and int(sandbox_id, 16) >= 0
    assert views.sandbox(container) == (sandbox_id, key)  # stable
    container.state.set_running(42, 2_000)  # started again: another sandbox
    assert views.sandbox(container)[0] != sandbox_id


def test_sandbox_without_a_namespace_file_of_skiffs() -> None:
    assert views.sandbox(_container("host", pid=42))[1] == "/proc/42/ns/net"
    assert views.sandbox(_container()) == ("", "")  # not running
    assert views.sandbox(_container(f"container:{'c' * 64}", pid=42)) == ("", "")
