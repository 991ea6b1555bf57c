"""How the relay uses Python's cyclic collector: short young passes, freezes as sockets come,
a full pass only when memory says so.

The relay serves every socket on one event loop, so each pass of the collector stops all of
them for its whole length (``docs/performance.md``, "The collector's pauses at 10,000
sessions"). What was measured there decides the settings:

- **Young passes find no garbage during a chat**: the young generation holds the writer
  greenlets of the frames in flight and the objects of the frames themselves, all alive. A pass
  scans what is young and alive, so its length follows the first threshold: ``YOUNG_OBJECTS``
  keeps each pass to a few thousand objects (milliseconds), where 50,000 took 100-190 ms at
  10,000 sessions. The number of objects scanned per second stays the same: more, shorter passes.
- **Sockets' objects age into the older generations** and every later pass of those scans them
  again (a 631 ms generation-1 pass once 19,900 sockets were up). :class:`FreezePlan` moves
  them out of the collector's reach (``gc.freeze()``) each time the sockets opened since the
  last freeze reach ``FREEZE_GROWTH`` of those live (or ``FREEZE_MIN_SOCKETS``; sessions that
  end and start count too, not only growth), after a middle pass that frees the cycles of the
  moment: a freeze costs a list splice and the pass before it scans only what came since the
  last freeze.
- **Memory bound**: a frozen object is still freed when its last reference goes; only garbage
  *in cycles* among frozen objects waits. Once the sockets closed since the last full pass
  reach ``THAW_CLOSED_FRACTION`` of those live at the last freeze (and at least
  ``THAW_MIN_CLOSED``), the relay unfreezes, runs one full pass and freezes again: the frozen
  garbage is at most that fraction of the sockets' own objects (after geventwebsocket's class
  per close was fixed, ``websocket_speedups.FastWebSocket.current_app``, these passes found
  none). That is the only full pass the relay asks for; ``OLD_PASSES`` and CPython's own rule (a
  full pass waits until the old generation grew by a quarter) keep the collector's rare.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import gevent

logger = logging.getLogger(__name__)

YOUNG_OBJECTS = 5_000  # allocations less deallocations between young passes (CPython: 700)
MIDDLE_PASSES = 20  # young passes per middle pass: the middle generation stays small
OLD_PASSES = 100  # middle passes per full pass (and CPython's own 25 % growth rule)
FREEZE_GROWTH = 0.10
FREEZE_MIN_SOCKETS = 200
THAW_CLOSED_FRACTION = 0.5
THAW_MIN_CLOSED = 1_000
CHECK_S = 1.0

FREEZE = "freeze"
COLLECT = "collect"


@dataclass
class SocketTally:
    """Websockets opened and closed since the relay started (``web/ws_endpoint.py``)."""

    opened: int = 0
    closed: int = 0

    @property
    def live(self) -> int:
        return self.opened - self.closed


@dataclass
class FreezePlan:
    """Decides, from the socket counts alone, when to freeze and when a full pass is due."""

    growth: float = FREEZE_GROWTH
    min_sockets: int = FREEZE_MIN_SOCKETS
    thaw_fraction: float = THAW_CLOSED_FRACTION
    thaw_min_closed: int = THAW_MIN_CLOSED
    frozen_for: int = 0  # live sockets at the last freeze
    opened_at_freeze: int = 0  # sockets opened (in all) at the last freeze
    closed_at_full_pass: int = 0  # sockets closed (in all) at the last full pass

    def decide(self, tally: SocketTally) -> str:
        """``COLLECT`` (unfreeze, full pass, freeze), ``FREEZE``, or ``""`` for nothing."""
        closed_since = tally.closed - self.closed_at_full_pass
        opened_since = tally.opened - self.opened_at_freeze
        if closed_since >= max(self.thaw_min_closed, self.thaw_fraction * self.frozen_for):
            action = COLLECT
            self.closed_at_full_pass = tally.closed
        elif opened_since >= max(self.min_sockets, self.growth * tally.live):
            action = FREEZE
        else:
            return ""
        self.frozen_for, self.opened_at_freeze = tally.live, tally.opened
        return action


def configure_collector() -> None:
    """At start-up, once the relay's long-lived objects exist: collect, freeze them, set the
    thresholds (see the module's text). Greenlets stop recording who spawned them: the
    relay spawns one per socket per burst of frames (``ws_endpoint.Connection``), and the
    spawner's stack came with each as ten more young objects to scan."""
    gevent.config.track_greenlet_tree = False
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, MIDDLE_PASSES, OLD_PASSES)


def apply(action: str, clock: Callable[[], float] = time.perf_counter) -> float:
    """Carry out a :meth:`FreezePlan.decide` answer; returns the seconds it took. Called from a
    greenlet, never from inside a pass (no collection runs while Python code does)."""
    started = clock()
    if action == FREEZE:
        gc.collect(1)  # the cycles of the moment are freed, not frozen
        gc.freeze()
    elif action == COLLECT:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
    took = clock() - started
    if action == FREEZE:
        logger.info("collector: freeze in %.0f ms", took * 1000)
    elif action == COLLECT:  # counting walks the frozen objects: only after the rare full pass
        logger.info(
            "collector: collect in %.0f ms, %d objects frozen", took * 1000, gc.get_freeze_count()
        )
    return took


def follow_sockets_forever(
    tally: SocketTally,
    plan: FreezePlan | None = None,
    sleep: Callable[[float], object] = time.sleep,
) -> None:
    """The relay's greenlet: every ``CHECK_S`` seconds, freeze or collect as ``plan`` says."""
    plan = plan or FreezePlan(
        frozen_for=tally.live, opened_at_freeze=tally.opened, closed_at_full_pass=tally.closed
    )
    while True:
        sleep(CHECK_S)
        apply(plan.decide(tally))
