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
  none). That is the only full pass the relay asks for: CPython's own (``OLD_PASSES``, and a
  full pass waits until the old generation grew by a quarter) scan only what is not frozen.
- **Middle passes' survivors are frozen at once** (:class:`FreezeAfterMiddlePasses`, a
  ``gc.callbacks`` entry): right after a middle pass the two young generations are empty, so a
  freeze then moves exactly what that pass found alive. The old generation stays empty, so no
  pass of CPython's own scans more than ``MIDDLE_PASSES`` young passes' survivors (the chat's
  stored messages, sockets that came since the last socket freeze). What those objects leave
  in cycles later waits for the full pass above.
- **In steady traffic, young passes' survivors are frozen too** (``young_too``, switched on
  by :func:`follow_sockets_forever` while fewer than ``STEADY_OPENED_PER_S`` sockets opened
  in the last check): a middle pass then scans only what came since the last young pass, at
  most ~``YOUNG_OBJECTS``, where five young passes' survivors (writers and messages in flight,
  ~25,000 objects) took a 103 ms middle pass at 19,900 sockets that collected nothing. What
  is frozen in flight (a writer greenlet, a ``SendChat``) is freed by its reference count as
  before; only cycles it forms later wait for the full pass, and a chat makes none
  (``docs/performance.md``). While sockets pour in, young survivors age as before, so a
  middle pass can still free the cycles of the connecting moment.
- **Full passes that find nothing come less often**: each one that frees less than
  ``CLEAN_PER_CLOSED`` objects per socket closed since the last doubles the closes the next
  waits for (up to ``MAX_SPACING`` times); one that finds garbage brings it back to one. A
  floor that closes half its sockets again and again sees the ~1 s pass at 20,000 sockets
  after half of them, then after as many again, twice, four times as many closes, as long as
  the garbage found per close stays 0.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gevent

logger = logging.getLogger(__name__)

YOUNG_OBJECTS = 5_000  # allocations less deallocations between young passes (CPython: 700)
MIDDLE_PASSES = 5  # young passes per middle pass: each scans at most ~25,000 objects
OLD_PASSES = 100  # middle passes per full pass (and CPython's own 25 % growth rule)
FREEZE_GROWTH = 0.10
FREEZE_MIN_SOCKETS = 200
THAW_CLOSED_FRACTION = 0.5
THAW_MIN_CLOSED = 1_000
CLEAN_PER_CLOSED = 1.0  # objects freed per closed socket below which a full pass found nothing
MAX_SPACING = 8
CHECK_S = 1.0
STEADY_OPENED_PER_S = 100  # fewer sockets opened in a check: young survivors are frozen too

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
    spacing: int = 1  # times thaw_fraction: doubled by each full pass that found nothing
    closed_for_pass: int = 0  # sockets closed between the last two full passes

    def decide(self, tally: SocketTally) -> str:
        """``COLLECT`` (unfreeze, full pass, freeze), ``FREEZE``, or ``""`` for nothing."""
        closed_since = tally.closed - self.closed_at_full_pass
        opened_since = tally.opened - self.opened_at_freeze
        due = self.spacing * self.thaw_fraction * self.frozen_for
        if closed_since >= max(self.thaw_min_closed, due):
            action = COLLECT
            self.closed_at_full_pass, self.closed_for_pass = tally.closed, closed_since
        elif opened_since >= max(self.min_sockets, self.growth * tally.live):
            action = FREEZE
        else:
            return ""
        self.frozen_for, self.opened_at_freeze = tally.live, tally.opened
        return action

    def full_pass_freed(self, objects: int) -> None:
        """What the full pass :meth:`decide` asked for freed: nothing (per closed socket)
        spaces the next one out, garbage brings the spacing back to one."""
        if objects < CLEAN_PER_CLOSED * self.closed_for_pass:
            self.spacing = min(MAX_SPACING, 2 * self.spacing)
        else:
            self.spacing = 1


class FreezeAfterMiddlePasses:
    """A ``gc.callbacks`` entry: at the end of each middle pass, freeze what it left alive
    (the young generations are empty then); with ``young_too``, at the end of each young pass
    as well. A freeze is a list splice: nothing is scanned."""

    def __init__(self) -> None:
        self.freezes = 0
        self.young_too = False

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        generation = info.get("generation")
        if phase == "stop" and (generation == 1 or (self.young_too and generation == 0)):
            gc.freeze()
            self.freezes += 1


def freeze_after_middle_passes() -> FreezeAfterMiddlePasses:
    """Install a :class:`FreezeAfterMiddlePasses` (instead of any earlier one: a process that
    runs the relay again, as some tests do, keeps one) and return it."""
    gc.callbacks[:] = [c for c in gc.callbacks if not isinstance(c, FreezeAfterMiddlePasses)]
    freezer = FreezeAfterMiddlePasses()
    gc.callbacks.append(freezer)
    return freezer


def configure_collector() -> FreezeAfterMiddlePasses:
    """At start-up, once the relay's long-lived objects exist: collect, freeze them, set the
    thresholds (see the module's text). Greenlets stop recording who spawned them: the
    relay spawns one per socket per burst of frames (``ws_endpoint.Connection``), and the
    spawner's stack came with each as ten more young objects to scan."""
    gevent.config.track_greenlet_tree = False
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, MIDDLE_PASSES, OLD_PASSES)
    return freeze_after_middle_passes()


def apply(
    action: str, clock: Callable[[], float] = time.perf_counter, plan: FreezePlan | None = None
) -> float:
    """Carry out a :meth:`FreezePlan.decide` answer (telling ``plan`` what a full pass freed);
    returns the seconds it took. Called from a greenlet, never from inside a pass (no
    collection runs while Python code does)."""
    started = clock()
    freed = 0
    if action == FREEZE:
        gc.collect(1)  # the cycles of the moment are freed, not frozen
        gc.freeze()
    elif action == COLLECT:
        gc.unfreeze()
        freed = gc.collect()
        gc.freeze()
        if plan is not None:
            plan.full_pass_freed(freed)
    took = clock() - started
    if action == FREEZE:
        logger.info("collector: freeze in %.0f ms", took * 1000)
    elif action == COLLECT:  # counting walks the frozen objects: only after the rare full pass
        logger.info(
            "collector: collect in %.0f ms, %d objects frozen, %d freed, the next after %dx",
            took * 1000, gc.get_freeze_count(), freed, plan.spacing if plan else 1,
        )  # fmt: skip
    return took


def follow_sockets_forever(
    tally: SocketTally,
    plan: FreezePlan | None = None,
    sleep: Callable[[float], object] = time.sleep,
    freezer: FreezeAfterMiddlePasses | None = None,
) -> None:
    """The relay's greenlet: every ``CHECK_S`` seconds, freeze or collect as ``plan`` says,
    and tell ``freezer`` whether the traffic is steady (young survivors frozen too)."""
    plan = plan or FreezePlan(
        frozen_for=tally.live, opened_at_freeze=tally.opened, closed_at_full_pass=tally.closed
    )
    opened = tally.opened
    while True:
        sleep(CHECK_S)
        if freezer is not None:
            freezer.young_too = tally.opened - opened < STEADY_OPENED_PER_S
            opened = tally.opened
        apply(plan.decide(tally), plan=plan)
