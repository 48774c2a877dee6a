"""Instructions that change only the image config (ENV, LABEL, CMD ...), applied as Docker's
builder applies them, and the ``created_by`` text each leaves in the history. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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


def nop(text: str) -> str:
    """``created_by`` of a config-only step, as the classic builder writes it."""
    return f"/bin/sh -c #(nop) {text}"


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


def declare_arg(state: StageState, instruction: Instruction) -> None:
    for word in instruction.args:
        name, sep, default = word.partition("=")
        given = state.build_args.get(name)
        if given is None and name in state.meta_args and not sep:
            given = state.meta_args[name]  # ARG NAME inside a stage takes the global value
        if given is None and sep:
            given = state.word(instruction, default)
        if given is not None:
            state.args[name] = given
        else:
            state.args.pop(name, None)


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
        return nop("ENV " + " ".join(shown))
    if keyword == "MAINTAINER":
        state.author = " ".join(instruction.args)
        return nop(f"MAINTAINER {state.author}")
    if keyword == "LABEL":
        labels = dict(config.get("Labels") or {})
        pairs = _pairs(state, instruction)
        labels.update(pairs)
        config["Labels"] = labels
        return nop("LABEL " + " ".join(f"{k}={v}" for k, v in pairs))
    if keyword in ("CMD", "ENTRYPOINT"):
        argv = command(state, instruction)
        config["Cmd" if keyword == "CMD" else "Entrypoint"] = argv
        if keyword == "ENTRYPOINT" and not instruction.json:
            config["Cmd"] = None  # a shell-form ENTRYPOINT drops the base's CMD
        return nop(f"{keyword} {json.dumps(argv)}")
    if keyword == "WORKDIR":
        path = state.word(instruction, instruction.args[0])
        if not path.startswith("/"):
            path = (config.get("WorkingDir") or "/").rstrip("/") + "/" + path
        config["WorkingDir"] = path
        return nop(f"WORKDIR {path}")
    if keyword == "USER":
        config["User"] = state.word(instruction, instruction.args[0])
        return nop(f"USER {config['User']}")
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
        return nop("EXPOSE " + " ".join(sorted(ports)))
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
        return nop(f"VOLUME {json.dumps(paths)}")
    if keyword == "STOPSIGNAL":
        config["StopSignal"] = state.word(instruction, instruction.args[0])
        return nop(f"STOPSIGNAL {config['StopSignal']}")
    if keyword == "SHELL":
        config["Shell"] = list(instruction.args)
        return nop(f"SHELL {json.dumps(list(instruction.args))}")
    if keyword == "HEALTHCHECK":
        config["Healthcheck"] = healthcheck(instruction)
        test = config["Healthcheck"]["Test"]
        return nop(f"HEALTHCHECK &{{{json.dumps(test)} ...}}" if test != ["NONE"]
                   else "HEALTHCHECK NONE")
    if keyword == "ONBUILD" and instruction.onbuild is not None:
        trigger = instruction.original.split(None, 1)[1] if " " in instruction.original else ""
        config["OnBuild"] = [*(config.get("OnBuild") or []), trigger]
        return nop(f"ONBUILD {trigger}")
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
