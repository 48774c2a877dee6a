"""The pure parts of skiff compose: short syntaxes made long, the spec's merge rules, the
dependency graph and what reconcile decides."""

from __future__ import annotations

import threading
import time

import pytest

from skiff.compose import canonical
from skiff.compose.canonical import ComposeError
from skiff.compose.graph import Graph
from skiff.compose.merge import merge
from skiff.compose.model import Service, validate
from skiff.compose.observe import Observed
from skiff.compose.reconcile import Desired, Policy, service_actions
from skiff.compose.yamlfile import parse


def test_ports_short_syntax() -> None:
    assert canonical.port("127.0.0.1:8001:8001/udp", "p") == [
        {"mode": "ingress", "host_ip": "127.0.0.1", "target": 8001, "published": "8001",
         "protocol": "udp"}]
    assert [e["target"] for e in canonical.port("3000-3002", "p")] == [3000, 3001, 3002]
    assert [(e["published"], e["target"]) for e in canonical.port("9090-9091:8080-8081",
                                                                   "p")] == [
        ("9090", 8080), ("9091", 8081)]
    assert canonical.port("[::1]:6001:6001", "p")[0]["host_ip"] == "::1"
    assert canonical.port("8000-9000:80", "p")[0]["published"] == "8000-9000"
    with pytest.raises(ComposeError):
        canonical.port("90-80", "p")


def test_volumes_short_syntax() -> None:
    assert canonical.volume_mount("./data:/data:ro", "v") == {
        "type": "bind", "source": "./data", "target": "/data", "read_only": True,
        "bind": {"create_host_path": True}}
    assert canonical.volume_mount("db:/var/lib/db", "v") == {
        "type": "volume", "source": "db", "target": "/var/lib/db", "volume": {}}
    assert canonical.volume_mount("/cache", "v") == {"type": "volume", "target": "/cache",
                                                     "volume": {}}
    assert canonical.volume_mount("/c", "v") == {"type": "volume", "target": "/c"}


def test_service_short_syntaxes() -> None:
    service = canonical.service("web", {
        "environment": ["A=1", "B"], "labels": {"x": 1}, "command": "sh -c 'echo hi'",
        "depends_on": ["db"], "networks": ["front"], "build": ".", "env_file": "a.env",
        "healthcheck": {"test": "true"}, "dns": "1.1.1.1"}, "f.yaml")
    assert service["environment"] == {"A": "1", "B": None}
    assert service["labels"] == {"x": "1"}
    assert service["command"] == ["sh", "-c", "echo hi"]
    assert service["depends_on"] == {"db": {"condition": "service_started", "required": True}}
    assert service["networks"] == {"front": None}
    assert service["build"] == {"context": "."}
    assert service["env_file"] == [{"path": "a.env", "required": True}]
    assert service["healthcheck"] == {"test": ["CMD-SHELL", "true"]}
    assert service["dns"] == ["1.1.1.1"]


def _file(text: str) -> dict:
    tree = parse(text, "t")
    tree["services"] = {n: canonical.service(n, s, "t") for n, s in tree["services"].items()}
    return tree


def test_merge_rules() -> None:
    base = _file("services:\n  app:\n    image: a\n    command: [x]\n"
                 "    ports: ['8080:80', '9000:90']\n    volumes: ['foo:/work']\n"
                 "    environment: {FOO: BAR, K: '1'}\n    dns: [1.1.1.1]\n"
                 "    healthcheck: {test: [CMD, a], interval: 5s}\n")
    over = _file("services:\n  app:\n    command: [y]\n    ports: ['8080:80', '7000:70']\n"
                 "    volumes: ['bar:/work']\n    environment: {FOO: !reset null, N: '2'}\n"
                 "    dns: [8.8.8.8]\n    healthcheck: {test: [CMD, b]}\n")
    app = merge(base, over)["services"]["app"]
    assert app["command"] == ["y"]  # replaced, not appended
    assert [p["published"] for p in app["ports"]] == ["8080", "9000", "7000"]
    assert app["volumes"] == [{"type": "volume", "source": "bar", "target": "/work",
                               "volume": {}}]
    assert app["environment"] == {"K": "1", "N": "2"}
    assert app["dns"] == ["1.1.1.1", "8.8.8.8"]
    assert app["healthcheck"] == {"test": ["CMD", "b"], "interval": "5s"}
    replaced = merge(base, _file("services:\n  app:\n    ports: !override ['1:1']\n"
                                 "    dns: !reset []\n"))["services"]["app"]
    assert [p["published"] for p in replaced["ports"]] == ["1"]
    assert "dns" not in replaced


