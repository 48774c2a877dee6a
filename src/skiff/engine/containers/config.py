"""A new container's configuration: merging the image's defaults and validating HostConfig."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from skiff.engine.containers import caps, spec
from skiff.engine.containers.model import Container
from skiff.errdefs import InvalidParameter, NotFound


def merge_image_config(config: dict[str, Any], image: dict[str, Any]) -> dict[str, Any]:
    """Docker's merge: image values fill what the request left out."""
    merged = dict(config)
    if not merged.get("Entrypoint") and config.get("Entrypoint") is None:
        merged["Entrypoint"] = image.get("Entrypoint")
        if not merged.get("Cmd"):
            merged["Cmd"] = image.get("Cmd")
    elif not merged.get("Cmd") and config.get("Entrypoint") is None:
        merged["Cmd"] = image.get("Cmd")
    if merged.get("Entrypoint") == [""]:
        merged["Entrypoint"] = None
    env = list(image.get("Env") or [])
    keys = {e.split("=", 1)[0]: i for i, e in enumerate(env)}
    for item in config.get("Env") or []:
        key = item.split("=", 1)[0]
        if key in keys:
            env[keys[key]] = item
        else:
            keys[key] = len(env)
            env.append(item)
    merged["Env"] = env
    for key in ("WorkingDir", "User", "StopSignal"):
        if not merged.get(key) and image.get(key):
            merged[key] = image[key]
    labels = dict(image.get("Labels") or {})
    labels.update(config.get("Labels") or {})
    merged["Labels"] = labels
    if image.get("ExposedPorts"):
        merged["ExposedPorts"] = {**image["ExposedPorts"], **(config.get("ExposedPorts")
                                                              or {})}
    if image.get("Volumes"):
        merged["Volumes"] = {**image["Volumes"], **(config.get("Volumes") or {})}
    if not merged.get("Healthcheck") and image.get("Healthcheck"):
        merged["Healthcheck"] = image["Healthcheck"]
    return merged


# what a container joining another's network namespace cannot have of its own, in the order
# and words of Docker's checks: (in the host config?, key, message)
_CONTAINER_MODE_CONFLICTS = (
    (False, "Hostname", "conflicting options: hostname and the network mode"),
    (True, "Links", "conflicting options: container type network can't be used with links. "
                    "This would result in undefined behavior"),
    (True, "Dns", "conflicting options: dns and the network mode"),
    (True, "ExtraHosts", "conflicting options: custom host-to-IP mapping and the network mode"),
    (False, "MacAddress", "conflicting options: mac-address and the network mode"),
    (True, "PortBindings", "conflicting options: port publishing and the container type "
                           "network mode"),
    (True, "PublishAllPorts", "conflicting options: port publishing and the container type "
                              "network mode"),
    (False, "ExposedPorts", "conflicting options: port exposing and the container type "
                            "network mode"),
)


_PREDEFINED_MODES = ("default", "bridge", "host", "none")


def _user_defined(network: str) -> bool:
    """Docker's ``NetworkMode.IsUserDefined``: by the name the client gave."""
    return network not in _PREDEFINED_MODES and not network.startswith("container:")


def validate_network_mode(host_config: dict[str, Any], request: dict[str, Any],
                          get: Callable[[str], Container],
                          is_network: Callable[[str], bool],
                          endpoints: dict[str, Any] | None = None,
                          network_pool: Callable[[str], SubnetFacts | None] | None = None) -> None:
    """The network mode names something that exists; ``container:`` mode asks for nothing of
    its own. ``request`` is the config as the client sent it (before the image's).

    ``container:<name>`` is stored as ``container:<full id>``, as Docker stores it.
    ``endpoints`` (the request's ``NetworkingConfig.EndpointsConfig``) are checked as Docker
    checks them at create: static addresses and aliases only on user-defined networks, and a
    static address only inside a subnet the user configured (``network_pool`` gives the
    network a name stands for, None if there is no such network: that is left to start).

    A missing network or container is a bad parameter (400), not a 404: clients take a 404
    from create for a missing image and would try to pull it.
    """
    mode = host_config.get("NetworkMode") or "default"
    if mode.startswith("container:"):
        for in_host_config, key, message in _CONTAINER_MODE_CONFLICTS:
            if (host_config if in_host_config else request).get(key):
                raise InvalidParameter(message)
        ref = mode.split(":", 1)[1]
        try:
            owner = get(ref)
        except NotFound as exc:
            raise InvalidParameter(exc.message) from None
        host_config["NetworkMode"] = f"container:{owner.id}"
    elif mode not in _PREDEFINED_MODES and not is_network(mode):
        raise InvalidParameter(f"network {mode} not found")
    validate_endpoints(endpoints or {}, network_pool or (lambda _ref: None))


