"""Group commit for the store, in gevent: many greenlets wait for one fsync.

A greenlet that changed the store calls :meth:`GroupCommitter.wait_durable` before it
acknowledges anything. One committer greenlet syncs the journal and wakes every greenlet whose
changes that sync covered. Checkpoints run here too, between syncs, so they never race a sync.

Where the sync runs is measured, not assumed: on a disk whose fsync takes well under a
millisecond it runs right in the event loop, because handing it to a thread costs more than
it saves (every hand-over waits for the GIL, up to the 5 ms switch interval, several times per
sync: bench_relay saw tens of milliseconds added to every chat message). When syncs get slow
(a real disk under load), they move to the hub's thread pool so that sockets keep being
served meanwhile. A PostgreSQL store's sync waits on its socket through gevent (psycopg
waits with ``select``, which gevent patches), so it always runs in the loop: other greenlets
run while the database commits.
"""

from __future__ import annotations

import logging
import time

import gevent
from gevent.event import Event

from relay_server.store import Store

logger = logging.getLogger(__name__)


INLINE_SYNC_MAX_S = 0.002


class GroupCommitter:
    def __init__(self, store: Store):
        self.store = store
        self._wake = Event()
        self._done = Event()
        self._greenlet = gevent.spawn(self._run)
        self.sync_s = 0.0  # moving average of one sync's duration

    def wait_durable(self) -> None:
        """Block this greenlet until every change made so far is on disk."""
        target = self.store.appended
        while self.store.synced < target:
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
                started = time.perf_counter()
                if self.sync_s < INLINE_SYNC_MAX_S or not self.store.sync_blocks_loop:
                    self.store.sync()
                else:
                    pool.apply(self.store.sync)
                self.sync_s = 0.9 * self.sync_s + 0.1 * (time.perf_counter() - started)
                if self.store.needs_checkpoint:
                    self.store.checkpoint()
            except Exception:
                # A disk that refuses writes: nothing can be acknowledged any more. Wake the
                # waiters (they will see the greenlet dead and fail loudly) and stop.
                logger.exception("store sync failed; the relay can no longer store anything")
                done, self._done = self._done, Event()
                done.set()
                raise
            done, self._done = self._done, Event()
            done.set()

    def stop(self) -> None:
        """Flush what is pending and stop the committer greenlet."""
        self._greenlet.kill()
        self.store.sync()
