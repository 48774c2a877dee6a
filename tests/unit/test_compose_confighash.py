"""The config hash equals docker compose v2's (golden hashes from ``docker compose config
--hash``, 2.26.1 with compose-go 2.4.8), and Go's JSON details behind it."""

from __future__ import annotations

from pathlib import Path

from skiff.api.timefmt import go_duration
from skiff.compose import gojson
from skiff.compose.confighash import config_hash
from skiff.compose.loader import Options, load

COMPOSE = """
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo <hi> & bye"]
    environment: {A: "1"}
    ports: ["8080:80", "127.0.0.1::81/udp"]
    volumes: [data:/data]
    healthcheck: {test: ["CMD", "true"], interval: 90s, timeout: 1500ms, retries: 3}
    deploy: {replicas: 2, resources: {limits: {cpus: "0.5", memory: 64M}}}
    ulimits: {nofile: {soft: 100, hard: 200}, nproc: 10}
    extra_hosts: ["h:1.2.3.4"]
    links: [db]
  db:
    image: busybox
    entrypoint: sleep 100
    stop_grace_period: 250us
volumes:
  data: {}
"""


def test_hash_equals_compose_v2(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    project = load(Options(cwd=str(tmp_path), environ={})).project
    assert {n: config_hash(s) for n, s in project.services.items()} == {
        "db": "d6c1a88e4fd72895fc3ffead52fccc84e3fd924b3eaf197e1b9671c2034e640e",
        "web": "d5aed14403936dd6b59810221744dc7586bb5e8d8d7125bdf5d154cdfcf641e8",
    }


def test_go_durations() -> None:
    cases = {0: "0s", 999: "999ns", 250_000: "250µs", 1_500_000: "1.5ms",
             1_500_000_000: "1.5s", 90 * 10**9: "1m30s", 3600 * 10**9: "1h0m0s",
             -2 * 10**9: "-2s", 3723_000_000_001: "1h2m3.000000001s"}
    assert {ns: go_duration(ns) for ns in cases} == cases


def test_go_float32() -> None:
    assert [gojson.float32(x) for x in (0.5, 0.1, 1.5, 3.0, 0.3, 100000.0, 1e-7, 1e21)] == [
        "0.5", "0.1", "1.5", "3", "0.3", "100000", "1e-07", "1e+21"]


def test_go_json_encoding() -> None:
    value = gojson.omit(("b", {"z": 1, "a": None}), ("a", "<&>\u2028"), ("e", ""), ("f", 0),
                        ("s", gojson.Struct()), ("p", gojson.Ptr(False)))
    assert gojson.dumps(value) == ('{"b":{"a":null,"z":1},"a":"\\u003c\\u0026\\u003e\\u2028",'
                                   '"s":{},"p":false}')
