"""The exposition: every collector on one registry, rendered in the format a scraper asks
for (OpenMetrics or Prometheus text 0.0.4, by its Accept header)."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.exposition import choose_encoder

# dockerd's counters have no *_created series; neither have skiff's
disable_created_metrics()  # type: ignore[no-untyped-call]


def new_registry() -> CollectorRegistry:
    """A registry with the process' own series (as dockerd's process_* ones)."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


class Exporter:
    """Renders a registry for a scrape."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def render(self, accept: str) -> tuple[bytes, str]:
        """The body and its content type; blocking (it reads every container's cgroup)."""
        encoder, content_type = choose_encoder(accept)
        return encoder(self._registry), content_type
