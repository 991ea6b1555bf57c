"""Smoke test of scripts/bench_relay.py: a --quick run against a real relay completes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BENCH = REPO_ROOT / "scripts" / "bench_relay.py"
QUICK_RUN_TIMEOUT_S = 90


def metric(table: str, name: str) -> str:
    """The value column of the row whose metric is `name`."""
    for line in table.splitlines():
        columns = re.split(r"\s{2,}", line.strip())
        if len(columns) >= 3 and columns[1] == name:
            return columns[2]
    raise AssertionError(f"no row {name!r} in:\n{table}")


def test_quick_benchmark_prints_a_table_of_numbers() -> None:
    """`bench_relay.py --quick` exits 0 and reports sessions, latency, memory and MB/s."""
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=QUICK_RUN_TIMEOUT_S,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr[-4000:]}"
    table = result.stdout
    assert metric(table, "sessions") == "50"
    assert metric(table, "websockets open") == "100"
    assert float(metric(table, "delivery p99 (ms)")) > 0
    assert float(metric(table, "relay RSS per idle websocket (KB)")) > 0
    assert float(metric(table, "forwarded MB/s, FastWebSocket")) > 0
    # Each send against its schedule: the workers read the joins' frames before the chat, so
    # the first sends are not held back into one burst (loose bound: a loaded machine).
    late_p99, late_max = map(float, metric(table, "bench send lateness p99 / max (ms)").split("/"))
    assert 0 <= late_p99 <= late_max < 1000
