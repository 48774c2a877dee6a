"""skiff.engine.containers.spec: signals, binds, mounts and the resources() arithmetic."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from skiff.engine.containers import spec
from skiff.errdefs import InvalidParameter

MB = 1024 * 1024


# parse_signal

@pytest.mark.parametrize(
    ("value", "number"),
    [("SIGTERM", 15), ("TERM", 15), ("term", 15), ("sigkill", 9), ("KILL", 9), ("9", 9),
     ("SIGHUP", 1), ("SIGUSR1", 10), ("SIGUSR2", 12), ("SIGCHLD", 17), ("SIGWINCH", 28),
     ("SIGSYS", 31), ("SIGIOT", 6), ("SIGPOLL", 29), ("64", 64), ("1", 1),
     ("SIGRTMIN", 34), ("RTMIN+3", 37), ("SIGRTMIN+1", 35), ("SIGRTMAX", 64),
     ("SIGRTMAX-1", 63), (" SIGINT ", 2), (7, 7)],
)
def test_parse_signal(value: str | int, number: int) -> None:
    assert spec.parse_signal(value) == number


@pytest.mark.parametrize("value", [None, ""])
def test_parse_signal_default(value: str | None) -> None:
    assert spec.parse_signal(value) == 15
    assert spec.parse_signal(value, default=9) == 9


@pytest.mark.parametrize("value", ["SIGFOO", "0", "65", "-1", "SIG", "RTMIN+x", "SIG TERM",
                                   "1.5"])
def test_parse_signal_invalid(value: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        spec.parse_signal(value)
    assert info.value.message == f"Invalid signal: {value}"


@pytest.mark.parametrize("value", ["SIGRTMIN+31", "SIGRTMAX+1"])
def test_parse_signal_real_time_out_of_range(value: str) -> None:
    # signal 65 does not exist on Linux
    with pytest.raises(InvalidParameter, match="Invalid signal"):
        spec.parse_signal(value)


# parse_bind

def test_parse_bind_defaults() -> None:
    assert spec.parse_bind("/src:/dst") == {
        "destination": "/dst", "type": "bind", "source": "/src",
        "options": ["rbind", "rprivate"]}


@pytest.mark.parametrize(
    ("mode", "options"),
    [("ro", ["rbind", "ro", "rprivate"]), ("rw", ["rbind", "rw", "rprivate"]),
     ("ro,rshared", ["rbind", "ro", "rshared"]), ("slave", ["rbind", "slave"]),
     ("z", ["rbind", "rprivate"]), ("Z,ro", ["rbind", "ro", "rprivate"]),
     ("cached", ["rbind", "rprivate"])],
)
def test_parse_bind_modes(mode: str, options: list[str]) -> None:
    assert spec.parse_bind(f"/src:/dst:{mode}")["options"] == options


def test_parse_bind_normalises_the_source() -> None:
    assert spec.parse_bind("/a/../b/./c/:/dst")["source"] == "/b/c"


@pytest.mark.parametrize(
    ("bind", "message"),
    [
        ("/src", "invalid volume specification: '/src'"),
        (":/dst", "invalid volume specification: ':/dst'"),
        ("/src:", "invalid volume specification: '/src:'"),
        ("/a:/b:ro:x", "invalid volume specification: '/a:/b:ro:x'"),
        ("/src:dst", "mount path must be absolute"),
        ("../x:/dst", "invalid volume specification: '../x:/dst'"),
        ("/src:/dst:bogus", "invalid mode: bogus"),
    ],
)
def test_parse_bind_errors(bind: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        spec.parse_bind(bind)


# parse_mount

def test_parse_mount_bind(tmp_path: Path) -> None:
    mount = spec.parse_mount({"Type": "bind", "Source": str(tmp_path), "Target": "/data",
                              "ReadOnly": True})
    assert mount == {"destination": "/data", "type": "bind", "source": str(tmp_path),
                     "options": ["rbind", "ro", "rprivate"]}
    mount = spec.parse_mount({"Type": "bind", "Source": str(tmp_path), "Target": "/data",
                              "BindOptions": {"NonRecursive": True, "Propagation": "rshared"}})
    assert mount["options"] == ["bind", "rw", "rshared"]


def test_parse_mount_bind_create_mountpoint(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    mount = spec.parse_mount({"Type": "bind", "Source": str(missing), "Target": "/x",
                              "BindOptions": {"CreateMountpoint": True}})
    assert mount["source"] == str(missing)


def test_parse_mount_tmpfs() -> None:
    mount = spec.parse_mount({"Type": "tmpfs", "Target": "/run",
                              "TmpfsOptions": {"SizeBytes": 65536, "Mode": 0o1777,
                                               "Options": [["exec"], ["uid", "1000"]]}})
    assert mount == {"destination": "/run", "type": "tmpfs", "source": "tmpfs",
                     "options": ["nosuid", "nodev", "noexec", "size=65536", "mode=1777",
                                 "exec", "uid=1000"]}
    assert spec.parse_mount({"Type": "tmpfs", "Target": "/t", "ReadOnly": True})["options"][-1] \
        == "ro"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"Type": "bind", "Source": "/tmp"},
         'invalid mount config for type "bind": field Target must not be empty'),
        ({"Type": "bind", "Source": "/tmp", "Target": "rel"},
         "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be "
         "absolute"),
        ({"Type": "bind", "Target": "/x"},
         'invalid mount config for type "bind": field Source must not be empty'),
        ({"Type": "bind", "Source": "rel", "Target": "/x"},
         "invalid mount path: 'rel' mount path must be absolute"),
        ({"Type": "bind", "Source": "/nonexistent-skiff-path", "Target": "/x"},
         'invalid mount config for type "bind": bind source path does not exist: '
         "/nonexistent-skiff-path"),
        ({"Type": "tmpfs", "Source": "/x", "Target": "/t"},
         'invalid mount config for type "tmpfs": field Source must not be specified'),
        ({"Type": "volume", "Source": "../v", "Target": "/t"}, "invalid volume name"),
        ({"Type": "bogus", "Target": "/t"}, "mount type unknown"),
    ],
)
def test_parse_mount_errors(item: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        spec.parse_mount(item)
    assert message in info.value.message


def test_user_mounts_duplicate_destination() -> None:
    with pytest.raises(InvalidParameter, match="Duplicate mount point: /dst"):
        spec.user_mounts({"Binds": ["/a:/dst"], "Tmpfs": {"/dst": ""}})


def test_user_mounts_tmpfs_options() -> None:
    mounts = spec.user_mounts({"Tmpfs": {"/run": "size=1m,exec"}})
    assert mounts == [{"destination": "/run", "type": "tmpfs", "source": "tmpfs",
                       "options": ["nosuid", "nodev", "noexec", "size=1m", "exec"]}]


# resources

def test_resources_defaults() -> None:
    res = spec.resources({}, swap_supported=True)
    assert set(res) == {"devices"}
    assert res["devices"][0] == {"allow": False, "access": "rwm"}
    assert {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"} in res["devices"]
    assert {"allow": True, "type": "c", "major": 136, "access": "rwm"} in res["devices"]


def test_resources_privileged_allows_all_devices() -> None:
    assert spec.resources({"Privileged": True}, True)["devices"] == [
        {"allow": True, "access": "rwm"}]


@pytest.mark.parametrize(
    ("memory", "swap", "expected_swap"),
    [(100 * MB, 0, 200 * MB), (100 * MB, None, 200 * MB), (100 * MB, -1, -1),
     (100 * MB, 100 * MB, 100 * MB), (100 * MB, 300 * MB, 300 * MB)],
)
def test_resources_memory_and_swap(memory: int, swap: int | None, expected_swap: int) -> None:
    res = spec.resources({"Memory": memory, "MemorySwap": swap}, swap_supported=True)
    assert res["memory"] == {"limit": memory, "swap": expected_swap}


def test_resources_without_swap_support_sets_no_swap() -> None:
    assert spec.resources({"Memory": 100 * MB}, swap_supported=False)["memory"] == {
        "limit": 100 * MB}


def test_resources_minimum_memory() -> None:
    assert spec.resources({"Memory": 6 * MB}, True)["memory"]["limit"] == 6 * MB
    with pytest.raises(InvalidParameter, match="Minimum memory limit allowed is 6MB"):
        spec.resources({"Memory": 6 * MB - 1}, True)


def test_resources_swap_smaller_than_memory() -> None:
    with pytest.raises(InvalidParameter, match="Minimum memoryswap limit should be larger than "
                                               "memory limit, see usage"):
        spec.resources({"Memory": 100 * MB, "MemorySwap": 50 * MB}, True)


def test_resources_swap_without_memory() -> None:
    with pytest.raises(InvalidParameter, match="You should always set the Memory limit when "
                                               "using Memoryswap limit, see usage"):
        spec.resources({"MemorySwap": 100 * MB}, True)


def test_resources_memory_reservation_and_swappiness() -> None:
    res = spec.resources({"MemoryReservation": 50 * MB, "MemorySwappiness": 10}, True)
    assert res["memory"] == {"reservation": 50 * MB, "swappiness": 10}
    assert "memory" not in spec.resources({"MemorySwappiness": -1}, True)


@pytest.mark.parametrize(
    ("nano", "quota"),
    [(1_000_000_000, 100_000), (1_500_000_000, 150_000), (500_000_000, 50_000),
     (10_000_000, 1_000)],
)
def test_resources_nano_cpus(nano: int, quota: int) -> None:
    if nano > (os.cpu_count() or 1) * 10**9:
        pytest.skip("not enough CPUs")
    assert spec.resources({"NanoCpus": nano}, True)["cpu"] == {"period": 100_000,
                                                               "quota": quota}


def test_resources_nano_cpus_above_cpu_count() -> None:
    count = os.cpu_count() or 1
    with pytest.raises(InvalidParameter) as info:
        spec.resources({"NanoCpus": (count + 1) * 10**9}, True)
    assert info.value.message == (f"Range of CPUs is from 0.01 to {count}.00, as there are only "
                                  f"{count} CPUs available")


def test_resources_nano_cpus_conflicts_with_period() -> None:
    with pytest.raises(InvalidParameter) as info:
        spec.resources({"NanoCpus": 10**9, "CpuPeriod": 50_000}, True)
    assert info.value.message == "Conflicting options: Nano CPUs and CPU Period cannot both be set"


def test_resources_nano_cpus_conflicts_with_quota() -> None:
    # dockerd names the option that conflicts: "... Nano CPUs and CPU Quota cannot both be set"
    with pytest.raises(InvalidParameter) as info:
        spec.resources({"NanoCpus": 10**9, "CpuQuota": 50_000}, True)
    assert info.value.message == "Conflicting options: Nano CPUs and CPU Quota cannot both be set"


def test_resources_cpu_fields() -> None:
    res = spec.resources({"CpuShares": 512, "CpuQuota": 20_000, "CpuPeriod": 50_000,
                          "CpusetCpus": "0", "CpusetMems": "0"}, True)
    assert res["cpu"] == {"shares": 512, "quota": 20_000, "period": 50_000, "cpus": "0",
                          "mems": "0"}


@pytest.mark.parametrize(("pids", "expected"), [(100, {"limit": 100}), (-1, {"limit": -1}),
                                                (0, None), (None, None)])
def test_resources_pids(pids: int | None, expected: dict[str, int] | None) -> None:
    assert spec.resources({"PidsLimit": pids}, True).get("pids") == expected


def test_resources_blkio_weight() -> None:
    assert spec.resources({"BlkioWeight": 300}, True)["blockIO"] == {"weight": 300}


@pytest.mark.parametrize(("text", "size"), [("64m", 64 * MB), ("1g", 1024 * MB),
                                            ("512k", 512 * 1024), ("100", 100), ("10b", 10),
                                            ("1.5m", int(1.5 * MB))])
def test_parse_size(text: str, size: int) -> None:
    assert spec.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "abc", "10x", "m"])
def test_parse_size_invalid(text: str) -> None:
    with pytest.raises(InvalidParameter, match="invalid size"):
        spec.parse_size(text)


def test_validate_sysctls() -> None:
    spec.validate_sysctls({"kernel.shmmax": "1", "fs.mqueue.msg_max": "1",
                           "net.ipv4.ip_forward": "1"}, "default")
    with pytest.raises(InvalidParameter,
                       match=re.escape("sysctl 'net.ipv4.ip_forward' is not allowed")):
        spec.validate_sysctls({"net.ipv4.ip_forward": "1"}, "host")
    with pytest.raises(InvalidParameter,
                       match=re.escape("sysctl 'kernel.hostname' is not allowed")):
        spec.validate_sysctls({"kernel.hostname": "x"}, "default")


def test_parse_bind_named_volume() -> None:
    mount = spec.parse_bind("data:/var/lib/data:ro,nocopy")
    assert mount == {"destination": "/var/lib/data", "type": "volume", "source": "data",
                     "readonly": True, "nocopy": True}


# Docker's -v checks: modes, the root, options of the other mount type

@pytest.mark.parametrize(
    ("bind", "message"),
    [
        ("data:/x:badmode", "invalid mode: badmode"),
        ("data:/x:ro,badmode", "invalid mode: ro,badmode"),
        ("data:/x:ro,rw", "invalid mode: ro,rw"),
        ("data:/x:z,Z", "invalid mode: z,Z"),
        ("/src:/x:ro,", "invalid mode: ro,"),
        ("/src:/x:rshared,rslave", "invalid mode: rshared,rslave"),
        ("data:/", "invalid volume specification: 'data:/': invalid mount config for type "
                   "\"volume\": invalid specification: destination can't be '/'"),
        ("/src:/", "invalid volume specification: '/src:/': invalid mount config for type "
                   "\"bind\": invalid specification: destination can't be '/'"),
        ("/src://", "invalid volume specification: '/src://': invalid mount config for type "
                    "\"bind\": invalid specification: destination can't be '/'"),
        ("/src:/x/..", "invalid volume specification: '/src:/x/..': invalid mount config for "
                       "type \"bind\": invalid specification: destination can't be '/'"),
        ("data:/x:rshared", "invalid volume specification: 'data:/x:rshared': invalid mount "
                            "config for type \"volume\": field BindOptions must not be "
                            "specified"),
        ("/src:/x:nocopy", "invalid volume specification: '/src:/x:nocopy': invalid mount "
                           "config for type \"bind\": field VolumeOptions must not be "
                           "specified"),
        ("data:x", "invalid volume specification: 'data:x': invalid mount config for type "
                   "\"volume\": invalid mount path: 'x' mount path must be absolute"),
        ("/x:ro", "invalid volume specification: '/x:ro'"),
    ],
)
def test_parse_bind_is_checked_as_docker_checks_it(bind: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=f"^{re.escape(message)}$"):
        spec.parse_bind(bind)


@pytest.mark.parametrize("mode", ["nocopy,ro", "delegated", "z,rw", "rw,cached,nocopy"])
def test_parse_bind_volume_modes_docker_accepts(mode: str) -> None:
    assert spec.parse_bind(f"data:/x:{mode}")["type"] == "volume"


def test_user_mounts_refuses_bad_modes_and_the_root() -> None:
    with pytest.raises(InvalidParameter, match="invalid mode: badmode"):
        spec.user_mounts({"Binds": ["data:/x:badmode"]})
    with pytest.raises(InvalidParameter, match="destination can't be '/'"):
        spec.user_mounts({"Binds": ["data:/"]})


@pytest.mark.parametrize("mtype", ["bind", "tmpfs", "volume"])
def test_parse_mount_refuses_the_root(mtype: str) -> None:
    item = {"Type": mtype, "Target": "/", "Source": "/tmp" if mtype == "bind" else ""}
    with pytest.raises(InvalidParameter, match=re.escape(
            f"invalid mount config for type \"{mtype}\": invalid specification: "
            f"destination can't be '/'")):
        spec.parse_mount(item)


# the OCI spec: mount order, the UTS namespace, the domain name

def _build(host_config: dict[str, Any], config: dict[str, Any] | None = None,
           host_network: bool = False, extra_mounts: list[dict[str, Any]] | None = None,
           etc_files: dict[str, str] | None = None) -> dict[str, Any]:
    from skiff.engine.containers.model import Container
    from skiff.engine.containers.users import ExecUser

    container = Container(id="c" * 64, name="box", created_ns=0, image_id="sha256:x",
                          image_ref="busybox",
                          config={"Cmd": ["sh"], "Hostname": "hh", **(config or {})},
                          host_config=host_config)
    inputs = spec.SpecInputs(
        rootfs=Path("/rootfs"), user=ExecUser(0, 0, (), "/root"), hostname="hh",
        etc_files=etc_files if etc_files is not None else {
            "/etc/hostname": "/c/hostname", "/etc/hosts": "/c/hosts",
            "/etc/resolv.conf": "/c/resolv.conf"},
        cgroups_path="/skiff/c", init_binary="/usr/bin/docker-init",
        host_network=host_network, extra_mounts=extra_mounts or [])
    return spec.build(container, inputs)


def _namespaces(oci: dict[str, Any]) -> list[str]:
    return [n["type"] for n in oci["linux"]["namespaces"]]


def test_host_network_keeps_a_uts_namespace_of_its_own() -> None:
    oci = _build({"NetworkMode": "host"}, host_network=True)
    assert "uts" in _namespaces(oci) and "network" not in _namespaces(oci)
    assert oci["hostname"] == "hh"


def test_uts_host_shares_the_hosts_name() -> None:
    oci = _build({"UTSMode": "host"}, config={"Domainname": "example.org"})
    assert "uts" not in _namespaces(oci)
    assert "hostname" not in oci and "domainname" not in oci


def test_domainname_is_set() -> None:
    assert _build({}, config={"Domainname": "example.org"})["domainname"] == "example.org"
    assert "domainname" not in _build({})


def _destinations(oci: dict[str, Any]) -> list[str]:
    return [m["destination"] for m in oci["mounts"]]


def test_engine_files_are_mounted_after_a_mount_of_etc() -> None:
    volume = {"destination": "/etc", "type": "bind", "source": "/v/etc",
              "options": ["rbind", "rw", "rprivate"]}
    sbin = {"destination": "/sbin", "type": "bind", "source": "/v/sbin",
            "options": ["rbind", "rw", "rprivate"]}
    dests = _destinations(_build({"Init": True}, extra_mounts=[volume, sbin]))
    for engine_file in ("/etc/hostname", "/etc/hosts", "/etc/resolv.conf"):
        assert dests.index("/etc") < dests.index(engine_file)
    assert dests.index("/sbin") < dests.index(spec.INIT_PATH)
    assert dests[:7] == ["/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue",
                         "/dev/shm"]


def test_parents_are_mounted_before_their_children() -> None:
    child = {"destination": "/data/sub", "type": "bind", "source": "/a",
             "options": ["rbind", "rprivate"]}
    parent = {"destination": "/data", "type": "bind", "source": "/b",
              "options": ["rbind", "rprivate"]}
    dests = _destinations(_build({}, extra_mounts=[child, parent]))
    assert dests.index("/data") < dests.index("/data/sub")


def test_a_user_mount_on_an_engine_file_replaces_it() -> None:
    hosts = {"destination": "/etc/hosts", "type": "bind", "source": "/mine",
             "options": ["rbind", "rprivate"]}
    oci = _build({}, extra_mounts=[hosts])
    assert [m["source"] for m in oci["mounts"] if m["destination"] == "/etc/hosts"] == ["/mine"]
