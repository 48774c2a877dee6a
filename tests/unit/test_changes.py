"""skiff.engine.images.changes: Dockerfile instructions of ``docker import --change``."""

from __future__ import annotations

from typing import Any

import pytest

from skiff.engine.images import changes
from skiff.errdefs import InvalidParameter


def applied(*instructions: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = dict(config or {})
    for instruction in instructions:
        changes.apply(result, instruction)
    return result


def test_cmd_exec_and_shell_forms() -> None:
    assert applied('CMD ["sh"]') == {"Cmd": ["sh"]}
    assert applied('CMD ["echo", "a b"]') == {"Cmd": ["echo", "a b"]}
    assert applied("CMD echo hi there") == {"Cmd": ["/bin/sh", "-c", "echo hi there"]}


def test_invalid_json_falls_back_to_shell_form() -> None:
    assert applied("CMD [not json")["Cmd"] == ["/bin/sh", "-c", "[not json"]
    assert applied("CMD [1, 2]")["Cmd"] == ["/bin/sh", "-c", "[1, 2]"]


def test_entrypoint() -> None:
    assert applied('ENTRYPOINT ["/bin/app", "-x"]') == {"Entrypoint": ["/bin/app", "-x"]}
    assert applied("ENTRYPOINT exec app") == {"Entrypoint": ["/bin/sh", "-c", "exec app"]}


def test_instructions_are_case_insensitive() -> None:
    assert applied('cmd ["sh"]', "workdir /x") == {"Cmd": ["sh"], "WorkingDir": "/x"}


def test_env_forms() -> None:
    assert applied("ENV A=b")["Env"] == ["A=b"]
    assert applied("ENV A b c")["Env"] == ["A=b c"]
    assert applied("ENV A=1 B=2")["Env"] == ["A=1", "B=2"]
    assert applied('ENV A="x y" B=z')["Env"] == ["A=x y", "B=z"]
    assert applied("ENV A=")["Env"] == ["A="]


def test_env_replaces_an_existing_key() -> None:
    result = applied("ENV A=2", config={"Env": ["PATH=/bin", "A=1"]})
    assert result["Env"] == ["PATH=/bin", "A=2"]
    result = applied("ENV A=1", "ENV B=2", "ENV A=3")
    assert sorted(result["Env"]) == ["A=3", "B=2"]


def test_env_does_not_mutate_the_list_it_was_given() -> None:
    env = ["A=1"]
    changes.apply({"Env": env}, "ENV B=2")
    assert env == ["A=1"]


def test_label() -> None:
    assert applied("LABEL x=y")["Labels"] == {"x": "y"}
    assert applied('LABEL a=1 "b c"="d e"')["Labels"] == {"a": "1", "b c": "d e"}
    assert applied("LABEL a=1", "LABEL a=2 b=3")["Labels"] == {"a": "2", "b": "3"}
    assert applied("LABEL key some value")["Labels"] == {"key": "some value"}


def test_expose() -> None:
    assert applied("EXPOSE 80")["ExposedPorts"] == {"80/tcp": {}}
    assert applied("EXPOSE 80 53/udp 443/tcp")["ExposedPorts"] == {
        "80/tcp": {}, "53/udp": {}, "443/tcp": {}}
    assert applied("EXPOSE 80", "EXPOSE 81")["ExposedPorts"] == {"80/tcp": {}, "81/tcp": {}}


def test_expose_port_range_is_expanded() -> None:
    # dockerd parses EXPOSE with nat.ParsePortSpecs, which expands a range
    assert applied("EXPOSE 8000-8002")["ExposedPorts"] == {
        "8000/tcp": {}, "8001/tcp": {}, "8002/tcp": {}}


def test_volume() -> None:
    assert applied("VOLUME /data")["Volumes"] == {"/data": {}}
    assert applied('VOLUME ["/a", "/b"]')["Volumes"] == {"/a": {}, "/b": {}}
    assert applied("VOLUME /a /b")["Volumes"] == {"/a": {}, "/b": {}}


def test_scalar_instructions() -> None:
    assert applied("USER nobody:nogroup") == {"User": "nobody:nogroup"}
    assert applied("WORKDIR /tmp") == {"WorkingDir": "/tmp"}
    assert applied("STOPSIGNAL SIGKILL") == {"StopSignal": "SIGKILL"}
    assert applied("ONBUILD RUN echo", "ONBUILD RUN true") == {
        "OnBuild": ["RUN echo", "RUN true"]}


def test_all_brief_changes_together() -> None:
    result = applied('CMD ["sh"]', "ENV A=b", "LABEL x=y", "EXPOSE 80", "WORKDIR /tmp")
    assert result == {"Cmd": ["sh"], "Env": ["A=b"], "Labels": {"x": "y"},
                      "ExposedPorts": {"80/tcp": {}}, "WorkingDir": "/tmp"}


@pytest.mark.parametrize("instruction", ["RUN echo hi", "FROM busybox", "ADD a b", "COPY a b",
                                         "ARG x", "HEALTHCHECK NONE", "SHELL [\"sh\"]",
                                         "MAINTAINER me", "BOGUS x"])
def test_refused_instructions(instruction: str) -> None:
    with pytest.raises(InvalidParameter, match="is not a valid change command"):
        applied(instruction)


def test_env_without_arguments_is_refused() -> None:
    with pytest.raises(InvalidParameter):
        applied("ENV")


def test_env_blank_name_is_refused() -> None:
    # dockerd: "ENV names can not be blank"
    with pytest.raises(InvalidParameter, match="names can not be blank"):
        applied("ENV =b")


def test_label_blank_name_in_pair_list_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="names can not be blank"):
        applied("LABEL a=1 b")
