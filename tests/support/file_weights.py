"""The seconds each test file takes, for handing the files to the workers heaviest first.

``tests/file_weights.txt`` holds one "seconds path" line per file (``#`` comments), written by
``scripts/file_weights.py`` from a run's ``--durations=0`` report. ``tests/conftest.py`` sorts
the collected tests by it: with ``--dist loadfile --no-loadscope-reorder`` each worker takes
the next whole file when it is free, so the longest files start first and the many short ones
(the unit files) even out the workers' ends, instead of one worker starting a long file while
the other has nothing left (the longest-first rule for two machines).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

TABLE = Path(__file__).resolve().parents[1] / "file_weights.txt"
UNIT = "tests/unit/"
# "12.34s call     tests/e2e/test_x.py::test_y[a]" in pytest's slowest-durations section.
DURATION = re.compile(r"^\s*([0-9.]+)s (?:setup|call|teardown)\s+(tests/\S+?\.py)::")
HEADER = """\
# Seconds each test file took (setup + call + teardown of its tests), heaviest first: the order
# in which tests/conftest.py hands the files to scripts/test's two workers. Written by
# scripts/file_weights.py from --durations=0 reports; a file not listed weighs as the median
# file outside tests/unit (a unit file: nothing). Loaded-machine numbers do: only the order counts.
"""


def read_table(path: Path = TABLE) -> dict[str, float]:
    """``{"tests/e2e/test_calls.py": 182.0, ...}``; empty when the table does not exist."""
    weights: dict[str, float] = {}
    if not path.exists():
        return weights
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            seconds, name = line.split(maxsplit=1)
            weights[name] = float(seconds)
    return weights


def file_weight(weights: dict[str, float], name: str) -> float:
    """A file's weight. One the table does not know yet weighs as the table's median file
    outside tests/unit (a new end-to-end file is no one-second unit file); a unit file, 0."""
    if name in weights:
        return weights[name]
    if name.startswith(UNIT):
        return 0.0
    others = sorted(w for n, w in weights.items() if not n.startswith(UNIT))
    return others[len(others) // 2] if others else 0.0


def report_sums(text: str) -> dict[str, float]:
    """Per file, the seconds of every setup, call and teardown a ``--durations=0`` report
    lists."""
    sums: dict[str, float] = defaultdict(float)
    for line in text.splitlines():
        match = DURATION.match(line)
        if match:
            sums[match.group(2)] += float(match.group(1))
    return dict(sums)


def table_text(weights: dict[str, float]) -> str:
    rows = sorted(weights.items(), key=lambda row: (-row[1], row[0]))
    return HEADER + "".join(f"{seconds:.0f} {name}\n" for name, seconds in rows)
