"""The cyclic collector's long pauses, logged.

The relay runs every socket on one event loop, so a full pass of Python's cyclic collector
over the objects of thousands of sockets stops every one of them for its whole length (the
relay's ping p99 in ``scripts/bench_relay.py``; ``server.py`` freezes what exists at start-up
and raises the thresholds, but sockets come later). :class:`GcPauses` times each collection
through ``gc.callbacks`` and logs those at least ``slow_s`` long with their generation, so a
stall in the logs or a benchmark's p99 can be told apart from the relay's own work. Each line
also says how much of the pause was the relay's own CPU: on a loaded machine a pass of 15 ms
of CPU can take 400 ms of wall time (the process waited for a core), which is the machine's
state, not the collector's cost.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

SLOW_S = 0.1  # a pause this long is a tenth of a second of no socket served


class GcPauses:
    """A ``gc.callbacks`` entry: times each collection, logs the slow ones, keeps the longest."""

    def __init__(
        self,
        slow_s: float = SLOW_S,
        clock: Callable[[], float] = time.perf_counter,
        cpu_clock: Callable[[], float] = time.thread_time,
    ) -> None:
        self.slow_s = slow_s
        self.clock = clock
        self.cpu_clock = cpu_clock
        self.longest_s = 0.0
        self.slow = 0  # collections at least slow_s long
        self._started: float | None = None
        self._cpu_started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = self.clock()
            self._cpu_started = self.cpu_clock()
            return
        if self._started is None:
            return
        took_s = self.clock() - self._started
        cpu_s = self.cpu_clock() - self._cpu_started
        self._started = None
        self.longest_s = max(self.longest_s, took_s)
        if took_s >= self.slow_s:
            self.slow += 1
            logger.warning(
                "the cyclic collector paused the relay %.0f ms (%.0f ms of CPU; generation %d, "
                "%d objects collected)",
                took_s * 1000, cpu_s * 1000, info.get("generation", -1), info.get("collected", 0),
            )  # fmt: skip


def watch_gc_pauses(slow_s: float = SLOW_S) -> GcPauses:
    """Install a :class:`GcPauses` in ``gc.callbacks`` (instead of any earlier one: a process
    that runs the relay again, as some tests do, keeps one) and return it."""
    gc.callbacks[:] = [c for c in gc.callbacks if not isinstance(c, GcPauses)]
    pauses = GcPauses(slow_s)
    gc.callbacks.append(pauses)
    return pauses
