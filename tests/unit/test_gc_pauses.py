"""The cyclic collector's pauses: timed, the slow ones logged with their generation."""

from __future__ import annotations

import gc
import logging

import pytest

from relay_server.web.gc_pauses import GcPauses, watch_gc_pauses


def test_a_slow_pass_is_logged_with_its_generation_and_a_quick_one_is_not(caplog) -> None:
    now = [10.0]
    cpu = [1.0]
    pauses = GcPauses(slow_s=0.1, clock=lambda: now[0], cpu_clock=lambda: cpu[0])
    with caplog.at_level(logging.WARNING, logger="relay_server.web.gc_pauses"):
        pauses("start", {"generation": 0})
        now[0] += 0.002
        pauses("stop", {"generation": 0, "collected": 3})
        pauses("start", {"generation": 2})
        now[0] += 0.8
        cpu[0] += 0.03  # the rest of the 800 ms, the relay waited for a core
        pauses("stop", {"generation": 2, "collected": 12})
    assert [r.getMessage() for r in caplog.records] == [
        "the cyclic collector paused the relay 800 ms (30 ms of CPU; generation 2, 12 objects "
        "collected)"
    ]
    assert pauses.slow == 1 and pauses.longest_s == pytest.approx(0.8)
    pauses("stop", {"generation": 1})  # a stop without its start (installed mid-pass): ignored
    assert pauses.slow == 1


def test_installed_it_times_real_collections() -> None:
    pauses = watch_gc_pauses(slow_s=0.0)
    try:
        cycle: list = []
        cycle.append(cycle)
        del cycle
        gc.collect()
        assert pauses.slow >= 1 and pauses.longest_s > 0
        again = watch_gc_pauses()  # the relay run again in one process: one watcher, not two
        assert [c for c in gc.callbacks if isinstance(c, GcPauses)] == [again]
        pauses = again
    finally:
        gc.callbacks.remove(pauses)
