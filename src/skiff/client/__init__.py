"""Engine API client: sync HTTP over a unix socket (or plain tcp), usable against real Docker.

Layout: ``hosts`` resolves where the daemon is, ``http`` speaks HTTP/1.1 on that socket,
``hijack`` owns upgraded (attach) connections, ``streams`` decodes multiplexed and JSON-lines
bodies, ``api`` negotiates the version and maps error replies, and ``containers``, ``images``
and ``system`` wrap the endpoints per noun. ``Client`` bundles them.

``Client`` and ``APIClient`` are imported on first use: they bring in http.client (with email
and ssl, ~20 ms), which a command that never reaches the daemon (``skiff --version``, a usage
error) should not pay for. The errors and ``Host`` are light and imported at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from skiff.client.errors import APIError, ClientError, ConnectionFailed
from skiff.client.hosts import DEFAULT_HOST, Host

if TYPE_CHECKING:
    from skiff.client.api import APIClient
    from skiff.client.facade import Client

__all__ = ["DEFAULT_HOST", "APIClient", "APIError", "Client", "ClientError", "ConnectionFailed",
           "Host"]


def __getattr__(name: str) -> Any:
    """``Client`` and ``APIClient``, imported when first asked for (PEP 562)."""
    if name == "Client":
        from skiff.client.facade import Client
        return Client
    if name == "APIClient":
        from skiff.client.api import APIClient
        return APIClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
