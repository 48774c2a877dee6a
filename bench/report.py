"""Metric rows, their targets and verdicts, the printed table and the JSON results."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

TargetKind = Literal["ratio_max", "ratio_min", "abs_max", "abs_min"]


@dataclass
class Target:
    """A goal on the skiff/dockerd ratio or on skiff's absolute figure."""

    kind: TargetKind
    value: float

    def describe(self, unit: str) -> str:
        """Human form, e.g. '<= 0.5x' or '>= 100 MiB/s'."""
        op = "<=" if self.kind.endswith("max") else ">="
        if self.kind.startswith("ratio"):
            return f"{op} {self.value:g}x"
        return f"{op} {self.value:g} {unit}"

    def verdict(self, skiff: float | None, ratio: float | None) -> str:
        """'pass', 'FAIL' or 'n/a' (the figure it needs is missing)."""
        figure = ratio if self.kind.startswith("ratio") else skiff
        if figure is None:
            return "n/a"
        ok = figure <= self.value if self.kind.endswith("max") else figure >= self.value
        return "pass" if ok else "FAIL"


@dataclass
class Metric:
    """One row of the table: skiff's figure, dockerd's, and the target."""

    key: str
    label: str
    unit: str
    skiff: float | None
    dockerd: float | None
    target: Target | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """skiff / dockerd, when both figures exist."""
        if self.skiff is None or not self.dockerd:
            return None
        return self.skiff / self.dockerd

    @property
    def verdict(self) -> str:
        """Target verdict, or 'info' for rows without a target."""
        return self.target.verdict(self.skiff, self.ratio) if self.target else "info"

    def cells(self) -> list[str]:
        """Formatted table cells."""
        ratio = "-" if self.ratio is None else f"{self.ratio:.2f}x"
        target = self.target.describe(self.unit) if self.target else "-"
        return [self.label, fmt(self.skiff, self.unit), fmt(self.dockerd, self.unit), ratio,
                target, self.verdict]


def fmt(value: float | None, unit: str) -> str:
    """A figure with its unit, or '-' when missing."""
    if value is None:
        return "-"
    digits = 1 if abs(value) >= 100 else 2 if abs(value) >= 1 else 3
    return f"{value:.{digits}f} {unit}"


def median(samples: list[float]) -> float:
    """The median of samples."""
    return statistics.median(samples)


def p90(samples: list[float]) -> float:
    """The 90th percentile of samples (inclusive method)."""
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=10, method="inclusive")[-1]


HEADERS = ["metric", "skiff", "dockerd", "ratio", "target", "pass/fail"]


def table(metrics: list[Metric]) -> str:
    """The metrics as an aligned plain-text table."""
    rows = [HEADERS, *(m.cells() for m in metrics)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def write_json(path: Path, metrics: list[Metric], extra: dict[str, Any]) -> None:
    """Write the metrics (with ratios and verdicts) plus extra context as JSON."""
    rows = [{**asdict(m), "ratio": m.ratio, "verdict": m.verdict} for m in metrics]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"metrics": rows, **extra}, indent=2) + "\n")
