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

A waiter that is in no hurry **rides**: :meth:`GroupCommitter.ride_durable` waits for a
commit that someone else asks for and wakes the committer itself only after ``max_wait_s``.
The mail sender rides (a mail's marks go to disk with the chat's commits instead of adding
commits of their own, which the chat would then wait behind: docs/performance.md, *Mail*).

What it does is counted in :attr:`GroupCommitter.stats` (``commit_stats.py``): commits, their
sync and fsync durations, bytes, and each waiter's wait by label (``mail`` for the mail
sender, ``other`` for the rest, chat above all); ``GET /health`` shows them.
"""

from __future__ import annotations

import logging
import time

import gevent
from gevent.event import Event

from relay_server.store import Store
from relay_server.store.commit_stats import MAIL, OTHER, CommitStats

logger = logging.getLogger(__name__)


INLINE_SYNC_MAX_S = 0.002
RIDE_MAX_S = 0.010  # how long a rider waits for someone else's commit before asking for one


class GroupCommitter:
    def __init__(self, store: Store):
        self.store = store
        self._wake = Event()
        self._done = Event()
        self._greenlet = gevent.spawn(self._run)
        self.sync_s = 0.0  # moving average of one sync's duration
        self.stats = CommitStats()
        self._woken_at: float | None = None  # when the first waiter since the last sync woke us

    def wait_durable(self, label: str = OTHER) -> None:
        """Block this greenlet until every change made so far is on disk.

        Args:
            label: whose wait it is, for :attr:`stats` (``mail``, or ``other``).
        """
        self.ride_durable(label, max_wait_s=0.0)

    def ride_durable(self, label: str = OTHER, max_wait_s: float = RIDE_MAX_S) -> None:
        """:meth:`wait_durable`, but the first ``max_wait_s`` without waking the committer:
        the changes go to disk with a commit another greenlet asks for (a chat message's),
        and only if none comes in time does this one ask.

        Durability is the same as :meth:`wait_durable`'s when it returns; only the moment
        differs. For work that can wait a few milliseconds and should not add commits of its
        own that others' changes would then queue behind.
        """
        started = time.perf_counter()
        target = self.store.appended
        ask_at = started + max_wait_s
        while self.store.synced < target:
            if self._greenlet.dead:
                raise RuntimeError("the store's committer has stopped")
            left_s = ask_at - time.perf_counter()
            if left_s > 0:
                self._done.wait(left_s)  # set when the next commit, anyone's, has ended
            else:
                self._wake_committer(label)
                self._done.wait()
        self.stats.waited(label, time.perf_counter() - started)

    def wait_durable_mail(self) -> None:
        """:meth:`wait_durable` counted as the mail sender's."""
        self.wait_durable(MAIL)

    def ride_durable_mail(self) -> None:
        """:meth:`ride_durable` counted as the mail sender's."""
        self.ride_durable(MAIL)

    def _wake_committer(self, label: str) -> None:
        if not self._wake.is_set():  # this waiter asks for the next commit (stats.asks)
            self.stats.asked(label)
        if self._woken_at is None:
            self._woken_at = time.perf_counter()
        self._wake.set()

    def _run(self) -> None:
        pool = gevent.get_hub().threadpool
        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                started = time.perf_counter()
                if self._woken_at is not None:
                    self.stats.started(started - self._woken_at)
                    self._woken_at = None
                synced_before = self.store.synced
                in_thread = self.store.sync_blocks_loop and self.sync_s >= INLINE_SYNC_MAX_S
                if in_thread:
                    pool.apply(self.store.sync)
                else:
                    self.store.sync()
                took_s = time.perf_counter() - started
                self.sync_s = 0.9 * self.sync_s + 0.1 * took_s
                self._count(self.store.synced - synced_before, took_s, in_thread)
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

    def _count(self, changes: int, took_s: float, in_thread: bool) -> None:
        journal = getattr(self.store, "journal", None)  # TinyDB's; PostgreSQL has none
        if journal is None:
            self.stats.committed(changes, took_s, 0, None, in_thread)
        else:
            self.stats.committed(
                changes, took_s, journal.last_sync_bytes, journal.last_fsync_s, in_thread
            )

    def stop(self) -> None:
        """Flush what is pending and stop the committer greenlet."""
        self._greenlet.kill()
        self.store.sync()
