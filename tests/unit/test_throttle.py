"""Failure throttling and token buckets, driven by explicit time."""

from __future__ import annotations

from relay_server.throttle import FailureSlowdown, FailureThrottle, RecentPairs, TokenBucket


def test_five_failures_in_ten_minutes_lock_until_the_first_ages_out():
    throttle = FailureThrottle(limit=5, window_s=600)
    for t in range(4):
        assert throttle.record_failure("alice", now=t * 10) == 0
    assert throttle.record_failure("alice", now=40) == 560  # locked until 0 + 600
    assert throttle.retry_after("alice", now=300) == 300
    assert throttle.retry_after("alice", now=600) == 0  # the first failure left the window
    assert throttle.retry_after("bob", now=300) == 0


def test_failures_spread_over_more_than_the_window_never_lock():
    throttle = FailureThrottle(limit=5, window_s=600)
    assert all(throttle.record_failure("ip", now=t * 200) == 0 for t in range(20))


def test_reset_forgets_and_old_keys_are_pruned():
    throttle = FailureThrottle(limit=2, window_s=60)
    throttle.record_failure("a", now=0)
    throttle.record_failure("a", now=1)
    throttle.reset("a")
    assert throttle.retry_after("a", now=2) == 0
    throttle.record_failure("b", now=0)
    assert throttle.retry_after("b", now=61) == 0 and len(throttle) == 0


def test_token_bucket_allows_bursts_then_the_rate():
    bucket = TokenBucket(rate_per_s=20, burst=60)
    assert sum(bucket.take(0.0) for _ in range(100)) == 60
    assert sum(bucket.take(1.0) for _ in range(100)) == 20


def test_held_attempts_count_as_failures_until_settled():
    """Concurrent attempts: the check and the hold are one step, so at most `limit` pass."""
    throttle = FailureThrottle(limit=5, window_s=600)
    assert [throttle.reserve("alice", now=0) for _ in range(5)] == [0] * 5
    assert throttle.reserve("alice", now=1) == 600  # five in flight: the sixth must wait
    assert throttle.retry_after("alice", now=1) == 600
    assert [throttle.fail("alice", now=2) for _ in range(4)] == [0] * 4
    assert throttle.fail("alice", now=3) == 599  # the fifth settled failure locks, as in order
    assert throttle.retry_after("alice", now=3) == 599


def test_released_attempts_free_their_place():
    throttle = FailureThrottle(limit=2, window_s=60)
    assert throttle.reserve("ip", now=0) == 0
    assert throttle.reserve("ip", now=0) == 0
    assert throttle.reserve("ip", now=0) == 60
    throttle.release("ip")
    assert throttle.reserve("ip", now=1) == 0
    throttle.release("ip")
    throttle.release("ip")
    throttle.release("ip")  # more releases than holds change nothing
    assert throttle.retry_after("ip", now=1) == 0
    assert throttle.fail("ip", now=1) == 0  # a failure without a hold still counts
    assert throttle.reserve("ip", now=2) == 0
    assert throttle.reserve("ip", now=2) == 59


def test_tries_left_counts_held_attempts_and_ends_at_zero():
    """tries_left is the limit minus failures and held attempts, never below zero."""
    throttle = FailureThrottle(limit=3, window_s=60)
    assert throttle.tries_left("a", now=0) == 3
    throttle.record_failure("a", now=0)
    throttle.reserve("a", now=0)
    assert throttle.tries_left("a", now=0) == 1
    throttle.fail("a", now=1)
    throttle.record_failure("a", now=2)
    assert throttle.tries_left("a", now=2) == 0
    assert throttle.tries_left("a", now=61) == 2  # the first failure left the window


def test_failure_keys_are_capped_and_swept():
    """More distinct keys than the cap keep at most the cap; a sweep after the window drops all."""
    throttle = FailureThrottle(limit=5, window_s=60, max_keys=100)
    for n in range(1000):
        throttle.record_failure(f"key-{n}", now=n * 0.01)
    assert len(throttle) == 100
    assert throttle.retry_after("key-999", now=10) == 0  # kept: the newest
    assert throttle.sweep(now=100) == 100 and len(throttle) == 0


def test_slowdown_waits_grow_to_the_bound_and_never_lock():
    """Past the free failures each one doubles the wait from the last failure, up to the bound."""
    slow = FailureSlowdown(free=2, first_delay_s=1, max_delay_s=5, window_s=600)
    waits = []
    now = 0.0
    for _ in range(7):
        assert slow.reserve("alice", now) == 0
        waits.append(slow.fail("alice", now))
        now += waits[-1]
    assert waits == [0, 1, 2, 4, 5, 5, 5]
    assert slow.retry_after("alice", now - 1) == 1
    assert slow.retry_after("alice", now + 600) == 0 and len(slow) == 0  # the window passed


def test_slowdown_counts_held_attempts_as_failures_made_now():
    """Concurrent attempts past the free ones are refused while the first are held; hold() lets
    a trusted attempt through but still counts it."""
    slow = FailureSlowdown(free=2, first_delay_s=1, max_delay_s=5, window_s=600)
    assert [slow.reserve("k", now=0) for _ in range(4)] == [0, 0, 1, 1]
    slow.hold("k")
    slow.release("k")
    slow.release("k")
    slow.release("k")
    assert slow.reserve("k", now=0) == 0


def test_slowdown_keys_are_capped_and_swept():
    """At most max_keys keys; the least recently failed go first, and a sweep drops old ones."""
    slow = FailureSlowdown(free=1, first_delay_s=1, max_delay_s=5, window_s=60, max_keys=10)
    for n in range(100):
        slow.fail(f"k{n}", now=n)
    assert len(slow) == 10
    assert slow.sweep(now=200) == 10 and len(slow) == 0


def test_recent_pairs_forget_after_their_time_and_beyond_the_cap():
    """A pair is remembered for remember_s and among the max_pairs most recent only."""
    pairs = RecentPairs(remember_s=100, max_pairs=3)
    pairs.add("alice", "10.0.0.1", now=0)
    assert pairs.seen("alice", "10.0.0.1", now=50)
    assert not pairs.seen("alice", "10.0.0.2", now=50)
    assert not pairs.seen("alice", "10.0.0.1", now=100)
    for n in range(5):
        pairs.add("bob", f"10.0.1.{n}", now=200 + n)
    assert len(pairs) == 3 and not pairs.seen("bob", "10.0.1.0", now=210)
    assert pairs.sweep(now=303) == 2 and len(pairs) == 1
