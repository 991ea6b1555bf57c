"""Takeovers asked for meanwhile run together, in gevent (docs/architecture.md, *When the
owner dies*).

A killed node's clients come back to the surviving nodes within a few hundred milliseconds
of each other (their ``wrong_node`` answers said when its lease ends). Each request that finds
its session's node gone asks :meth:`TakeoverGate.take_over`; one greenlet takes over every
session asked for while it works, in one batch
(:meth:`relay_server.sessions.takeover.Takeover.take_over_sessions`: one store round trip per
step for all of them). As with the group commit (store/committer.py), nothing waits to gather
a batch: the first request's batch is that request alone, and those that arrive while it runs
make the next one, so a batch is as large as the load makes it.

A request for a session already in the batch under way waits for that batch's answer; one for
a session already queued waits for the queued one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import gevent
from gevent.event import AsyncResult

from relay_server.sessions.takeover import TakeoverOutcome

logger = logging.getLogger(__name__)

TakeOverBatch = Callable[[list[str]], dict[str, TakeoverOutcome]]


class TakeoverGate:
    def __init__(self, take_over_batch: TakeOverBatch):
        self._take_over_batch = take_over_batch
        self._queued: dict[str, AsyncResult] = {}
        self._running: dict[str, AsyncResult] = {}
        self._worker: gevent.Greenlet | None = None

    def take_over(self, session_id: str) -> TakeoverOutcome:
        """Take ``session_id`` over with whatever else is asked for meanwhile; blocks this
        greenlet until its batch ran. Raises what the batch raised (the hub or the store
        failed: nothing of that batch was restored)."""
        waiter = self._running.get(session_id) or self._queued.get(session_id)
        if waiter is None:
            waiter = self._queued[session_id] = AsyncResult()
            if self._worker is None:
                self._worker = gevent.spawn(self._drain)
        return waiter.get()

    def _drain(self) -> None:
        try:
            while self._queued:
                self._running, self._queued = self._queued, {}
                batch = list(self._running)
                try:
                    outcomes = self._take_over_batch(batch)
                except Exception as error:  # every waiter of the batch raises it
                    logger.warning("a takeover of %d sessions failed: %s", len(batch), error)
                    for waiter in self._running.values():
                        waiter.set_exception(error)
                else:
                    for session_id, waiter in self._running.items():
                        waiter.set(outcomes.get(session_id, False))
                self._running = {}
        finally:
            self._worker = None
