"""POST /build's query as dockerd reads it."""

from __future__ import annotations

import pytest

from skiff.api.buildoptions import from_query
from skiff.errdefs import InvalidParameter


@pytest.mark.parametrize(("query", "remove"), [
    ({}, True), ({"rm": "1"}, True), ({"rm": "False"}, False), ({"rm": "0"}, False),
    ({"rm": "0", "forcerm": "1"}, True)])
def test_step_containers_are_removed_unless_rm_is_false(query: dict[str, str],
                                                         remove: bool) -> None:
    assert from_query(query, []).remove is remove


def test_flags_and_json_parameters() -> None:
    options = from_query({"nocache": "1", "q": "true", "buildargs": '{"A": "1", "B": null}',
                          "labels": '{"l": "v"}', "cachefrom": '["x:1"]',
                          "extrahosts": "a:1.2.3.4,b:5.6.7.8", "shmsize": "1024"}, ["t:1"])
    assert options.no_cache and options.quiet and options.tags == ["t:1"]
    assert options.build_args == {"A": "1", "B": None} and options.labels == {"l": "v"}
    assert options.cache_from == ["x:1"] and options.shm_size == 1024
    assert options.extra_hosts == ["a:1.2.3.4", "b:5.6.7.8"]


def test_null_maps_and_lists_from_go_clients_are_empty() -> None:
    options = from_query({"buildargs": "null", "labels": "null", "cachefrom": "null"}, [])
    assert options.build_args == {} and options.labels == {} and options.cache_from == []


@pytest.mark.parametrize("query", [{"buildargs": "[1]"}, {"buildargs": "{"},
                                   {"cachefrom": '"x"'}])
def test_bad_parameters_are_refused(query: dict[str, str]) -> None:
    with pytest.raises(InvalidParameter):
        from_query(query, [])
