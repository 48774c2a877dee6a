"""``docker ps`` rows: the fields a container offers to --format, and the default table."""

from __future__ import annotations

from typing import Any

from skiff.cli.format.gotemplate import Context
from skiff.cli.format.ports import displayable_ports
from skiff.cli.format.units import ago, ellipsis, go_quote, go_time, human_size, truncate_id

DEFAULT = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}" \
    "\t{{.Names}}"
DEFAULT_WITH_SIZE = DEFAULT + "\t{{.Size}}"
QUIET = "{{.ID}}"
HEADERS = {"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND",
           "CreatedAt": "CREATED AT", "RunningFor": "CREATED", "Ports": "PORTS",
           "State": "STATE", "Status": "STATUS", "Size": "SIZE", "Names": "NAMES",
           "Labels": "LABELS", "Mounts": "MOUNTS", "LocalVolumes": "LOCAL VOLUMES",
           "Networks": "NETWORKS", "Platform": "PLATFORM"}
_JSON_FIELDS = ("Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes", "Mounts",
                "Names", "Networks", "Platform", "Ports", "RunningFor", "Size", "State",
                "Status")


class ContainerContext(Context):
    """One container from GET /containers/json."""

    type_name = "*formatter.ContainerContext"

    def __init__(self, container: dict[str, Any], trunc: bool = True) -> None:
        self.c = container
        self.trunc = trunc

    def ID(self) -> str:
        cid = str(self.c.get("Id", ""))
        return truncate_id(cid) if self.trunc else cid

    def Names(self) -> str:
        names = []
        for name in self.c.get("Names") or []:
            short = name[1:] if name.startswith("/") else name
            if self.trunc and "/" in short:
                continue  # a legacy link name
            names.append(short)
        return ",".join(names)

    def Image(self) -> str:
        image = str(self.c.get("Image") or "")
        if not image:
            return "<no image>"
        if self.trunc:
            if image.startswith("sha256:"):
                return truncate_id(image)
            if "@" in image:
                image = image.split("@", 1)[0]
        return image

    def Command(self) -> str:
        command = str(self.c.get("Command") or "")
        return go_quote(ellipsis(command, 20) if self.trunc else command)

    def CreatedAt(self) -> str:
        return go_time(int(self.c.get("Created") or 0))

    def RunningFor(self) -> str:
        return ago(int(self.c.get("Created") or 0))

    def Ports(self) -> str:
        return displayable_ports(self.c.get("Ports") or [])

    def State(self) -> str:
        return str(self.c.get("State") or "")

    def Status(self) -> str:
        return str(self.c.get("Status") or "")

    def Size(self) -> str:
        size_rw = int(self.c.get("SizeRw") or 0)
        size_root = int(self.c.get("SizeRootFs") or 0)
        text = human_size(size_rw, 3)
        if size_root > 0:
            text += f" (virtual {human_size(size_root, 3)})"
        return text

    def Labels(self) -> str:
        labels = self.c.get("Labels") or {}
        return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))

    def Label(self, name: str) -> str:
        return str((self.c.get("Labels") or {}).get(name, ""))

    def Mounts(self) -> str:
        names = []
        for mount in self.c.get("Mounts") or []:
            name = mount.get("Name") or mount.get("Source") or ""
            names.append(ellipsis(name, 15) if self.trunc else name)
        return ",".join(names)

    def LocalVolumes(self) -> str:
        mounts = self.c.get("Mounts") or []
        return str(sum(1 for m in mounts if m.get("Driver") == "local"))

    def Networks(self) -> str:
        networks = (self.c.get("NetworkSettings") or {}).get("Networks") or {}
        return ",".join(sorted(networks))

    def Platform(self) -> Any:
        return self.c.get("ImageManifestDescriptor", {}).get("platform") \
            if self.c.get("ImageManifestDescriptor") else None

    def template_json(self) -> Any:
        return {name: getattr(self, name)() for name in _JSON_FIELDS}


def uses_size(spec: str) -> bool:
    """docker asks the daemon for sizes when the format shows them."""
    return "{{.Size}}" in spec or ".Size" in spec
