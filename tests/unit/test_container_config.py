"""skiff.engine.containers.config: the network mode and endpoint checks of create."""

from __future__ import annotations

import re
from typing import Any

import pytest

from skiff.engine.containers import config
from skiff.engine.containers.model import Container
from skiff.engine.networks.ipam import Pool
from skiff.errdefs import InvalidParameter, NotFound

OWNER = Container(id="f" * 64, name="p1", created_ns=0, image_id="sha256:x",
                  image_ref="busybox", config={}, host_config={})


def _get(ref: str) -> Container:
    if ref in ("p1", OWNER.id, OWNER.id[:12]):
        return OWNER
    raise NotFound(f"No such container: {ref}")


POOLS = {"custom": Pool.build("10.1.0.0/24", None, None, []),
         "auto": Pool.build(None, None, None, [])}


def _validate(mode: str, endpoints: dict[str, Any] | None = None) -> dict[str, Any]:
    host_config = {"NetworkMode": mode}
    config.validate_network_mode(host_config, {}, _get, lambda ref: ref in POOLS,
                                 endpoints, POOLS.get)
    return host_config


@pytest.mark.parametrize("ref", ["p1", "f" * 12, "f" * 64])
def test_container_mode_is_stored_with_the_full_id(ref: str) -> None:
    assert _validate(f"container:{ref}")["NetworkMode"] == f"container:{'f' * 64}"


def test_container_mode_needs_an_existing_container() -> None:
    with pytest.raises(InvalidParameter, match="No such container: nope"):
        _validate("container:nope")


def _refused(mode: str, network: str, endpoint: dict[str, Any]) -> str:
    with pytest.raises(InvalidParameter) as raised:
        _validate(mode, {network: endpoint})
    return raised.value.message


@pytest.mark.parametrize("network", ["bridge", "default", "host", "none"])
def test_static_addresses_only_on_user_defined_networks(network: str) -> None:
    message = _refused(network, network, {"IPAMConfig": {"IPv4Address": "172.17.0.9"}})
    assert message == (f"invalid config for network {network}: invalid endpoint settings:\n"
                       f"user specified IP address is supported on user defined networks only")


@pytest.mark.parametrize("network", ["bridge", "host", "none"])
def test_aliases_only_on_user_defined_networks(network: str) -> None:
    message = _refused(network, network, {"Aliases": ["web"]})
    assert message.endswith("\nnetwork-scoped alias is supported only for containers in user "
                            "defined networks")


def test_every_problem_is_told() -> None:
    message = _refused("bridge", "bridge", {"Aliases": ["web"],
                                            "IPAMConfig": {"IPv4Address": "300.1.1.1"}})
    assert message.splitlines()[1:] == [
        "user specified IP address is supported on user defined networks only",
        "network-scoped alias is supported only for containers in user defined networks",
        "invalid IPv4 address: 300.1.1.1"]


def test_static_address_needs_a_subnet_the_user_configured() -> None:
    message = _refused("auto", "auto", {"IPAMConfig": {"IPv4Address": "172.18.0.9"}})
    assert message == ("invalid config for network auto: invalid endpoint settings:\n"
                       "user specified IP address is supported only when connecting to "
                       "networks with user configured subnets")
    message = _refused("custom", "custom", {"IPAMConfig": {"IPv4Address": "10.2.0.9"}})
    assert message.endswith("\nno configured subnet or ip-range contain the IP address "
                            "10.2.0.9")


def test_good_endpoints_pass() -> None:
    _validate("custom", {"custom": {"Aliases": ["web"],
                                    "IPAMConfig": {"IPv4Address": "10.1.0.9"}}})
    _validate("bridge", {"bridge": {"IPAMConfig": {}, "Aliases": []}})
    # a network that does not exist (yet) is for start to find
    with pytest.raises(InvalidParameter, match=re.escape("network later not found")):
        _validate("later", {"later": {"IPAMConfig": {"IPv4Address": "10.9.0.9"}}})
    _validate("custom", {"later": {"IPAMConfig": {"IPv4Address": "10.9.0.9"}}})
