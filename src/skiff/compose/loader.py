"""From compose files to a validated project, in compose v2's order: find the files, read the
variables (shell over ``.env``/``--env-file``), parse, interpolate, make short syntaxes long,
merge the files, apply ``extends`` and ``include``, name the project, select the profiles, give
each service its environment (``env_file`` then ``environment``), add the default network, and
validate the model and its references."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skiff.compose import canonical, dotenv, interpolation, merge, yamlfile
from skiff.compose.canonical import ComposeError
from skiff.compose.interpolation import Use, Variable
from skiff.compose.model import Project, replace, validate

NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
OVERRIDES = {name: name.replace(".y", ".override.y") for name in NAMES}


@dataclass(frozen=True)
class Options:
    """What the command line (and its environment) asked to load."""

    files: tuple[str, ...] = ()
    project_directory: str | None = None
    project_name: str | None = None
    env_files: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    services: tuple[str, ...] = ()  # services named on the command line: enabled whatever
    # their profiles
    interpolate: bool = True
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: str = field(default_factory=os.getcwd)


@dataclass
class Loaded:
    project: Project
    files: list[Path]
    working_dir: Path
    variables: dict[str, Variable]
    uses: list[Use]
    disabled: dict[str, Any]  # services left out by their profiles, as loaded
    env_origins: dict[str, dict[str, str]]  # service -> variable -> where its value came from


def discover(cwd: Path) -> list[Path]:
    """The compose file in ``cwd`` or the nearest parent, and its override file."""
    for directory in (cwd, *cwd.parents):
        for name in NAMES:
            path = directory / name
            if path.is_file():
                override = directory / OVERRIDES[name]
                return [path, *([override] if override.is_file() else [])]
    raise ComposeError("no configuration file provided: not found")


def normalize_name(name: str) -> str:
    """compose's project name from any text: lower case, only [a-z0-9_-]."""
    return re.sub(r"[^a-z0-9_-]", "", name.lower())


