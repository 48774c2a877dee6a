"""``Client``: one daemon, its negotiated API version and the per-noun endpoint groups."""

from __future__ import annotations

from skiff.client.api import APIClient
from skiff.client.containers import Containers
from skiff.client.execs import Execs
from skiff.client.hosts import Host
from skiff.client.images import Images
from skiff.client.networks import Networks
from skiff.client.system import System
from skiff.client.volumes import Volumes


class Client:
    """Entry point: ``Client(Host.parse("unix:///run/skiff/skiff.sock")).containers.list()``."""

    def __init__(self, host: Host, version: str | None = None,
                 timeout: float | None = None) -> None:
        self.api = APIClient(host, version, timeout)
        self.containers = Containers(self.api)
        self.execs = Execs(self.api)
        self.images = Images(self.api)
        self.networks = Networks(self.api)
        self.system = System(self.api)
        self.volumes = Volumes(self.api)

    @property
    def host(self) -> Host:
        return self.api.host
