"""The group commit's counters: buckets, percentiles, and a round's numbers from two snapshots."""

from __future__ import annotations

import math

from relay_server.store.commit_stats import (
    BUCKET_COUNT,
    SYNC,
    CommitStats,
    between,
    bucket_ms,
    bucket_of,
    percentile_ms,
)
from relay_server.store.journal import Journal


def test_a_duration_lands_in_a_bucket_whose_middle_is_within_a_tenth_of_it():
    """Every duration from 2 µs to 10 s is read back within ±10 % (19 % wide buckets)."""
    for seconds in (2e-6, 1.3e-4, 1e-3, 7.7e-3, 0.25, 10.0):
        assert abs(bucket_ms(bucket_of(seconds)) / (seconds * 1000) - 1) <= 0.10


def test_out_of_range_durations_go_to_the_end_buckets():
    """Zero goes to the first bucket, an hour to the last; neither raises."""
    assert bucket_of(0.0) == 0
    assert bucket_of(3600.0) == BUCKET_COUNT - 1


def test_percentiles_follow_the_counts():
    """99 fast waits and one slow one: p50 is fast, p99 fast, p100 slow; none: nan."""
    stats = CommitStats()
    for _ in range(99):
        stats.waited("other", 0.001)
    stats.waited("other", 0.050)
    counts = stats.snapshot()["histograms"]["wait_other"]["counts"]
    assert math.isclose(percentile_ms(counts, 0.5), 1.0, rel_tol=0.1)
    assert math.isclose(percentile_ms(counts, 0.99), 1.0, rel_tol=0.1)
    assert math.isclose(percentile_ms(counts, 1.0), 50.0, rel_tol=0.1)
    assert math.isnan(percentile_ms([0] * BUCKET_COUNT, 0.99))


def test_between_gives_only_what_happened_in_the_round():
    """Commits before the first snapshot do not count in the round; empty syncs are apart."""
    stats = CommitStats()
    stats.committed(3, 0.002, 300, 0.001, in_thread=False)
    before = stats.snapshot()
    stats.committed(1, 0.010, 100, 0.009, in_thread=True)
    stats.committed(0, 0.001, 0, None, in_thread=False)
    stats.waited("mail", 0.004)
    diff = between(before, stats.snapshot())
    assert diff["commits"] == 1 and diff["changes"] == 1 and diff["bytes"] == 100
    assert diff["empty_commits"] == 1 and diff["in_thread"] == 1
    assert diff["waits"] == {"mail": 1}
    assert math.isclose(percentile_ms(diff["histograms"][SYNC]["counts"], 0.5), 10, rel_tol=0.1)
    assert diff["histograms"]["wait_mail"]["counts"][bucket_of(0.004)] == 1


def test_the_journal_tells_each_sync_s_bytes(tmp_path):
    """A sync reports the bytes it wrote; a sync with nothing buffered reports none."""
    journal = Journal(tmp_path / "journal.jsonl")
    journal.append({"t": "chat", "op": "i", "id": 1, "d": {"text": "hi"}})
    journal.sync()
    assert journal.last_sync_bytes == len(b'{"t":"chat","op":"i","id":1,"d":{"text":"hi"}}\n')
    journal.sync()
    assert journal.last_sync_bytes == 0
    journal.close()
