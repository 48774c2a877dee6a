"""skiff.engine.containers.caps: the default set and CapAdd/CapDrop arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from skiff.engine.containers import caps
from skiff.errdefs import InvalidParameter


def test_capability_numbers_follow_the_kernel() -> None:
    # host_caps() slices ALL by /proc/sys/kernel/cap_last_cap, so the order must be the kernel's
    expected = {"CAP_CHOWN": 0, "CAP_KILL": 5, "CAP_SETPCAP": 8, "CAP_NET_ADMIN": 12,
                "CAP_NET_RAW": 13, "CAP_SYS_CHROOT": 18, "CAP_SYS_ADMIN": 21, "CAP_MKNOD": 27,
                "CAP_AUDIT_WRITE": 29, "CAP_SETFCAP": 31, "CAP_SYSLOG": 34,
                "CAP_AUDIT_READ": 37, "CAP_PERFMON": 38, "CAP_BPF": 39,
                "CAP_CHECKPOINT_RESTORE": 40}
    for name, number in expected.items():
        assert caps.ALL.index(name) == number
    assert len(set(caps.ALL)) == len(caps.ALL) == 41
    assert set(caps.DEFAULT) <= set(caps.ALL)
    assert len(caps.DEFAULT) == 14


def test_host_caps_are_the_daemons_bounding_set() -> None:
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    status = Path("/proc/self/status").read_text()
    bounding = int(next(line for line in status.splitlines()
                        if line.startswith("CapBnd:")).split()[1], 16)
    expected = tuple(c for bit, c in enumerate(caps.ALL[: last + 1]) if bounding >> bit & 1)
    assert caps.host_caps() == expected


class _FakePath:
    def __init__(self, text: str) -> None:
        self._text = text

    def __call__(self, _path: str) -> _FakePath:
        return self

    def read_text(self) -> str:
        return self._text


def test_host_caps_on_an_older_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caps, "Path", _FakePath("37\n"))
    assert caps.host_caps()[-1] == "CAP_AUDIT_READ"
    assert "CAP_BPF" not in caps.effective(["BPF"], None, False)
    assert "CAP_BPF" not in caps.effective(None, None, True)


@pytest.mark.parametrize(("name", "normal"), [("chown", "CAP_CHOWN"), ("CAP_CHOWN", "CAP_CHOWN"),
                                              ("net_admin", "CAP_NET_ADMIN"),
                                              (" sys_admin ", "CAP_SYS_ADMIN"),
                                              ("cap_bpf", "CAP_BPF"), ("all", "ALL"),
                                              ("ALL", "ALL")])
def test_normalize(name: str, normal: str) -> None:
    assert caps.normalize(name) == normal


@pytest.mark.parametrize("name", ["", "CAP_", "FOO", "CAP_FOO", "CAP_ALL"])
def test_normalize_refuses_unknown(name: str) -> None:
    with pytest.raises(InvalidParameter):
        caps.normalize(name)


def test_default_set() -> None:
    assert caps.effective(None, None, False) == list(caps.DEFAULT)
    assert caps.effective([], [], False) == list(caps.DEFAULT)


def test_privileged_gets_every_host_capability() -> None:
    assert caps.effective(["CHOWN"], ["ALL"], True) == list(caps.host_caps())


def test_drop_and_add() -> None:
    result = caps.effective(["SYS_ADMIN", "net_admin"], ["NET_RAW", "cap_mknod"], False)
    assert "CAP_NET_RAW" not in result
    assert "CAP_MKNOD" not in result
    assert result[-2:] == ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"]
    assert len(result) == len(caps.DEFAULT) - 2 + 2


def test_adding_a_default_does_not_duplicate_it() -> None:
    result = caps.effective(["CHOWN"], None, False)
    assert result.count("CAP_CHOWN") == 1


def test_drop_all_then_add() -> None:
    assert caps.effective(["CHOWN", "KILL"], ["ALL"], False) == ["CAP_CHOWN", "CAP_KILL"]
    assert caps.effective(None, ["all"], False) == []


def test_add_all_minus_drops() -> None:
    result = caps.effective(["ALL"], ["SYS_ADMIN"], False)
    assert result == [c for c in caps.host_caps() if c != "CAP_SYS_ADMIN"]


def test_add_and_drop_of_the_same_capability_keeps_it() -> None:
    # moby TweakCapabilities: drop from the defaults, then append the adds
    assert "CAP_SYS_ADMIN" in caps.effective(["SYS_ADMIN"], ["SYS_ADMIN"], False)
    assert "CAP_CHOWN" in caps.effective(["CHOWN"], ["CHOWN"], False)


def test_unknown_capability_in_add_or_drop() -> None:
    with pytest.raises(InvalidParameter):
        caps.effective(["NOPE"], None, False)
    with pytest.raises(InvalidParameter):
        caps.effective(None, ["NOPE"], False)
