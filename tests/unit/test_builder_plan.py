"""Reading Dockerfiles (BuildKit's parser, Docker's checks) and planning their stages."""

from __future__ import annotations

import re

import pytest

from skiff.engine.builder.dockerfile import DockerfileError, parse
from skiff.engine.builder.stages import plan
from skiff.errdefs import InvalidParameter

MULTI = """\
# syntax=docker/dockerfile:1
ARG BASE=busybox
ARG TAG=${BASE}:latest
FROM ${TAG} AS deps
RUN sleep 3

FROM busybox AS assets
RUN sleep 3

FROM deps AS app
COPY --from=assets /a /a
RUN --mount=type=cache,target=/c --mount=type=bind,from=tools,target=/t true

FROM busybox AS tools
ARG USED
RUN true

FROM busybox AS unused
RUN false
"""


def test_instructions_keep_their_flags_lines_and_heredocs() -> None:
    parsed = parse("# escape=`\nFROM busybox\nCOPY --chown=1:1 --link <<EOF /a\nhi\nEOF\n"
                   "RUN --mount=type=cache,target=/x --mount=type=tmpfs,target=/t echo `\n ok\n"
                   "onbuild run echo later\n")
    assert parsed.directives.escape == "`"
    copy, run, onbuild = parsed.instructions[1:]
    assert (copy.keyword, copy.line, copy.args) == ("COPY", 3, ("<<EOF", "/a"))
    assert copy.flag("chown") == "1:1" and copy.switch("link") and not copy.switch("parents")
    assert copy.heredocs[0].content == "hi\n"
    assert run.flags["mount"] == ["type=cache,target=/x", "type=tmpfs,target=/t"]
    assert onbuild.keyword == "ONBUILD" and onbuild.onbuild and onbuild.onbuild.keyword == "RUN"


@pytest.mark.parametrize(("text", "message"), [
    ("FROM busybox\nFOO bar\n", "line 2: unknown instruction: FOO"),
    ("FROM busybox\nRUN --bogus=1 true\n", "line 2: unknown flag: bogus"),
    ("FROM busybox\nCOPY --from=a --from=b x y\n", "line 2: duplicate flag specified: from"),
    ("FROM busybox\nCOPY x\n", "line 2: COPY requires at least two arguments"),
    ("FROM a b\n", "line 1: FROM requires either one or three arguments"),
    ("FROM busybox\nUSER\n", "line 2: USER requires exactly one argument"),
    ("FROM busybox\nSHELL sh -c\n", "SHELL requires the arguments to be in JSON form"),
    ("FROM busybox\nONBUILD FROM x\n", "FROM isn't allowed as an ONBUILD trigger"),
    ("# escape=x\nFROM busybox\n", "invalid escape token"),
    ("FROM busybox\nRUN <<EOF\necho\n", "line 2: unterminated heredoc"),
])
def test_malformed_dockerfiles_name_the_line(text: str, message: str) -> None:
    with pytest.raises(DockerfileError, match=message):
        parse(text)


def test_a_boolean_flag_takes_true_or_false_only() -> None:
    copy = parse("FROM busybox\nCOPY --link=maybe x y\n").instructions[1]
    with pytest.raises(DockerfileError, match="line 2: expecting boolean value for flag link"):
        copy.switch("link")


def test_an_empty_dockerfile_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="cannot be empty"):
        parse("  \n")


def test_only_the_stages_the_target_needs_run_and_independent_ones_together() -> None:
    built = plan(parse(MULTI), {"USED": "1", "NOBODY": "x"}, target="app")
    assert [s.label for s in built.stages] == ["deps", "assets", "app", "tools"]
    assert [[s.label for s in level] for level in built.levels] == \
        [["deps", "assets", "tools"], ["app"]]
    assert built.stages[0].base == "busybox:latest"  # global ARGs, one using another
    assert built.target.label == "app" and built.target.base_stage == 0
    assert built.unused_args == ["NOBODY"]
    last = plan(parse(MULTI), {})
    assert [s.label for s in last.stages] == ["unused"]


def test_build_arguments_override_global_args_in_from() -> None:
    built = plan(parse(MULTI), {"TAG": "other:1"}, target="deps")
    assert built.stages[0].base == "other:1"


def test_from_names_an_image_when_no_stage_has_that_name() -> None:
    built = plan(parse("FROM busybox\nFROM busybox\nCOPY --from=alpine:3 /x /x\n"
                       "COPY --from=0 /y /y\n"), {})
    assert built.target.images == {"alpine:3"} and built.target.needs == {0}


@pytest.mark.parametrize(("text", "target", "message"), [
    ("FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nCOPY --from=a /y /y\n", "a",
     "circular dependency detected on stage: a"),
    ("FROM busybox AS a\nCOPY --from=a /x /x\n", None, "circular dependency"),
    ("FROM busybox AS a\nFROM busybox AS A\n", None, "duplicate stage name 'a'"),
    ("FROM busybox AS 1a\n", None, "invalid name for build stage"),
    ("FROM busybox AS a\n", "nope", "target stage 'nope' could not be found"),
    ("RUN true\n", None, "no build stage in current context"),
    ("FROM busybox\nCOPY --from=7 /x /x\n", None, "invalid stage index 7"),
    ("ARG X\nFROM ${X}\n", None, "base name (${X}) should not be blank"),
])
def test_bad_stage_graphs_are_refused(text: str, target: str | None, message: str) -> None:
    with pytest.raises(InvalidParameter, match=re.escape(message)):
        plan(parse(text), {}, target)
