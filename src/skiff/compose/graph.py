"""The services' dependency graph (``depends_on``, ``links``, ``network_mode: service:``,
``volumes_from: service``): checked for cycles, and walked with each service started once
those it needs are done (in reverse to stop), independent ones at the same time."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from skiff.compose.canonical import ComposeError
from skiff.compose.model import Service


def _needs(service: Service, names: set[str]) -> set[str]:
    needs = {d for d in service.depends_on if d in names}
    needs |= {link.partition(":")[0] for link in service.links} & names
    if service.network_mode and service.network_mode.startswith("service:"):
        needs.add(service.network_mode.partition(":")[2])
    needs |= {v.partition(":")[0] for v in service.volumes_from
              if not v.startswith("container:")} & names
    return needs


class Graph:
    def __init__(self, services: dict[str, Service]) -> None:
        names = set(services)
        self.needs = {name: _needs(s, names) for name, s in services.items()}
        self._check()

    def _check(self) -> None:
        state: dict[str, int] = {}

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = [*path[path.index(name):], name]
                raise ComposeError(f"dependency cycle detected: {' -> '.join(cycle)}")
            state[name] = 1
            for dep in sorted(self.needs[name]):
                visit(dep, [*path, name])
            state[name] = 2

        for name in sorted(self.needs):
            visit(name, [])

    def closure(self, names: Iterable[str]) -> set[str]:
        """These services and all they need, transitively."""
        out: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in out or name not in self.needs:
                continue
            out.add(name)
            todo.extend(self.needs[name])
        return out

    def dependents(self, names: Iterable[str]) -> set[str]:
        """These services and all that need them, transitively."""
        out = set(names)
        changed = True
        while changed:
            changed = False
            for name, needs in self.needs.items():
                if name not in out and needs & out:
                    out.add(name)
                    changed = True
        return out

    def order(self, reverse: bool = False) -> list[str]:
        """A topological order (dependencies first, or last with ``reverse``)."""
        done: list[str] = []
        pending = dict(self.needs)
        while pending:
            ready = sorted(n for n, needs in pending.items() if not (needs - set(done)))
            done.extend(ready)
            for name in ready:
                del pending[name]
        return done[::-1] if reverse else done

    def walk(self, action: Callable[[str], None], only: set[str] | None = None,
             reverse: bool = False, workers: int | None = None) -> None:
        """``action`` for each service (of ``only``), concurrently where the graph allows
        (at most ``workers`` at once; unlimited, as compose v2's default, when None); the first
        failure stops what has not started and is raised."""
        names = set(self.needs) if only is None else set(only) & set(self.needs)
        if reverse:
            after = {n: {m for m in names if n in self.needs[m]} for n in names}
        else:
            after = {n: self.needs[n] & names for n in names}
        done: set[str] = set()
        running: dict[Future[None], str] = {}
        failure: BaseException | None = None
        with ThreadPoolExecutor(max_workers=workers or max(len(names), 1)) as pool:
            while len(done) < len(names):
                if failure is None:
                    for name in sorted(names - done - set(running.values())):
                        if after[name] <= done:
                            running[pool.submit(action, name)] = name
                if not running:
                    break
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in finished:
                    name = running.pop(future)
                    error = future.exception()
                    if error is not None and failure is None:
                        failure = error
                    done.add(name)
        if failure is not None:
            raise failure
