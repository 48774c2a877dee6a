"""Engine API client: sync HTTP over a unix socket (or plain tcp), usable against real Docker.

Layout: ``hosts`` resolves where the daemon is, ``http`` speaks HTTP/1.1 on that socket,
``hijack`` owns upgraded (attach) connections, ``streams`` decodes multiplexed and JSON-lines
bodies, ``api`` negotiates the version and maps error replies, and ``containers``, ``images``
and ``system`` wrap the endpoints per noun. ``Client`` bundles them.
"""

from __future__ import annotations

from skiff.client.api import APIClient
from skiff.client.errors import APIError, ClientError, ConnectionFailed
from skiff.client.facade import Client
from skiff.client.hosts import DEFAULT_HOST, Host

__all__ = ["DEFAULT_HOST", "APIClient", "APIError", "Client", "ClientError", "ConnectionFailed",
           "Host"]
