"""docker's output formatting: tabwriter, units, rows, --format handling."""

from __future__ import annotations

import time
from typing import Any

import pytest

from skiff.api.humanize import ram_in_bytes
from skiff.cli.format import containers, images
from skiff.cli.format.formatter import FormatError, render
from skiff.cli.format.jsonindent import indent_list
from skiff.cli.format.ports import displayable_ports
from skiff.cli.format.system import disk_usage_rows, event_line
from skiff.cli.format.table import tabwrite
from skiff.cli.format.units import (
    bytes_size,
    ellipsis,
    go_quote,
    human_duration,
    human_size,
    parse_go_duration,
    truncate_id,
)


def test_tabwriter_pads_cells_to_widest_plus_three_with_minimum_ten() -> None:
    text = "CONTAINER ID\tIMAGE\tNAMES\nabc\tbusybox:latest\tweb\n"
    assert tabwrite(text) == ("CONTAINER ID   IMAGE            NAMES\n"
                              "abc            busybox:latest   web\n")


def test_tabwriter_last_cell_and_empty_cells() -> None:
    assert tabwrite("A\t\tC\n") == "A                   C\n"
    assert tabwrite("x\n") == "x\n"


def test_tabwriter_aligns_column_blocks_separately() -> None:
    out = tabwrite("a\tb\tc\nlonger-than-ten\td\nx\n", minwidth=1, padding=1)
    assert out == "a               b c\nlonger-than-ten d\nx\n"
    out = tabwrite("a\tb\nx\nlonger\tc\n", minwidth=1, padding=1)
    assert out == "a b\nx\nlonger c\n"


@pytest.mark.parametrize(("size", "precision", "text"), [
    (0, 3, "0B"), (999, 3, "999B"), (4100, 3, "4.1kB"), (1982580, 3, "1.98MB"),
    (1982580, 4, "1.983MB"), (1_000_000_000, 4, "1GB"), (999_999, 3, "1e+03kB"),
])
def test_human_size_uses_decimal_units(size: int, precision: int, text: str) -> None:
    assert human_size(size, precision) == text


def test_bytes_size_and_ram_parsing() -> None:
    assert bytes_size(25276502016) == "23.54GiB"
    assert bytes_size(512) == "512B"
    assert ram_in_bytes("512m") == 512 * 1024 * 1024
    assert ram_in_bytes("1.5g") == int(1.5 * 1024 ** 3)
    assert ram_in_bytes("100") == 100
    with pytest.raises(ValueError):
        ram_in_bytes("lots")


@pytest.mark.parametrize(("seconds", "text"), [
    (0.4, "Less than a second"), (1, "1 second"), (59, "59 seconds"), (60, "About a minute"),
    (119, "About a minute"), (120, "2 minutes"), (3599, "59 minutes"), (3600, "About an hour"),
    (5400, "2 hours"), (47 * 3600, "47 hours"), (48 * 3600, "2 days"), (14 * 86400, "2 weeks"),
    (60 * 86400, "2 months"), (800 * 86400, "2 years"),
])
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_truncation_and_quoting() -> None:
    assert truncate_id("sha256:" + "a" * 64) == "a" * 12
    assert ellipsis("sh -c 'echo hi; exit 3'", 20) == "sh -c 'echo hi; exi…"
    assert ellipsis("short", 20) == "short"
    assert go_quote('say "hi"\n\x01é') == '"say \\"hi\\"\\n\\x01é"'


def test_go_durations() -> None:
    assert parse_go_duration("1h30m") == 5400
    assert parse_go_duration("500ms") == 0.5
    assert parse_go_duration("-2s") == -2
    with pytest.raises(ValueError):
        parse_go_duration("10")


def container(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "Id": "cacc91c8369030cc6b95b942b1aeb5ffc22c1569ca40717ed555a274436349f2",
        "Names": ["/ex"], "Image": "busybox", "Command": "sh -c 'echo hi; exit 3'",
        # a second ahead of now: "Less than a second ago" however long the test takes to render
        "Created": int(time.time()) + 1, "Status": "Exited (3) 2 seconds ago",
        "State": "exited",
        "Ports": [], "Labels": {"b": "2", "a": "1"}, "Mounts": [], "SizeRw": 0,
        "SizeRootFs": 1982580}
    base.update(overrides)
    return base


def test_ps_default_table_matches_docker_layout() -> None:
    rows = [containers.ContainerContext(container())]
    out = render("", rows, containers.DEFAULT, containers.HEADERS)
    assert out == (
        "CONTAINER ID   IMAGE     COMMAND                  CREATED                  "
        "STATUS                     PORTS     NAMES\n"
        "cacc91c83690   busybox   \"sh -c 'echo hi; exi…\"   Less than a second ago   "
        "Exited (3) 2 seconds ago             ex\n")