def test_anchors_and_extensions() -> None:
    tree = parse("x-common: &common\n  image: busybox\n  restart: always\n"
                 "services:\n  a:\n    <<: *common\n    command: [a]\n", "t")
    assert tree["services"]["a"] == {"image": "busybox", "restart": "always",
                                     "command": ["a"]}


def test_extensions_are_kept_where_compose_keeps_them_and_only_there() -> None:
    project = validate({"x-top": {"a": 1}, "services": {"web": {
        "image": "busybox", "x-svc": "s", "labels": {"x-label": "l"},
        "environment": {"x-var": "v"}, "ports": [{"target": 80, "x-port": "p"}],
        "networks": {"back": {"x-net": "n"}}}}, "networks": {"back": {}}}, "f.yaml")
    web = project.services["web"]
    assert project.extensions == {"x-top": {"a": 1}} and web.extensions == {"x-svc": "s"}
    assert web.labels == {"x-label": "l"} and web.environment == {"x-var": "v"}
    assert web.ports[0].extensions == {"x-port": "p"} and web.ports[0].target == 80
    network = web.networks["back"]
    assert network is not None and network.extensions == {"x-net": "n"}


@pytest.mark.parametrize(("tree", "message"), [
    ({"services": {"web": {"imagee": "x"}}},
     "validating f.yaml: services.web additional properties 'imagee' not allowed"),
    ({"services": {"web": {"networks": {"back": {"alias": ["a"]}}}}},
     "validating f.yaml: services.web.networks.back additional properties 'alias' not allowed"),
    ({"services": {"web": {"ports": [{"target": "http"}]}}},
     "validating f.yaml: services.web.ports[0].target must be a integer"),
    ({"services": {"web": {"depends_on": {"db": {"condition": "up"}}}}},
     "validating f.yaml: services.web.depends_on.db.condition invalid enum value 'up'"),
    ({"volumes": {"data": {"driver": 1}}},
     "validating f.yaml: volumes.data.driver must be a string or null"),
])
def test_model_errors_name_the_file_and_the_key(tree: dict[str, object], message: str) -> None:
    with pytest.raises(ComposeError) as caught:
        validate(tree, "f.yaml")
    assert str(caught.value) == message


def _services(**needs: list[str]) -> dict[str, Service]:
    return {name: Service(name=name, image="busybox", depends_on={d: {} for d in deps})
            for name, deps in needs.items()}


def test_graph_order_cycles_and_concurrency() -> None:
    graph = Graph(_services(web=["app"], app=["db", "cache"], db=[], cache=[]))
    assert graph.order() == ["cache", "db", "app", "web"]
    assert graph.closure(["app"]) == {"app", "db", "cache"}
    assert graph.dependents(["db"]) == {"db", "app", "web"}
    with pytest.raises(ComposeError, match="dependency cycle detected: a -> b -> a"):
        Graph(_services(a=["b"], b=["a"]))
    running: set[str] = set()
    overlap: list[set[str]] = []
    lock = threading.Lock()
    finished: list[str] = []

    def act(name: str) -> None:
        with lock:
            running.add(name)
            overlap.append(set(running))
        time.sleep(0.1)
        with lock:
            running.discard(name)
            finished.append(name)

    graph.walk(act)
    assert {"db", "cache"} in overlap  # independent services at the same time
    assert finished.index("app") > max(finished.index("db"), finished.index("cache"))
    assert finished[-1] == "web"


def _observed(number: int, state: str = "running", config_hash: str = "h",
              image: str = "i") -> Observed:
    return Observed(f"id{number}", f"p-web-{number}", "web", number, config_hash, image,
                    state, False, number, {})


def test_reconcile() -> None:
    desired = Desired("web", 2, "h", "i")
    kinds = [(a.kind, a.number) for a in service_actions(
        desired, [_observed(1), _observed(2, config_hash="old")], Policy())]
    assert sorted(kinds) == [("keep", 1), ("recreate", 2)]
    kinds = [(a.kind, a.number) for a in service_actions(
        desired, [_observed(1, state="exited")], Policy())]
    assert sorted(kinds) == [("create", 2), ("start", 1)]
    kinds = [(a.kind, a.number) for a in service_actions(
        Desired("web", 1, "h", "i"), [_observed(n) for n in (1, 2, 3)], Policy())]
    assert sorted(kinds) == [("keep", 1), ("remove", 2), ("remove", 3)]
    kinds = [(a.kind, a.number) for a in service_actions(
        desired, [_observed(1, image="new"), _observed(2)], Policy(no_recreate=True))]
    assert sorted(kinds) == [("keep", 1), ("keep", 2)]
    kinds = [a.kind for a in service_actions(desired, [_observed(1), _observed(2)],
                                             Policy(force_recreate=True))]
    assert kinds == ["recreate", "recreate"]
