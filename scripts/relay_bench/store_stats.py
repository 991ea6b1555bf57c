"""The relay's group-commit counters (``store`` in ``GET /health`` under ``--health-details``),
taken before and after a round and turned into that round's numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from relay_server.store.commit_stats import between, percentile_ms
from scripts.relay_bench.http_setup import Api


def snapshot(api: Api) -> dict[str, Any] | None:
    """The relay's counters now; None for a relay that has none (an older revision)."""
    return api.call("GET", "/health").get("store")


@dataclass
class CommitRound:
    """One round's commits, from two snapshots ``seconds`` apart."""

    commits_per_s: float
    changes_per_commit: float
    bytes_per_commit: float
    in_thread: int
    sync_ms: tuple[float, float]  # p50, p99 of write + fsync
    fsync_ms: tuple[float, float]
    start_delay_ms: tuple[float, float]  # a waiter's wake-up to the sync's start
    wait_other_ms: tuple[float, float]  # chat (and any HTTP change) to its commit's end
    wait_mail_ms: tuple[float, float]  # the mail sender's own waits
    mail_waits: int
    mail_asks: int  # commits the mail sender asked for itself (not riding on others')

    @classmethod
    def of(cls, before: dict[str, Any], after: dict[str, Any], seconds: float) -> CommitRound:
        diff = between(before, after)
        commits = diff["commits"]
        hists = diff["histograms"]

        def p50_p99(name: str) -> tuple[float, float]:
            counts = hists.get(name, {}).get("counts", [])
            return percentile_ms(counts, 0.5), percentile_ms(counts, 0.99)

        return cls(
            commits_per_s=commits / seconds,
            changes_per_commit=diff["changes"] / max(commits, 1),
            bytes_per_commit=diff["bytes"] / max(commits, 1),
            in_thread=diff["in_thread"],
            sync_ms=p50_p99("sync"),
            fsync_ms=p50_p99("fsync"),
            start_delay_ms=p50_p99("start_delay"),
            wait_other_ms=p50_p99("wait_other"),
            wait_mail_ms=p50_p99("wait_mail"),
            mail_waits=diff["waits"].get("mail", 0),
            mail_asks=diff.get("asks", {}).get("mail", 0),
        )
