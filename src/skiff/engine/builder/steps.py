"""Instructions that change only the image config (ENV, LABEL, CMD ...), applied as Docker's
builder applies them, and the ``created_by`` text each leaves in the history. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from skiff.api.timefmt import go_duration
from skiff.engine.builder.dockerfile import DockerfileError, Instruction
from skiff.engine.builder.words import Expander, WordError

DEFAULT_SHELL = ["/bin/sh", "-c"]
DURATIONS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
             "m": 60_000_000_000, "h": 3_600_000_000_000}


@dataclass
class StageState:
    """A stage being built: its config so far and the build arguments it declared."""

    config: dict[str, Any]
    escape: str = "\\"
    args: dict[str, str] = field(default_factory=dict)  # declared ARGs with a value
    build_args: Mapping[str, str | None] = field(default_factory=dict)
    meta_args: Mapping[str, str | None] = field(default_factory=dict)
    author: str = ""  # MAINTAINER, kept at the image's top level
    cmd_set: bool = False  # whether this stage gave a CMD (an ENTRYPOINT keeps only that)

    def env(self) -> dict[str, str]:
        """What substitution sees: ARGs, overridden by ENV (as Docker's builder)."""
        env = dict(self.args)
        for item in self.config.get("Env") or []:
            key, _, value = item.partition("=")
            env[key] = value
        return env

    def expander(self) -> Expander:
        return Expander(self.env(), self.escape)

    def word(self, instruction: Instruction, text: str) -> str:
        try:
            return self.expander().word(text)
        except WordError as exc:
            raise DockerfileError(instruction.line, str(exc)) from None

    def words(self, instruction: Instruction, text: str) -> list[str]:
        try:
            return self.expander().words(text)
        except WordError as exc:
            raise DockerfileError(instruction.line, str(exc)) from None

    @property
    def shell(self) -> list[str]:
        return list(self.config.get("Shell") or DEFAULT_SHELL)

    def run_env(self) -> list[str]:
        """The build arguments a RUN sees besides the config's Env (not kept in the image)."""
        env_keys = {e.split("=", 1)[0] for e in self.config.get("Env") or []}
        return [f"{k}={v}" for k, v in sorted(self.args.items()) if k not in env_keys]


DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def nop(text: str, shell: list[str] | None = None) -> str:
    """``created_by`` of a config-only step as the classic builder writes it: the shell in
    effect, then ``#(nop) `` and the text as separate words (hence two spaces)."""
    return " ".join([*(shell or DEFAULT_SHELL), "#(nop) ", text])


def commit_nop(text: str, shell: list[str] | None = None) -> str:
    """``created_by`` of a step that commits a layer without running a command (COPY, ADD,
    WORKDIR): ``#(nop) COPY ...`` as one word."""
    return " ".join([*(shell or DEFAULT_SHELL), "#(nop) " + text])


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
               "\t": "\\t", "\v": "\\v", "\\": "\\\\"}


def _go_char(char: str, quote: str) -> str:
    if char == quote:
        return "\\" + char
    if char in _GO_ESCAPES:
        return _GO_ESCAPES[char]
    if char.isprintable():
        return char
    number = ord(char)
    if number < 0x80:
        return f"\\x{number:02x}"
    return f"\\u{number:04x}" if number < 0x10000 else f"\\U{number:08x}"


def go_quote(value: str) -> str:
    """Go's ``%q`` of a string (strconv.Quote: printable characters kept)."""
    return '"' + "".join(_go_char(c, '"') for c in value) + '"'


def go_list(values: list[str], quoted: bool = True) -> str:
    """Go's ``%q`` (or ``%v``) of a []string: ``["a" "b"]`` (or ``[a b]``)."""
    return "[" + " ".join(go_quote(v) if quoted else v for v in values) + "]"


def go_rune(number: int) -> str:
    """Go's ``%q`` of an integer: a quoted character literal (``'\x02'``)."""
    return "'" + _go_char(chr(number), "'") + "'"


def state_nop(state: StageState, text: str) -> str:
    return nop(text, state.shell)


