"""Smoke test of ``scripts/bench_cluster.py --relays``: a few sessions on three real relays
behind HAProxy, one node killed; the run prints its failover timeline and where the CPU went."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.haproxy import haproxy_missing
from tests.support.postgres import postgres_missing
from tests.support.redis_server import redis_missing

REPO_ROOT = Path(__file__).resolve().parents[2]
BENCH = REPO_ROOT / "scripts" / "bench_cluster.py"
RUN_TIMEOUT_S = 240  # two clusters started and stopped on a loaded machine

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(haproxy_missing() is not None, reason=str(haproxy_missing())),
    pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing())),
    pytest.mark.skipif(postgres_missing() is not None, reason=str(postgres_missing())),
]


@pytest.mark.timeout(RUN_TIMEOUT_S + 30)
def test_a_failover_prints_its_timeline_and_cpu() -> None:
    """Both sides reconnecting at once (the product's way; ``--sides sequential`` differs
    only in the order of two awaits) resume every killed session, and the run prints CPU
    seconds for the two survivors, PostgreSQL, Redis, HAProxy and the bench within the
    window's budget. One order: each three-node run costs ~15 s of the suite."""
    result = subprocess.run(
        [sys.executable, str(BENCH), "--relays", "--sessions", "6", "--seconds", "2",
         "--no-one-node", "--clients", "lease", "--sides", "concurrent"],
        cwd=REPO_ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=RUN_TIMEOUT_S,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, f"stdout:\n{out}\nstderr:\n{result.stderr[-4000:]}"
    timelines = re.findall(r"sides: (\w+): after the kill \(s\): (.*)", out)
    assert [order for order, _ in timelines] == ["concurrent"], out
    for _, timeline in timelines:
        assert "unresumed 0," in timeline
        assert re.search(r"last_customer_welcome_s \d", timeline), timeline
    cpu_lines = re.findall(r"^cpu_s \(kill -> last resume\): (.*)$", out, re.MULTILINE)
    assert len(cpu_lines) == 1, out
    for line in cpu_lines:
        values = dict(re.findall(r"(\w+) (\d+\.\d\d)", line.split(";")[0]))
        assert len([name for name in values if name.startswith("relay")]) == 2, line
        assert {"postgres", "redis", "haproxy", "bench", "softirq", "others"} <= values.keys()
        assert float(values["bench"]) > 0, line  # the reconnects' handshakes cost something
        budget = float(line.rsplit("= ", 1)[1])
        ours = sum(float(v) for name, v in values.items() if name != "others")
        assert 0 < ours <= budget, line
