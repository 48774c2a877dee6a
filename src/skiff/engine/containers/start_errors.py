"""Runtime start failures in Docker's words, with the exit code ``docker run`` derives."""

from __future__ import annotations

import re

_NOT_FOUND_CRUN = re.compile(r"executable file `([^`]*)` not found in \$PATH")
_NOT_FOUND_RUNC = re.compile(r'exec: \\?"([^"\\]*)\\?": executable file not found in \$PATH')


def docker_start_error(message: str) -> tuple[str, int]:
    """Docker's wording for start failures, and the exit code docker run derives from it."""
    message = " ".join(message.split())
    match = _NOT_FOUND_CRUN.search(message) or _NOT_FOUND_RUNC.search(message)
    if match:
        return (f"failed to create task for container: OCI runtime create failed: unable to "
                f"start container process: exec: \"{match.group(1)}\": executable file not "
                f"found in $PATH: unknown", 127)
    lowered = message.lower()
    if "no such file or directory" in lowered:
        return (f"failed to create task for container: OCI runtime create failed: {message}: "
                f"unknown", 127)
    if ("permission denied" in lowered or "is a directory" in lowered
            or "open executable: operation not permitted" in lowered):
        return (f"failed to create task for container: OCI runtime create failed: {message}: "
                f"permission denied: unknown", 126)
    return f"failed to create task for container: OCI runtime create failed: {message}", 128