def validate_endpoints(endpoints: dict[str, Any],
                       network_pool: Callable[[str], SubnetFacts | None]) -> None:
    """Docker's ``validateNetworkingConfig``: every endpoint's problems, in its words."""
    problems = []
    for network, endpoint in endpoints.items():
        if endpoint is None:
            problems.append(f"invalid config for network {network}: EndpointsConfig is nil")
            continue
        errors = endpoint_errors(network, endpoint, network_pool(network))
        if errors:
            problems.append(f"invalid config for network {network}: invalid endpoint "
                            f"settings:\n" + "\n".join(errors))
    if problems:
        raise InvalidParameter("\n".join(problems))


IP = TypeVar("IP", ipaddress.IPv4Address, ipaddress.IPv6Address)


class SubnetFacts(Protocol):
    """What create needs to know of a network's IPAM (the network service's pools have it)."""

    subnet: ipaddress.IPv4Network
    user_subnet: bool


def _address(text: str, family: type[IP], errors: list[str], label: str) -> IP | None:
    """``text`` as an address of ``family``, or None (and Docker's message) if it is none."""
    if not text:
        return None
    try:
        address = family(text)
    except ValueError:
        address = None
    if address is None or address.is_unspecified:
        errors.append(f"invalid {label} address: {text}")
        return None
    return address


def endpoint_errors(network: str, endpoint: dict[str, Any],
                    pool: SubnetFacts | None) -> list[str]:
    """What is wrong with one network's endpoint settings (Docker's validateEndpointSettings).

    ``pool`` is the network's IPAM when the network exists.
    """
    ipam = endpoint.get("IPAMConfig") or {}
    ipv4 = str(ipam.get("IPv4Address") or "")
    ipv6 = str(ipam.get("IPv6Address") or "")
    errors: list[str] = []
    if not _user_defined(network):
        if ipv4 or ipv6:
            errors.append("user specified IP address is supported on user defined networks "
                          "only")
        if endpoint.get("Aliases"):
            errors.append("network-scoped alias is supported only for containers in user "
                          "defined networks")
    address = _address(ipv4, ipaddress.IPv4Address, errors, "IPv4")
    address6 = _address(ipv6, ipaddress.IPv6Address, errors, "IPv6")
    unconfigured = ("user specified IP address is supported only when connecting to "
                    "networks with user configured subnets")
    # the default bridge's subnet is the daemon's configuration (--bip), never "unconfigured"
    if pool is not None and address is not None and _user_defined(network):
        if not pool.user_subnet:
            errors.append(unconfigured)
        elif address not in pool.subnet:
            errors.append(f"no configured subnet or ip-range contain the IP address {ipv4}")
    if pool is not None and address6 is not None:
        errors.append(unconfigured)  # skiff's networks have no IPv6 subnet
    return errors


def validate_host_config(host_config: dict[str, Any], config: dict[str, Any],
                         swap_supported: bool) -> list[str]:
    warnings: list[str] = []
    spec.user_mounts(host_config)
    spec.resources(host_config, swap_supported)
    if host_config.get("Memory") and not swap_supported and host_config.get("MemorySwap"):
        warnings.append("Your kernel does not support swap limit capabilities or the cgroup "
                        "is not mounted. Memory limited without swap.")
    mode = host_config.get("NetworkMode") or "default"
    if mode == "host" and (host_config.get("PortBindings") or
                           host_config.get("PublishAllPorts")):
        warnings.append("Published ports are discarded when using host network mode")
    spec.validate_sysctls(dict(host_config.get("Sysctls") or {}), mode)
    for opt in host_config.get("SecurityOpt") or []:
        key = opt.replace(":", "=", 1).split("=", 1)[0]
        if key not in ("no-new-privileges", "seccomp", "label", "apparmor", "systempaths"):
            raise InvalidParameter(f"invalid --security-opt 2: \"{opt}\"")
        if key == "seccomp":
            value = opt.replace(":", "=", 1).split("=", 1)[1]
            if value != "unconfined":
                from skiff.engine.containers import seccomp

                seccomp.parse_profile(value)
    spec.parse_signal(config.get("StopSignal"))
    for cap in (host_config.get("CapAdd") or []) + (host_config.get("CapDrop") or []):
        caps.normalize(cap)
    policy = (host_config.get("RestartPolicy") or {}).get("Name") or "no"
    if policy not in ("no", "always", "unless-stopped", "on-failure", ""):
        raise InvalidParameter(f"invalid restart policy '{policy}'")
    if host_config.get("AutoRemove") and policy not in ("no", ""):
        raise InvalidParameter("can't create 'AutoRemove' container with restart policy")
    for ulimit in host_config.get("Ulimits") or []:
        if ulimit.get("Soft", 0) > ulimit.get("Hard", 0):
            raise InvalidParameter(f"ulimit soft limit must be less than or equal to hard "
                                   f"limit: {ulimit.get('Soft')} > {ulimit.get('Hard')}")
    return warnings
