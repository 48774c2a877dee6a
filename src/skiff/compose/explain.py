"""``skiff compose explain``: where every ``${VAR}`` got its value, which variables reach each
container and from where, the dependency graph with its health gates, and warnings about
what is risky in the project (what no compose tool tells you)."""

from __future__ import annotations

from skiff.compose.graph import Graph
from skiff.compose.loader import Loaded

SOURCES = {"shell": "the shell", "env-file": "env file", "default": "the default in the file",
           "unset": "unset: empty"}


def variables(loaded: Loaded) -> list[str]:
    lines = ["Variables:"]
    seen: dict[tuple[str, str], str] = {}
    for use in loaded.uses:
        origin = SOURCES.get(use.source, use.source)
        if use.source == "env-file":
            origin = f"{origin} {use.origin}"
        seen.setdefault((use.name, use.path), f"  ${{{use.name}}} at {use.path} = "
                                                f"{use.value or ''!r} ({origin})")
    lines += sorted(seen.values()) or ["  (none)"]
    return lines


def environments(loaded: Loaded) -> list[str]:
    lines = ["Container environments:"]
    for name in sorted(loaded.project.services):
        origins = loaded.env_origins.get(name, {})
        lines.append(f"  {name}:" + ("" if origins else " (none)"))
        for key in sorted(origins):
            lines.append(f"    {key} from {origins[key]}")
    return lines


def dependencies(loaded: Loaded) -> list[str]:
    project = loaded.project
    graph = Graph(project.services)
    lines = ["Start order and gates:"]
    for name in graph.order():
        service = project.services[name]
        gates = [f"{dep} {cond.condition.removeprefix('service_')}"
                 + (" (optional)" if not cond.required else "")
                 + (" (restarts with it)" if cond.restart else "")
                 for dep, cond in service.depends_on.items()]
        lines.append(f"  {name}" + (f" after: {', '.join(gates)}" if gates else ""))
    return lines


def warnings(loaded: Loaded) -> list[str]:
    project = loaded.project
    found = []
    for name, service in sorted(project.services.items()):
        for port in service.ports:
            if port.host_ip in (None, "", "0.0.0.0", "::"):
                found.append(f"  {name}: port {port.published or '(any)'}->{port.target} is "
                             f"published "
                             f"on every address of the host (give host_ip 127.0.0.1 to keep "
                             f"it local)")
        for dep, cond in service.depends_on.items():
            if cond.condition == "service_healthy":
                other = project.services.get(dep)
                if other is not None and other.healthcheck is None:
                    found.append(f"  {name}: waits for {dep} to be healthy, but {dep} has no "
                                 f"healthcheck in the file (its image must have one)")
        for mount in service.volumes:
            if mount.type == "bind" and mount.source and "secret" in mount.source.lower():
                found.append(f"  {name}: {mount.source} is bind-mounted: its owner and mode "
                             f"are the host's; a secret: entry copies it with uid/gid/mode")
        if service.privileged:
            found.append(f"  {name}: runs privileged")
    return ["Warnings:", *(found or ["  (none)"])]


def explain(loaded: Loaded) -> str:
    sections = [variables(loaded), environments(loaded), dependencies(loaded),
                warnings(loaded)]
    return "\n\n".join("\n".join(s) for s in sections) + "\n"
