"""Group commit for the store, in gevent: many greenlets wait for one fsync.

A greenlet that changed the store calls :meth:`GroupCommitter.wait_durable` before it
acknowledges anything. One committer greenlet syncs the journal in the hub's thread pool (so
the event loop keeps serving sockets during the fsync) and wakes every greenlet whose changes
that sync covered. Checkpoints run here too, between syncs, so they never race a sync.
"""

from __future__ import annotations

import logging

import gevent
from gevent.event import Event

from relay_server.store import Store

logger = logging.getLogger(__name__)


class GroupCommitter:
    def __init__(self, store: Store):
        self.store = store
        self._wake = Event()
        self._done = Event()
        self._greenlet = gevent.spawn(self._run)
        self.syncs = 0

    def wait_durable(self) -> None:
        """Block this greenlet until every change made so far is on disk."""
        target = self.store.journal.appended
        while self.store.journal.synced < target:
            if self._greenlet.dead:
                raise RuntimeError("the store's committer has stopped")
            self._wake.set()
            self._done.wait()

    def _run(self) -> None:
        pool = gevent.get_hub().threadpool
        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                pool.apply(self.store.sync)
                self.syncs += 1
                if self.store.needs_checkpoint:
                    self.store.checkpoint()
            except Exception:
                # A disk that refuses writes: nothing can be acknowledged any more. Wake the
                # waiters (they will see the greenlet dead and fail loudly) and stop.
                logger.exception("journal sync failed; the relay can no longer store anything")
                done, self._done = self._done, Event()
                done.set()
                raise
            done, self._done = self._done, Event()
            done.set()

    def stop(self) -> None:
        """Flush what is pending and stop the committer greenlet."""
        self._greenlet.kill()
        self.store.sync()