def begin_stage(config: dict[str, Any]) -> dict[str, Any]:
    """A stage's starting config from its base's: without the base's Image, and with the
    default PATH when the base sets none (as dockerd does)."""
    config = dict(config)
    config.pop("Image", None)
    env = list(config.get("Env") or [])
    if not any(e.split("=", 1)[0] == "PATH" for e in env):
        config["Env"] = [*env, DEFAULT_PATH]
    return config


def _pairs(state: StageState, instruction: Instruction) -> list[tuple[str, str]]:
    args = instruction.args
    if len(args) % 2:
        raise DockerfileError(instruction.line, f"{instruction.keyword} must have two arguments")
    return [(state.word(instruction, args[i]), state.word(instruction, args[i + 1]))
            for i in range(0, len(args), 2)]


def command(state: StageState, instruction: Instruction) -> list[str]:
    """CMD, ENTRYPOINT and RUN: the exec form as written, the shell form under SHELL."""
    if instruction.json:
        return list(instruction.args)
    text = " ".join(instruction.args)
    return [*state.shell, text] if text else []


def declare_arg(state: StageState, instruction: Instruction) -> str:
    """Declare an ARG's names in the stage; return its ``created_by`` (the defaults as the
    Dockerfile gives them, after substitution)."""
    shown = []
    for word in instruction.args:
        name, sep, default = word.partition("=")
        if sep:
            default = state.word(instruction, default)
        shown.append(f"{name}={default}" if sep else name)
        given = state.build_args.get(name)
        if given is None and name in state.meta_args and not sep:
            given = state.meta_args[name]  # ARG NAME inside a stage takes the global value
        if given is None and sep:
            given = default
        if given is not None:
            state.args[name] = given
        else:
            state.args.pop(name, None)
    return state_nop(state, "ARG " + " ".join(shown))


def apply(state: StageState, instruction: Instruction) -> str:
    """Apply a config-only instruction; return its ``created_by``."""
    keyword, config = instruction.keyword, state.config
    if keyword == "ENV":
        env = list(config.get("Env") or [])
        shown = []
        for key, value in _pairs(state, instruction):
            env = [e for e in env if e.split("=", 1)[0] != key] + [f"{key}={value}"]
            shown.append(f"{key}={value}")
        config["Env"] = env
        return state_nop(state, "ENV " + " ".join(shown))
    if keyword == "MAINTAINER":
        state.author = " ".join(instruction.args)
        return state_nop(state, f"MAINTAINER {state.author}")
    if keyword == "LABEL":
        labels = dict(config.get("Labels") or {})
        pairs = _pairs(state, instruction)
        labels.update(pairs)
        config["Labels"] = labels
        return state_nop(state, "LABEL " + " ".join(f"{k}={v}" for k, v in pairs))
    if keyword in ("CMD", "ENTRYPOINT"):
        argv = command(state, instruction)
        config["Cmd" if keyword == "CMD" else "Entrypoint"] = argv
        if keyword == "CMD":
            state.cmd_set = True
        elif not state.cmd_set:
            config["Cmd"] = None  # an ENTRYPOINT drops a CMD this stage did not set
        return state_nop(state, f"{keyword} {go_list(argv)}")
    if keyword == "WORKDIR":
        path = state.word(instruction, instruction.args[0])
        if not path.startswith("/"):
            path = (config.get("WorkingDir") or "/").rstrip("/") + "/" + path
        config["WorkingDir"] = path
        return commit_nop(f"WORKDIR {path}", state.shell)
    if keyword == "USER":
        config["User"] = state.word(instruction, instruction.args[0])
        return state_nop(state, f"USER {config['User']}")
    if keyword == "EXPOSE":
        ports = dict(config.get("ExposedPorts") or {})
        words = [w for a in instruction.args for w in state.words(instruction, a)]
        for spec in words:
            port, _, proto = spec.partition("/")
            if not port.replace("-", "").isdigit():
                raise DockerfileError(instruction.line, f"invalid containerPort: {port}")
            start, _, end = port.partition("-")
            for number in range(int(start), int(end or start) + 1):
                ports[f"{number}/{(proto or 'tcp').lower()}"] = {}
        config["ExposedPorts"] = ports
        return state_nop(state, "EXPOSE " + " ".join(sorted(words)))
    if keyword == "VOLUME":
        volumes = dict(config.get("Volumes") or {})
        paths = list(instruction.args) if instruction.json else \
            [w for a in instruction.args for w in state.words(instruction, a)]
        for path in paths:
            if not path.strip():
                raise DockerfileError(instruction.line, "VOLUME specified can not be an empty "
                                                        "string")
            volumes[path] = {}
        config["Volumes"] = volumes
        return state_nop(state, f"VOLUME {go_list(paths, quoted=False)}")
    if keyword == "STOPSIGNAL":
        config["StopSignal"] = state.word(instruction, instruction.args[0])
        return state_nop(state, f"STOPSIGNAL {config['StopSignal']}")
    if keyword == "SHELL":
        config["Shell"] = list(instruction.args)
        return state_nop(state, f"SHELL {go_list(list(instruction.args), quoted=False)}")
    if keyword == "HEALTHCHECK":
        check = healthcheck(instruction)
        # dockerd's commit fills the fields a HEALTHCHECK leaves unset from the parent's
        config["Healthcheck"] = {**(config.get("Healthcheck") or {}), **check}
        fields = [go_list(check["Test"]),
                  *(go_quote(go_duration(check.get(k, 0)))
                    for k in ("Interval", "Timeout", "StartPeriod")),
                  go_rune(check.get("Retries", 0))]
        return state_nop(state, "HEALTHCHECK &{" + " ".join(fields) + "}")
    if keyword == "ONBUILD" and instruction.onbuild is not None:
        trigger = instruction.original.split(None, 1)[1] if " " in instruction.original else ""
        config["OnBuild"] = [*(config.get("OnBuild") or []), trigger]
        return state_nop(state, f"ONBUILD {trigger}")
    raise DockerfileError(instruction.line, f"{keyword} does not only change the config")


