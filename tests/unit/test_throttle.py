"""Failure throttling and token buckets, driven by explicit time."""

from __future__ import annotations

from relay_server.throttle import FailureThrottle, TokenBucket


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
