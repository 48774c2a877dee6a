"""IPAM rules: Docker's default pools, overlap, gateway and range checks, allocation."""

from __future__ import annotations

from pathlib import Path

import pytest

from skiff.drivers.network import routes
from skiff.engine.networks import ipam
from skiff.errdefs import Conflict, InvalidParameter, System


def test_default_pools_start_after_the_default_bridge() -> None:
    taken = [ipam.DEFAULT_BRIDGE_SUBNET]
    first = ipam.pick_subnet(taken)
    assert str(first) == "172.18.0.0/16"
    assert str(ipam.pick_subnet([*taken, first])) == "172.19.0.0/16"


def test_pools_move_on_to_192_168_when_172_is_used_up() -> None:
    taken = [ipam.Net(f"172.{n}.0.0/16") for n in range(17, 32)]
    assert str(ipam.pick_subnet(taken)) == "192.168.0.0/20"


def test_overlapping_subnet_is_refused() -> None:
    with pytest.raises(Conflict):
        ipam.Pool.build("172.17.5.0/24", None, None, [ipam.DEFAULT_BRIDGE_SUBNET])


@pytest.mark.parametrize(("subnet", "gateway", "ip_range"), [
    ("10.1.0.0/24", "10.2.0.1", None),
    ("10.1.0.0/24", None, "10.2.0.0/28"),
    ("10.1.0.300/24", None, None),
    ("10.1.0.1/24", None, None),
    (None, "10.1.0.1", None),
])
def test_bad_configs_are_refused(subnet: str | None, gateway: str | None,
                                 ip_range: str | None) -> None:
    with pytest.raises(InvalidParameter):
        ipam.Pool.build(subnet, gateway, ip_range, [])


def test_allocation_skips_network_gateway_and_taken_addresses() -> None:
    pool = ipam.Pool.build("10.1.0.0/29", "10.1.0.1", None, [])
    assert str(pool.allocate()) == "10.1.0.2"
    assert str(pool.allocate("10.1.0.5")) == "10.1.0.5"
    with pytest.raises(Conflict):
        pool.allocate("10.1.0.5")
    with pytest.raises(Conflict):
        pool.allocate("10.1.0.1")
    with pytest.raises(InvalidParameter):
        pool.allocate("10.9.0.9")
    assert [str(pool.allocate()) for _ in range(3)] == ["10.1.0.3", "10.1.0.4", "10.1.0.6"]
    with pytest.raises(Conflict):
        pool.allocate()
    pool.release(ipam.Addr("10.1.0.3"))
    assert str(pool.allocate()) == "10.1.0.3"


def test_ip_range_limits_dynamic_addresses() -> None:
    pool = ipam.Pool.build("10.1.0.0/24", None, "10.1.0.128/30", [])
    assert [str(pool.allocate()) for _ in range(2)] == ["10.1.0.129", "10.1.0.130"]


def test_rows_round_trip() -> None:
    pool = ipam.Pool.build("10.1.0.0/24", "10.1.0.254", "10.1.0.0/25", [])
    pool.allocate()
    again = ipam.Pool.from_row(pool.to_row())
    assert again == pool


def test_automatic_subnets_avoid_the_hosts_routes() -> None:
    routed = [ipam.Net("172.18.0.0/16"), ipam.Net("172.19.3.0/24")]
    assert str(ipam.Pool.build(None, None, None, [], routed).subnet) == "172.20.0.0/16"
    # an explicit subnet is the user's choice, routed or not
    assert str(ipam.Pool.build("172.18.0.0/16", None, None, [], routed).subnet) == \
        "172.18.0.0/16"


def test_host_routes_are_read_from_the_kernel_table(tmp_path: Path) -> None:
    table = tmp_path / "route"
    table.write_text(
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
        "br0\t000012AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n")
    assert routes.host_networks(table) == [("br0", ipam.Net("172.18.0.0/16"))]


@pytest.mark.parametrize(("subnet", "gateway", "message"), [
    ("10.1.0.0/24", "10.1.0.0", "failed to allocate gateway (10.1.0.0): Address already in use"),
    ("10.1.0.0/24", "10.1.0.255",
     "failed to allocate gateway (10.1.0.255): Address already in use"),
    ("10.1.0.0/31", None, "failed to allocate gateway (): No available addresses on this pool"),
    ("10.1.0.7/32", None, "failed to allocate gateway (): No available addresses on this pool"),
    ("10.1.0.0/31", "10.1.0.1", "failed to allocate gateway (10.1.0.1): Address already in use"),
])
def test_gateways_docker_cannot_allocate_are_refused(subnet: str, gateway: str | None,
                                                     message: str) -> None:
    with pytest.raises(System) as raised:
        ipam.Pool.build(subnet, gateway, None, [])
    assert raised.value.message == message


def test_the_smallest_usable_subnet_is_a_30() -> None:
    pool = ipam.Pool.build("10.1.0.0/30", None, None, [])
    assert str(pool.gateway) == "10.1.0.1" and str(pool.allocate()) == "10.1.0.2"


def test_pools_know_whether_the_user_chose_the_subnet() -> None:
    assert ipam.Pool.build("10.1.0.0/24", None, None, []).user_subnet
    automatic = ipam.Pool.build(None, None, None, [])
    assert not automatic.user_subnet
    assert not ipam.Pool.from_row(automatic.to_row()).user_subnet
    legacy = automatic.to_row()
    del legacy["UserSubnet"]  # a row written before the flag keeps static addresses allowed
    assert ipam.Pool.from_row(legacy).user_subnet


def test_auxiliary_addresses_are_never_handed_out() -> None:
    pool = ipam.Pool.build("10.5.0.0/29", None, None, [], aux={"router": "10.5.0.2"})
    assert [str(pool.allocate()) for _ in range(4)] == ["10.5.0.3", "10.5.0.4", "10.5.0.5",
                                                        "10.5.0.6"]
    assert ipam.Pool.from_row(pool.to_row()).aux == {"router": ipam.Addr("10.5.0.2")}
    with pytest.raises(InvalidParameter):
        ipam.Pool.build("10.5.0.0/29", None, None, [], aux={"far": "10.6.0.1"})