def healthcheck(instruction: Instruction) -> dict[str, Any]:
    args = list(instruction.args)
    kind = args[0].upper() if args else ""
    if kind == "NONE":
        if len(args) > 1:
            raise DockerfileError(instruction.line, "HEALTHCHECK NONE takes no arguments")
        return {"Test": ["NONE"]}
    if kind != "CMD" or len(args) < 2:
        raise DockerfileError(instruction.line, f"Unknown type {args[0] if args else ''!r} in "
                                                f"HEALTHCHECK (try CMD)")
    rest = args[1:]
    test = ["CMD", *rest] if instruction.json else ["CMD-SHELL", " ".join(rest)]
    check: dict[str, Any] = {"Test": test}
    for flag, key in (("interval", "Interval"), ("timeout", "Timeout"),
                      ("start-period", "StartPeriod"), ("start-interval", "StartInterval")):
        value = instruction.flag(flag)
        if value:
            check[key] = duration(instruction, flag, value)
    retries = instruction.flag("retries")
    if retries:
        if not retries.isdigit() or int(retries) < 1:
            raise DockerfileError(instruction.line, "--retries must be at least 1")
        check["Retries"] = int(retries)
    return check


def duration(instruction: Instruction, flag: str, text: str) -> int:
    """A Go duration (``30s``, ``1m30s``, ``500ms``) in nanoseconds."""
    total, number = 0, ""
    rest = text
    while rest:
        i = 0
        while i < len(rest) and (rest[i].isdigit() or rest[i] == "."):
            i += 1
        number, rest = rest[:i], rest[i:]
        unit = next((u for u in sorted(DURATIONS, key=len, reverse=True)
                     if rest.startswith(u)), None)
        if not number or unit is None:
            raise DockerfileError(instruction.line, f"time: invalid duration {text!r} for "
                                                    f"--{flag}")
        total += int(float(number) * DURATIONS[unit])
        rest = rest[len(unit):]
    return total
