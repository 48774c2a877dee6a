"""Tag templates, syslog framing and GELF chunking, without a container."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from skiff.drivers.logging import tag
from skiff.drivers.logging.base import LogContext
from skiff.drivers.logging.gelf import CHUNK, MAGIC, GelfDriver
from skiff.drivers.logging.records import RecordBatch
from skiff.drivers.logging.registry import LogDriverRegistry
from skiff.drivers.logging.syslog import SyslogDriver
from skiff.engine.containers.logs import resolve_config
from skiff.errdefs import InvalidParameter

CONTEXT = LogContext("a" * 64, "web-1", "sha256:" + "b" * 64, "shop/web:1", 0,
                     Path("/nonexistent"), {"team": "shop", "tier": "front"},
                     ["STAGE=prod", "SECRET=x"])


def test_tag_templates() -> None:
    assert tag.render("", CONTEXT) == "a" * 12
    assert tag.render("{{.Name}}/{{.ImageName}}/{{.ImageID}}", CONTEXT) == \
        f"web-1/shop/web:1/{'b' * 12}"
    assert tag.render("{{ .FullID }}-{{.DaemonName}}", CONTEXT) == "a" * 64 + "-docker"
    for bad, message in (("{{.ID", "unclosed action"), ("{{.Nope}}", "can't evaluate"),
                         ("{{upper .ID}}", 'function "upper" not defined')):
        with pytest.raises(InvalidParameter, match=message):
            tag.check(bad)


def test_labels_and_env_attributes() -> None:
    assert tag.extra_attributes({"labels": "team", "env-regex": "^ST"}, CONTEXT) == \
        {"team": "shop", "STAGE": "prod"}


def _never(_container_id: str, _count: int) -> None:
    pass


def test_syslog_framing() -> None:
    udp = SyslogDriver({"syslog-address": "udp://127.0.0.1:9", "syslog-format": "rfc5424"},
                       CONTEXT, _never, None)
    tcp = SyslogDriver({"syslog-address": "tcp://127.0.0.1:9", "syslog-format": "rfc5424",
                        "syslog-facility": "user"}, CONTEXT, _never, None)
    try:
        message = udp.frame("stdout", b"hi\n", 0)
        assert message.startswith(b"<30>1 ") and message.endswith(b" - hi")
        framed = tcp.frame("stderr", b"hi\n", 0)
        length, _, body = framed.partition(b" ")
        assert int(length) == len(body) and body.startswith(b"<11>1 ")  # user.err
    finally:
        udp.close()
        tcp.close()


def test_gelf_chunks_a_long_message() -> None:
    driver = GelfDriver({"gelf-address": "udp://127.0.0.1:9",
                         "gelf-compression-type": "none"}, CONTEXT, _never, None)
    try:
        document = driver.message("stdout", b"x" * 5000 + b"\n", 1_000_000_000)
        chunks = driver.frames(document)
        assert len(chunks) == -(-len(document) // CHUNK) > 1
        assert all(c.startswith(MAGIC) and c[11] == len(chunks) for c in chunks)
        assert {c[2:10] for c in chunks} == {chunks[0][2:10]}  # one message id
        assert json.loads(b"".join(c[12:] for c in chunks))["short_message"] == "x" * 5000
        assert driver.frames(b"x" * (CHUNK * 128 + 1)) == []  # past GELF's 128 chunks
        small = GelfDriver({"gelf-address": "udp://127.0.0.1:9"}, CONTEXT, _never, None)
        try:
            packed = small.frames(small.message("stderr", b"hi\n", 0))
            assert len(packed) == 1 and json.loads(gzip.decompress(packed[0]))["level"] == 3
        finally:
            small.close()
    finally:
        driver.close()


def test_gelf_counts_a_line_too_long_for_udp() -> None:
    dropped: list[int] = []
    driver = GelfDriver({"gelf-address": "udp://127.0.0.1:9",
                         "gelf-compression-type": "none"}, CONTEXT,
                        lambda _cid, count: dropped.append(count), None)
    try:
        stamp = b"2026-11-30T04:29:51.560429058+00:00"
        driver.log(RecordBatch(stamp + b" stdout F " + b"y" * (CHUNK * 130) + b"\n" +
                               stamp + b" stdout F short\n"))
    finally:
        driver.close()
    assert dropped == [1]


def test_a_new_containers_log_config() -> None:
    drivers = LogDriverRegistry()
    assert resolve_config({}, "local", {"max-size": "5m"}, drivers) == \
        {"Type": "local", "Config": {"max-size": "5m"}}
    assert resolve_config({"Type": "none", "Config": None}, "local", {"max-size": "5m"},
                          drivers) == {"Type": "none", "Config": {}}
    assert resolve_config({"Config": {"max-file": "2", "max-size": "1m"}}, "json-file", {},
                          drivers)["Config"] == {"max-file": "2", "max-size": "1m"}
    with pytest.raises(InvalidParameter, match="no log driver named 'nosuch'"):
        resolve_config({"Type": "nosuch"}, "json-file", {}, drivers)
