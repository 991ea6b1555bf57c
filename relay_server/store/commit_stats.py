"""Counters of the store's group commit: how many commits, how long their syncs take, how many
bytes they write, and how long the greenlets that wait on them wait.

Everything is a running total or a histogram of fixed buckets, so two snapshots taken a round
apart give that round's numbers (:func:`between`): ``GET /health`` shows a snapshot
(``store``), ``scripts/bench_mail.py`` takes one before and after each round.

Pure: the committer feeds it durations it measured; nothing here reads a clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

# Bucket i holds durations in [EDGE_0_US * 2**(i/4), EDGE_0_US * 2**((i+1)/4)) µs: 19 %
# resolution from 1 µs to about 30 s; the last bucket takes everything longer.
BUCKETS_PER_DOUBLING = 4
EDGE_0_US = 1.0
BUCKET_COUNT = 100

SYNC = "sync"  # one commit: the store's sync (journal write + fsync, or a database commit)
FSYNC = "fsync"  # the journal's fsync alone (TinyDB store)
START_DELAY = "start_delay"  # first waiter's wake-up to the committer starting the sync
MAIL = "mail"  # the mail sender's waits (the sending/committing marks)
OTHER = "other"  # every other waiter: chat messages, HTTP changes


def bucket_of(seconds: float) -> int:
    """The histogram bucket of a duration."""
    micros = seconds * 1e6
    if micros < EDGE_0_US:
        return 0
    index = int(math.log2(micros / EDGE_0_US) * BUCKETS_PER_DOUBLING)
    return min(index, BUCKET_COUNT - 1)


def bucket_ms(index: int) -> float:
    """A bucket's representative duration in ms: its geometric middle."""
    return EDGE_0_US * 2 ** ((index + 0.5) / BUCKETS_PER_DOUBLING) / 1000


class Histogram:
    """Counts of durations in :data:`BUCKET_COUNT` logarithmic buckets, and their sum."""

    __slots__ = ("counts", "total_s")

    def __init__(self) -> None:
        self.counts = [0] * BUCKET_COUNT
        self.total_s = 0.0

    def add(self, seconds: float) -> None:
        self.counts[bucket_of(seconds)] += 1
        self.total_s += seconds

    def snapshot(self) -> dict[str, Any]:
        return {"counts": list(self.counts), "total_s": self.total_s}


class CommitStats:
    """What the group committer did since the relay started (see the module docstring)."""

    def __init__(self) -> None:
        self.commits = 0  # syncs that wrote something
        self.empty_commits = 0  # syncs woken with nothing new (a waiter raced a commit)
        self.changes = 0  # store changes those commits made durable
        self.bytes = 0  # journal bytes written by them (0 on PostgreSQL: not counted)
        self.max_bytes = 0  # the largest commit
        self.in_thread = 0  # commits whose sync ran in the thread pool (slow disk)
        self.waits: dict[str, int] = {}  # wait_durable calls by label
        self.asks: dict[str, int] = {}  # commits asked for by label (a rider asks late or never)
        self.histograms: dict[str, Histogram] = {}

    def histogram(self, name: str) -> Histogram:
        found = self.histograms.get(name)
        if found is None:
            found = self.histograms[name] = Histogram()
        return found

    def committed(
        self, changes: int, sync_s: float, written: int, fsync_s: float | None, in_thread: bool
    ) -> None:
        """One sync has returned: ``changes`` store changes in ``written`` journal bytes."""
        if changes <= 0:
            self.empty_commits += 1
            return
        self.commits += 1
        self.changes += changes
        self.bytes += written
        self.max_bytes = max(self.max_bytes, written)
        self.in_thread += in_thread
        self.histogram(SYNC).add(sync_s)
        if fsync_s is not None:
            self.histogram(FSYNC).add(fsync_s)

    def started(self, delay_s: float) -> None:
        """The committer began a sync ``delay_s`` after the first waiter woke it."""
        self.histogram(START_DELAY).add(delay_s)

    def asked(self, label: str) -> None:
        """A waiter of ``label`` woke the committer (no one had asked for the next commit)."""
        self.asks[label] = self.asks.get(label, 0) + 1

    def waited(self, label: str, seconds: float) -> None:
        """A ``wait_durable`` call of ``label`` returned after ``seconds``."""
        self.waits[label] = self.waits.get(label, 0) + 1
        self.histogram(f"wait_{label}").add(seconds)

    def snapshot(self) -> dict[str, Any]:
        """Every counter, JSON-ready (``/health``'s ``store``)."""
        return {
            "commits": self.commits,
            "empty_commits": self.empty_commits,
            "changes": self.changes,
            "bytes": self.bytes,
            "max_bytes": self.max_bytes,
            "in_thread": self.in_thread,
            "waits": dict(self.waits),
            "asks": dict(self.asks),
            "histograms": {name: h.snapshot() for name, h in self.histograms.items()},
        }


def between(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """What happened between two :meth:`CommitStats.snapshot` s: counters and histograms
    subtracted (``max_bytes`` is the later one's: not a per-round figure)."""
    counters = ("commits", "empty_commits", "changes", "bytes", "in_thread")
    diff: dict[str, Any] = {key: after[key] - before.get(key, 0) for key in counters}
    for key in ("waits", "asks"):
        diff[key] = {
            label: count - before.get(key, {}).get(label, 0)
            for label, count in after.get(key, {}).items()
        }
    diff["histograms"] = {}
    for name, hist in after["histograms"].items():
        old = before.get("histograms", {}).get(name, {"counts": [0] * BUCKET_COUNT, "total_s": 0})
        diff["histograms"][name] = {
            "counts": [a - b for a, b in zip(hist["counts"], old["counts"], strict=True)],
            "total_s": hist["total_s"] - old["total_s"],
        }
    return diff


def percentile_ms(counts: Iterable[int], fraction: float) -> float:
    """The ``fraction`` percentile (0.5, 0.99) of a histogram's counts, in ms (nan if empty):
    the middle of the bucket that holds it, so within ±10 % of the true value."""
    counts = list(counts)
    total = sum(counts)
    if total == 0:
        return float("nan")
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for index, count in enumerate(counts):
        seen += count
        if seen >= rank:
            return bucket_ms(index)
    return bucket_ms(len(counts) - 1)  # pragma: no cover - rank <= total
