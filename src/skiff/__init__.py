"""Skiff: a Docker-compatible container engine.

General layout (imports point down only):

- ``daemon``  skiffd: flags and daemon.json, the composition root that wires drivers into
  services and services into routers.
- ``server``  thin HTTP routers for the Docker Engine API; one place maps errors to statuses.
- ``engine``  Docker's semantics: containers and their state machine, images, events, system.
- ``drivers`` adapters to the OS and other programs: the OCI runtime behind conmon, overlayfs
  snapshots, logging drivers, cgroups.
- ``store``   the only code that knows the data-root layout: sqlite metadata and blobs.
- ``api``     the wire contract shared by server and client: versions, filters, stream frames.
- ``client`` and ``cli``  an Engine API client and the ``skiff`` command built on it.
"""

__version__ = "0.1.0"