def _check_name(name: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise ComposeError(f"invalid project name {name!r}: must consist only of lowercase "
                           f"alphanumeric characters, hyphens, and underscores as well as "
                           f"start with a letter or number")
    return name


def _files(options: Options, variables: Mapping[str, Variable]) -> list[Path]:
    cwd = Path(options.cwd)
    names = list(options.files)
    if not names and (given := variables.get("COMPOSE_FILE")):
        separator = variables.get("COMPOSE_PATH_SEPARATOR")
        names = [n for n in given.value.split(separator.value if separator else os.pathsep)
                 if n]
    if not names:
        base = Path(options.project_directory) if options.project_directory else cwd
        return discover(base if base.is_absolute() else cwd / base)
    paths = [(cwd / n).resolve() if n != "-" else Path("-") for n in names]
    for path in paths:
        if str(path) != "-" and not path.is_file():
            raise ComposeError(f"open {path}: no such file or directory")
    return paths


def _variables(options: Options, working_dir: Path) -> dict[str, Variable]:
    """Interpolation's variables: the ``--env-file`` files (or the project's ``.env``) under
    the shell's environment."""
    out: dict[str, Variable] = {}
    files = [Path(options.cwd) / f for f in options.env_files] or \
        [p for p in [working_dir / ".env"] if p.is_file()]
    for path in files:
        if not path.is_file():
            raise ComposeError(f"couldn't find env file: {path}")
        values = dotenv.load(path, lambda name: options.environ.get(name))
        out.update({k: Variable(v, "env-file", str(path)) for k, v in values.items()})
    out.update({k: Variable(v, "shell") for k, v in options.environ.items()})
    return out


def _resolve_paths(service: dict[str, Any], base: Path) -> None:
    """Relative paths of a service made absolute against the directory of its file."""
    build = service.get("build")
    if isinstance(build, dict):
        context = str(build.get("context") or ".")
        if "://" not in context and not context.startswith("git@"):
            build["context"] = str((base / os.path.expanduser(context)).resolve())
    for mount in service.get("volumes") or []:
        if isinstance(mount, dict) and mount.get("type") == "bind" and mount.get("source"):
            mount["source"] = str((base / os.path.expanduser(mount["source"])).resolve())
    for entry in service.get("env_file") or []:
        if isinstance(entry, dict):
            entry["path"] = str(base / os.path.expanduser(entry["path"]))
    if isinstance(service.get("label_file"), list):
        service["label_file"] = [str(base / os.path.expanduser(str(f)))
                                 for f in service["label_file"]]
    develop = service.get("develop")
    for rule in (develop.get("watch") or []) if isinstance(develop, dict) else []:
        if isinstance(rule, dict) and rule.get("path"):
            rule["path"] = os.path.normpath(base / os.path.expanduser(str(rule["path"])))


def _top_paths(tree: dict[str, Any], base: Path) -> None:
    for kind in ("secrets", "configs"):
        for spec in (tree.get(kind) or {}).values():
            if isinstance(spec, dict) and spec.get("file"):
                spec["file"] = str((base / os.path.expanduser(spec["file"])).resolve())


class _Reader:
    """Parses, interpolates and makes long one file at a time, remembering each for
    ``extends`` of other files."""

    def __init__(self, variables: dict[str, Variable], interpolate: bool) -> None:
        self.variables, self.interpolate = variables, interpolate
        self.uses: list[Use] = []
        self._cache: dict[Path, dict[str, Any]] = {}

    def lookup(self, name: str) -> Variable | None:
        return self.variables.get(name)

    def read(self, path: Path, base: Path, text: str | None = None) -> dict[str, Any]:
        key = path.resolve() if str(path) != "-" else path
        if key in self._cache:
            return self._cache[key]
        tree = yamlfile.parse(text, str(path)) if text is not None else yamlfile.load(path)
        if self.interpolate:
            tree = interpolation.interpolate(tree, self.lookup, self.uses)
        for kind in ("services", "networks", "volumes", "secrets", "configs"):
            if not isinstance(tree.get(kind) or {}, dict):
                raise ComposeError(f"validating {path}: {kind} must be a mapping")
        services = tree.get("services") or {}
        tree["services"] = {str(name): canonical.service(str(name), spec, str(path))
                            for name, spec in services.items()}
        for spec in tree["services"].values():
            _resolve_paths(spec, base)
        _top_paths(tree, base)
        self._cache[key] = tree
        return tree


def _extends(tree: dict[str, Any], reader: _Reader, file: Path,
             seen: tuple[str, ...] = ()) -> None:
    """Each service's ``extends`` applied: the service it names (in this file or another),
    with this one merged onto it."""
    services: dict[str, Any] = tree.get("services") or {}
    for name in list(services):
        services[name] = _extended(name, services, reader, file, seen)


def _extended(name: str, services: dict[str, Any], reader: _Reader, file: Path,
              seen: tuple[str, ...]) -> dict[str, Any]:
    spec = services[name]
    ext = spec.get("extends") if isinstance(spec, dict) else None
    if ext is None:
        return spec  # type: ignore[no-any-return]
    marker = f"{file}:{name}"
    if marker in seen:
        raise ComposeError(f"circular reference with extends in service {name!r}")
    base_name = ext if isinstance(ext, str) else ext.get("service")
    other = ext.get("file") if isinstance(ext, dict) else None
    if other:
        path = (file.parent / other).resolve()
        pool = reader.read(path, path.parent)["services"]
        where = path
    else:
        pool, where = services, file
    if base_name not in pool:
        raise ComposeError(f"cannot extend service {name!r} in {file}: service "
                           f"{base_name!r} not found in {where}")
    base = _extended(base_name, pool, reader, where, (*seen, marker))
    base = {k: v for k, v in base.items() if k not in ("depends_on", "extends")} \
        if other else {k: v for k, v in base.items() if k != "extends"}
    own = {k: v for k, v in spec.items() if k != "extends"}
    return merge.merge(base, own, ("services", name))  # type: ignore[no-any-return]


def _include(tree: dict[str, Any], options: Options, base: Path, variables: dict[str, Variable],
             depth: int = 0) -> None:
    """The projects ``include`` names, loaded on their own and copied in; a resource defined
    twice is an error."""
    if depth > 10:
        raise ComposeError("include: too many levels")
    for item in tree.pop("include", None) or []:
        spec = {"path": item} if isinstance(item, str) else dict(item)
        paths = spec["path"] if isinstance(spec["path"], list) else [spec["path"]]
        files = [(base / p).resolve() for p in paths]
        directory = (base / spec["project_directory"]).resolve() \
            if spec.get("project_directory") else files[0].parent
        local = dict(variables)
        env_files = spec.get("env_file") or []
        env_files = [env_files] if isinstance(env_files, str) else env_files
        for env in [base / e for e in env_files] or [directory / ".env"]:
            if env.is_file():
                for k, v in dotenv.load(env, lambda n: options.environ.get(n)).items():
                    if k not in options.environ:
                        local[k] = Variable(v, "env-file", str(env))
        reader = _Reader(local, options.interpolate)
        merged: dict[str, Any] = {}
        for path in files:
            if not path.is_file():
                raise ComposeError(f"include: open {path}: no such file or directory")
            merged = merge.merge(merged, reader.read(path, directory))
        _extends(merged, reader, files[0])
        _include(merged, options, directory, local, depth + 1)
        for kind in ("services", "networks", "volumes", "secrets", "configs"):
            for key, value in (merged.get(kind) or {}).items():
                mine = tree.setdefault(kind, {}) or {}
                tree[kind] = mine
                if key in mine:
                    raise ComposeError(f"{kind}.{key} conflicts with imported resource")
                mine[key] = value


def _environment(name: str, spec: dict[str, Any], variables: Mapping[str, Variable],
                 origins: dict[str, str]) -> dict[str, str | None]:
    """A container's environment: its ``env_file`` files in order, then ``environment``;
    a variable named without a value takes the shell's (or ``.env``'s), or stays without one
    (``None``: not in the container, but in the config hash, overriding an ``env_file``
    value, as compose v2 has it)."""
    env: dict[str, str | None] = {}

    def lookup(name: str) -> str | None:
        return variables[name].value if name in variables else None

    for entry in spec.get("env_file") or []:
        path = Path(entry["path"])
        if not path.is_file():
            if entry.get("required", True):
                raise ComposeError(f"env file {path} not found: stat {path}: no such file or "
                                   f"directory")
            continue
        for key, value in dotenv.load(path, lookup).items():
            env[key] = value
            origins[key] = f"env_file {path}"
    for key, value in (spec.get("environment") or {}).items():
        if value is None:
            if key in variables:
                env[key] = variables[key].value
                origins[key] = f"environment (from {variables[key].source})"
            else:
                env[key] = None
                origins.pop(key, None)
            continue
        env[key] = value
        origins[key] = "environment"
    return env


def _labels(spec: dict[str, Any]) -> dict[str, Any]:
    """A service's labels: its ``label_file`` files' in order, then its own, as compose
    reads them (the files are then dropped)."""
    labels: dict[str, Any] = {}
    for path in spec.pop("label_file", None) or []:
        labels.update(dotenv.load(Path(path), lambda name: labels.get(name)))
    labels.update(spec.get("labels") or {})
    return labels


def _implied_dependencies(spec: dict[str, Any]) -> None:
    """The services a service's ``links``, ``service:`` namespaces and ``volumes_from`` name
    become dependencies it starts after, as compose-go makes them (restarted with it, but for
    ``volumes_from``), unless ``depends_on`` names them already."""
    implied: dict[str, bool] = {}
    for link in spec.get("links") or []:
        implied.setdefault(str(link).split(":")[0], True)
    for key in ("network_mode", "ipc", "pid", "uts", "cgroup"):
        value = spec.get(key)
        if isinstance(value, str) and value.startswith("service:"):
            implied.setdefault(value.removeprefix("service:"), True)
    for source in spec.get("volumes_from") or []:
        if not str(source).startswith("container:"):
            implied.setdefault(str(source).split(":")[0], False)
    if implied:
        depends = dict(spec.get("depends_on") or {})
        for name, restart in implied.items():
            depends.setdefault(name, {"condition": "service_started", "restart": restart,
                                      "required": True})
        spec["depends_on"] = depends


def _active(spec: dict[str, Any], profiles: set[str]) -> bool:
    wanted = set(spec.get("profiles") or [])
    return not wanted or "*" in profiles or bool(wanted & profiles)


def _check_references(project: Project) -> None:
    for name, service in project.services.items():
        for dep, condition in service.depends_on.items():
            if dep not in project.services and condition.required:
                raise ComposeError(f"service {name!r} depends on undefined service {dep!r}: "
                                   f"invalid compose project")
        for network in service.networks:
            if network not in project.networks:
                raise ComposeError(f"service {name!r} refers to undefined network {network}: "
                                   f"invalid compose project")
        for mount in service.volumes:
            if mount.type == "volume" and mount.source and mount.source not in project.volumes:
                raise ComposeError(f"service {name!r} refers to undefined volume "
                                   f"{mount.source}: invalid compose project")
        for kind, refs, pool in (("secret", service.secrets, project.secrets),
                                 ("config", service.configs, project.configs)):
            for ref in refs:
                if ref.source not in pool:
                    raise ComposeError(f"service {name!r} refers to undefined {kind} "
                                       f"{ref.source}: invalid compose project")


def load(options: Options, stdin: str | None = None) -> Loaded:
    """The project the options describe, or a one-line error naming what is wrong."""
    cwd = Path(options.cwd)
    shell = {k: Variable(v, "shell") for k, v in options.environ.items()}
    files = _files(options, shell)
    first = files[0] if str(files[0]) != "-" else cwd / "-"
    working_dir = (cwd / options.project_directory).resolve() if options.project_directory \
        else first.parent
    variables = _variables(options, working_dir)
    if not options.files and "COMPOSE_FILE" in variables and "COMPOSE_FILE" not in shell:
        files = _files(options, variables)
    reader = _Reader(variables, options.interpolate)
    tree: dict[str, Any] = {}
    for path in files:  # each file's extends applied on its own, then the files merged
        one = reader.read(path, working_dir, stdin if str(path) == "-" else None)
        _extends(one, reader, path if str(path) != "-" else first)
        tree = merge.merge(tree, one)
    tree = merge.strip(tree)
    _include(tree, options, working_dir, variables)
    given = options.project_name or (variables["COMPOSE_PROJECT_NAME"].value
                                     if "COMPOSE_PROJECT_NAME" in variables else "")
    name = _check_name(given) if given else \
        _check_name(str(tree["name"])) if tree.get("name") else \
        normalize_name(working_dir.name) or "default"
    profiles = set(options.profiles) or {p for p in (variables["COMPOSE_PROFILES"].value
                                                     if "COMPOSE_PROFILES" in variables
                                                     else "").split(",") if p}
    services: dict[str, Any] = tree.get("services") or {}
    disabled = {n: s for n, s in services.items()
                if not _active(s, profiles) and n not in options.services}
    services = {n: s for n, s in services.items() if n not in disabled}
    origins: dict[str, dict[str, str]] = {}
    networks = dict(tree.get("networks") or {})
    for sname, spec in services.items():
        spec["name"] = sname
        if not options.interpolate:
            continue
        origins[sname] = {}
        spec["environment"] = _environment(sname, spec, variables, origins[sname])
        spec.pop("env_file", None)
    for spec in services.values():
        _implied_dependencies(spec)
        if spec.get("label_file"):
            spec["labels"] = _labels(spec)
        if not spec.get("networks") and not spec.get("network_mode"):
            spec["networks"] = {"default": None}
    if any("default" in (s.get("networks") or {}) for s in services.values()):
        networks.setdefault("default", None)
    tree["services"] = services
    tree["networks"] = {k: _named(name, k, v) for k, v in networks.items()}
    for kind in ("volumes", "secrets", "configs"):
        tree[kind] = {k: _named(name, k, v) for k, v in (tree.get(kind) or {}).items()}
    tree["name"] = name
    label = ", ".join(str(f) for f in files)
    project = validate(tree, label)
    _check_references(project)
    project = _without_unused(project)
    return Loaded(project, files, working_dir, variables, reader.uses, disabled, origins)


def _without_unused(project: Project) -> Project:
    """The project without the networks, volumes, secrets and configs none of its (enabled)
    services uses: compose neither makes nor shows them."""
    services = project.services.values()
    networks = {n for s in services for n in s.networks}
    volumes = {m.source for s in services for m in s.volumes if m.type == "volume"}
    secrets = {r.source for s in services for r in s.secrets}
    secrets |= {str(x.get("source") if isinstance(x, dict) else x)
                for s in services if s.build for x in s.build.secrets}
    configs = {r.source for s in services for r in s.configs}
    return replace(project, **{
        "networks": {k: v for k, v in project.networks.items() if k in networks},
        "volumes": {k: v for k, v in project.volumes.items() if k in volumes},
        "secrets": {k: v for k, v in project.secrets.items() if k in secrets},
        "configs": {k: v for k, v in project.configs.items() if k in configs}})


def _named(project: str, key: str, given: Any) -> dict[str, Any]:
    """A network's, volume's, secret's or config's name: its own, else ``<project>_<key>``
    (an external one is named as it is)."""
    spec: dict[str, Any] = dict(given or {})
    external = spec.get("external")
    if isinstance(external, dict):  # the obsolete external.name
        spec["external"] = True
        spec.setdefault("name", external.get("name") or key)
    if not spec.get("name"):
        spec["name"] = key if spec.get("external") else f"{project}_{key}"
    return spec
