"""Mail's work in the relay's event loop, in slices short enough for the chat to pass between.

A chat message that arrives while the loop runs a step of mail's waits for the end of that
step: the chat's p99 while 1,000 invitations go out is set by mail's longest steps, not by its
total (docs/performance.md, *Mail*). A :class:`LoopSlice` is a long piece of work's clock:
:meth:`LoopSlice.check` between two of its items yields the loop (``gevent.sleep(0)``) once
the step has run for :data:`SLICE_S`, so every step ends within about one item of that.
"""

from __future__ import annotations

import time

import gevent

SLICE_S = 0.0001  # a step of mail's in the loop yields after this long (0.1 ms)


class LoopSlice:
    """The current step's clock: started at the greenlet's last switch in (``start``)."""

    def __init__(self, slice_s: float = SLICE_S):
        self.slice_s = slice_s
        self._since = time.perf_counter()
        self.yields = 0  # how often the work let others run (tests, trials)

    def start(self) -> None:
        """The greenlet runs again (after a wait of its own): a new step begins."""
        self._since = time.perf_counter()

    def check(self) -> None:
        """Between two items of the work: yield the loop if this step is long enough."""
        if time.perf_counter() - self._since >= self.slice_s:
            gevent.sleep(0)
            self.yields += 1
            self._since = time.perf_counter()