def test_ps_empty_table_prints_the_header_only() -> None:
    out = render("", [], containers.DEFAULT, containers.HEADERS,
                 empty=lambda: containers.ContainerContext({}))
    assert out == "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n"


def test_ps_fields_json_and_custom_table() -> None:
    row = containers.ContainerContext(container())
    assert render("{{.Names}} {{.Labels}} {{.Label \"a\"}} {{.Size}}", [row], "", {}) == \
        "ex a=1,b=2 1 0B (virtual 1.98MB)\n"
    assert render("{{.ID}}", [containers.ContainerContext(container(), trunc=False)], "",
                  {}) == container()["Id"] + "\n"
    json_line = render("json", [row], "", {})
    assert json_line.startswith('{"Command":"\\"sh -c \'echo hi; exi…\\"","CreatedAt":')
    table = render("table {{.Names}}\\t{{lower .Status}}\\t{{.Label \"a\"}}", [row],
                   containers.DEFAULT, containers.HEADERS)
    assert table == ("NAMES     STATUS                     a\n"
                     "ex        exited (3) 2 seconds ago   1\n")


def test_format_errors_are_docker_worded() -> None:
    with pytest.raises(FormatError) as info:
        render("{{.Foo}}", [], "", {}, empty=lambda: containers.ContainerContext({}))
    assert str(info.value) == ('failed to execute template: template: :1:2: executing "" at '
                               "<.Foo>: can't evaluate field Foo in type "
                               "*formatter.ContainerContext")
    with pytest.raises(FormatError, match='failed to parse template: template: :1: function'):
        render("{{foo}}", [], "", {})


def test_image_rows_per_tag_and_dangling() -> None:
    image = {"Id": "sha256:" + "f" * 64, "RepoTags": ["busybox:latest", "me/bb:1"],
             "RepoDigests": [], "Created": int(time.time()) - 120, "Size": 1982580,
             "SharedSize": -1, "Containers": -1}
    rows = images.image_rows(image, digests=False, trunc=True)
    out = render("", rows, images.DEFAULT, images.HEADERS)
    assert out == ("REPOSITORY   TAG       IMAGE ID       CREATED         SIZE\n"
                   "busybox      latest    ffffffffffff   2 minutes ago   1.98MB\n"
                   "me/bb        1         ffffffffffff   2 minutes ago   1.98MB\n")
    dangling = images.image_rows({**image, "RepoTags": []}, digests=False, trunc=True)
    assert [(r.Repository(), r.Tag()) for r in dangling] == [("<none>", "<none>")]
    assert dangling[0].Containers() == "N/A"


def test_ports_column() -> None:
    ports = [{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
             {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
             {"PrivatePort": 443, "Type": "tcp"}, {"PrivatePort": 444, "Type": "tcp"}]
    assert displayable_ports(ports) == "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp, 443-444/tcp"


def test_disk_usage_summary() -> None:
    df = {"LayersSize": 1982580,
          "Images": [{"Size": 1982580, "SharedSize": -1, "Containers": 1}],
          "Containers": [{"State": "running", "SizeRw": 0}, {"State": "exited", "SizeRw": 10}],
          "Volumes": [], "BuildCache": []}
    out = render("", disk_usage_rows(df), "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t"
                 "{{.Size}}\t{{.Reclaimable}}", {"Type": "TYPE", "TotalCount": "TOTAL",
                                                 "Active": "ACTIVE", "Size": "SIZE",
                                                 "Reclaimable": "RECLAIMABLE"})
    assert out.splitlines() == [
        "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE",
        "Images          1         1         1.983MB   1.983MB (100%)",
        "Containers      2         1         10B       10B (100%)",
        "Local Volumes   0         0         0B        0B",
        "Build Cache     0         0         0B        0B"]


def test_event_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    event = {"Type": "container", "Action": "die", "timeNano": 1796012619669028537,
             "Actor": {"ID": "abc", "Attributes": {"name": "ex", "exitCode": "3"}}}
    assert event_line(event) == ("2026-11-30T04:23:39.669028537Z container die abc "
                                 "(exitCode=3, name=ex)")


def test_inspect_json_is_reindented_verbatim() -> None:
    raw = '{"Id":"x","Args":["1"],"Empty":[],"Obj":{},"S":"a<b \\u00e9","N":1.50}'
    assert indent_list([raw]) == (
        '[\n    {\n        "Id": "x",\n        "Args": [\n            "1"\n        ],\n'
        '        "Empty": [],\n        "Obj": {},\n        "S": "a<b \\u00e9",\n'
        '        "N": 1.50\n    }\n]')
    assert indent_list([]) == "[]"
