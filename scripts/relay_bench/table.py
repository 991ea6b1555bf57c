"""The benchmark's output: one row per metric, rendered as a plain fixed-width table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Row:
    mode: str
    metric: str
    value: str
    note: str = ""
    goal: str = ""
    ok: bool | None = None


def render(rows: Sequence[Row]) -> str:
    """A plain fixed-width table."""
    header = ("mode", "metric", "value", "goal", "met", "note")
    cells = [header] + [
        (r.mode, r.metric, r.value, r.goal, {True: "yes", False: "NO", None: ""}[r.ok], r.note)
        for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header) - 1)]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(
                [
                    cell.ljust(width) if i != 2 else cell.rjust(width)
                    for i, (cell, width) in enumerate(zip(row, widths, strict=False))
                ]
                + [row[-1]]
            ).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths) + "  ----")
    return "\n".join(lines)
