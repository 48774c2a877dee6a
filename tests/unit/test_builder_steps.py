"""Config-only instructions and ARG scoping, as Docker's builder applies them."""

from __future__ import annotations

import pytest

from skiff.api.timefmt import go_duration
from skiff.engine.builder.dockerfile import DockerfileError, parse
from skiff.engine.builder.steps import (
    StageState,
    apply,
    declare_arg,
    duration,
    go_list,
    go_rune,
)


def _run(text: str, state: StageState | None = None) -> tuple[StageState, list[str]]:
    state = state or StageState({})
    shown = []
    for instruction in parse("FROM scratch\n" + text).instructions[1:]:
        if instruction.keyword == "ARG":
            declare_arg(state, instruction)
        else:
            shown.append(apply(state, instruction))
    return state, shown


def test_env_and_label_take_quotes_variables_and_the_old_form() -> None:
    state, shown = _run('ENV A=1 B="two words"\nENV C ${A}-$B\nLABEL "a b"=c d=$A\n')
    assert state.config["Env"] == ["A=1", "B=two words", "C=1-two words"]
    assert state.config["Labels"] == {"a b": "c", "d": "1"}
    assert shown[0] == "/bin/sh -c #(nop)  ENV A=1 B=two words"  # two words: "#(nop) ", text


def test_args_come_from_build_args_then_defaults_and_global_args_by_name() -> None:
    state = StageState({}, build_args={"GIVEN": "cli"}, meta_args={"GLOBAL": "g"})
    state, _ = _run("ARG GIVEN=default\nARG OTHER=d\nARG GLOBAL\nARG NOTHING\n"
                    "ENV SEEN=$GIVEN/$OTHER/$GLOBAL/${NOTHING:-unset}\n", state)
    assert state.args == {"GIVEN": "cli", "OTHER": "d", "GLOBAL": "g"}
    assert "SEEN=cli/d/g/unset" in state.config["Env"]
    assert state.run_env() == ["GIVEN=cli", "GLOBAL=g", "OTHER=d"]


def test_cmd_entrypoint_shell_and_workdir() -> None:
    state, _ = _run('SHELL ["/bin/ash", "-eo"]\nCMD echo hi\nWORKDIR /a\nWORKDIR b\n'
                    'ENTRYPOINT ["run"]\n')
    assert state.config["Cmd"] == ["/bin/ash", "-eo", "echo hi"]
    assert state.config["WorkingDir"] == "/a/b" and state.config["Entrypoint"] == ["run"]
    state, _ = _run("CMD [\"x\"]\nENTRYPOINT run it\n")
    assert state.config["Entrypoint"] == ["/bin/sh", "-c", "run it"]
    assert state.config["Cmd"] == ["x"]  # the stage set it: kept
    state, _ = _run("ENTRYPOINT [\"run\"]\n", StageState({"Cmd": ["sh"]}))
    assert state.config["Cmd"] is None  # the base's CMD goes with a new ENTRYPOINT


def test_expose_volume_stopsignal_user_onbuild_and_maintainer() -> None:
    state, _ = _run("EXPOSE 80 53/UDP 1000-1002\nVOLUME [\"/a\", \"/b\"]\nVOLUME /c\n"
                    "STOPSIGNAL SIGTERM\nUSER app:app\nONBUILD RUN echo later\n"
                    "MAINTAINER Ann\n")
    assert set(state.config["ExposedPorts"]) == {"80/tcp", "53/udp", "1000/tcp", "1001/tcp",
                                                 "1002/tcp"}
    assert set(state.config["Volumes"]) == {"/a", "/b", "/c"}
    assert state.config["StopSignal"] == "SIGTERM" and state.config["User"] == "app:app"
    assert state.config["OnBuild"] == ["RUN echo later"] and state.author == "Ann"


def test_healthcheck_forms_and_durations() -> None:
    state, _ = _run("HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s "
                    "--retries=4 CMD [\"true\"]\n")
    assert state.config["Healthcheck"] == {"Test": ["CMD", "true"], "Interval": 90 * 10**9,
                                           "Timeout": 5 * 10**8, "StartPeriod": 2 * 10**9,
                                           "Retries": 4}
    state, _ = _run("HEALTHCHECK NONE\n")
    assert state.config["Healthcheck"] == {"Test": ["NONE"]}


@pytest.mark.parametrize(("text", "message"), [
    ("HEALTHCHECK --interval=soon CMD true\n", "invalid duration"),
    ("HEALTHCHECK --retries=0 CMD true\n", "--retries must be at least 1"),
    ("HEALTHCHECK PING x\n", "Unknown type"),
    ("EXPOSE eighty\n", "invalid containerPort: eighty"),
    ("ENV A=${B:?required}\n", "B: required"),
    ("ENV A=${B:?two words}\n", "can't find = in"),
])
def test_bad_config_instructions_name_the_line(text: str, message: str) -> None:
    with pytest.raises(DockerfileError, match=f"line 2: .*{message}"):
        _run(text)


def test_durations_are_go_durations() -> None:
    instruction = parse("FROM scratch\n").instructions[0]
    assert duration(instruction, "interval", "1h2m3s") == (3600 + 120 + 3) * 10**9
    assert duration(instruction, "interval", "1.5s") == 1_500_000_000


@pytest.mark.parametrize(("ns", "text"), [
    (0, "0s"), (500 * 10**6, "500ms"), (1500, "1.5µs"), (5 * 10**9, "5s"),
    (90 * 10**9, "1m30s"), (3600 * 10**9 + 1, "1h0m0.000000001s")])
def test_durations_print_as_go_prints_them(ns: int, text: str) -> None:
    assert go_duration(ns) == text


def test_history_values_print_as_go_formats_them() -> None:
    assert go_list(["CMD-SHELL", 'say "hi"']) == '["CMD-SHELL" "say \\"hi\\""]'
    assert go_list(["/a", "/b"], quoted=False) == "[/a /b]"
    assert go_list(["tab\there", "é\x01"]) == '["tab\\there" "é\\x01"]'
    assert [go_rune(n) for n in (0, 3, 65, 39)] == ["'\\x00'", "'\\x03'", "'A'", "'\\''"]


def test_healthcheck_keeps_the_fields_it_leaves_unset_and_shows_only_its_own() -> None:
    state, shown = _run("HEALTHCHECK --interval=5s --retries=2 CMD true\n"
                        "HEALTHCHECK --timeout=1s CMD false\nHEALTHCHECK NONE\n")
    assert state.config["Healthcheck"] == {"Test": ["NONE"], "Interval": 5 * 10**9,
                                           "Timeout": 10**9, "Retries": 2}
    assert shown[1].endswith('HEALTHCHECK &{["CMD-SHELL" "false"] "0s" "1s" "0s" \'\\x00\'}')
