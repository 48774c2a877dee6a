"""``docker compose`` through skiff: the docker CLI's plugin protocol for a ``docker-compose``
plugin (``docker-cli-plugin-metadata`` answered with the plugin's metadata; otherwise the
docker CLI's own arguments, global flags first, then ``compose`` and its command)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence

from skiff import __version__
from skiff.compose.labels import COMPOSE_VERSION

METADATA = {"SchemaVersion": "0.1.0", "Vendor": "skiff",
            "Version": f"v{COMPOSE_VERSION}",
            "ShortDescription": f"Docker Compose (skiff compose {__version__})",
            "URL": "https://github.com/skiff"}
# the docker CLI's global flags that take a value, which may come before ``compose``
VALUED = {"-H", "--host", "-c", "--context", "--config", "-l", "--log-level", "--tlscacert",
          "--tlscert", "--tlskey"}


def split(argv: Sequence[str]) -> tuple[str | None, list[str]]:
    """The daemon address the docker CLI's flags name (if any), and compose's arguments."""
    host = None
    args = list(argv)
    index = 0
    while index < len(args) and args[index] != "compose":
        word = args[index]
        name, eq, value = word.partition("=")
        if name in ("-H", "--host"):
            host = value if eq else (args[index + 1] if index + 1 < len(args) else None)
        index += 1 if eq or name not in VALUED else 2
    return host, args[index + 1:]


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["docker-cli-plugin-metadata"]:
        print(json.dumps(METADATA))
        return
    host, rest = split(args)
    from skiff.cli.main import run

    if host:
        os.environ["DOCKER_HOST"] = host
    sys.exit(run(["compose", *rest]))


if __name__ == "__main__":
    main()
