"""The store's group committer on a real data folder: riders wait for others' commits."""

from __future__ import annotations

import time

import gevent

from relay_server.store import TinyDBStore
from relay_server.store.committer import GroupCommitter


def test_a_rider_goes_to_disk_with_another_waiters_commit_and_asks_for_none(tmp_path):
    """A rider's change and a later waiter's change share one commit, which only the
    waiter asked for; the rider returns durable right after it, long before its own limit."""
    store = TinyDBStore(tmp_path)
    committer = GroupCommitter(store)
    try:
        store.insert("outbox", {"state": "sending"})
        started = time.perf_counter()
        rider = gevent.spawn(committer.ride_durable, "mail", 5.0)
        gevent.sleep(0.01)  # the rider waits; nothing is committed for it
        assert store.synced == 0 and not rider.ready()
        store.insert("chat:s1", {"text": "hi"})
        committer.wait_durable()
        rider.get(timeout=1.0)
        assert time.perf_counter() - started < 1.0
        assert store.synced == store.appended == 2
        assert committer.stats.commits == 1
        assert committer.stats.asks == {"other": 1}
    finally:
        committer.stop()
        store.close()


def test_a_lone_rider_asks_for_a_commit_after_its_limit(tmp_path):
    """With nobody else committing, a rider asks for the commit itself after max_wait_s
    and returns with its change durable."""
    store = TinyDBStore(tmp_path)
    committer = GroupCommitter(store)
    try:
        store.insert("outbox", {"state": "committing"})
        started = time.perf_counter()
        committer.ride_durable("mail", 0.05)
        assert time.perf_counter() - started >= 0.05
        assert store.synced == store.appended == 1
        assert committer.stats.asks == {"mail": 1}
        assert committer.stats.waits == {"mail": 1}
    finally:
        committer.stop()
        store.close()
