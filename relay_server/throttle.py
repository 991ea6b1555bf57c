"""Failure throttling: after ``limit`` failures within ``window_s`` a key must wait."""

from __future__ import annotations

from collections import deque


class FailureThrottle:
    """Counts failures per key (an account, an IP) in a sliding window.

    Pure: the caller passes the current time, so tests need no clock.
    """

    def __init__(self, limit: int, window_s: float):
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, key: str, now: float) -> float:
        """Seconds ``key`` must still wait, or 0 when it may try now."""
        failures = self._prune(key, now)
        if failures is None or len(failures) < self.limit:
            return 0.0
        return max(0.0, failures[-self.limit] + self.window_s - now)

    def record_failure(self, key: str, now: float) -> float:
        """Count one failure; returns the wait it causes (0 while under the limit)."""
        failures = self._prune(key, now)
        if failures is None:
            failures = self._failures[key] = deque()
        failures.append(now)
        return self.retry_after(key, now)

    def reset(self, key: str) -> None:
        self._failures.pop(key, None)

    def _prune(self, key: str, now: float) -> deque[float] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures

    def __len__(self) -> int:
        return len(self._failures)


class TokenBucket:
    """Allows ``rate_per_s`` events a second on average, with bursts up to ``burst``."""

    __slots__ = ("rate_per_s", "burst", "_tokens", "_last")

    def __init__(self, rate_per_s: float, burst: float):
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._tokens = burst
        self._last: float | None = None

    def take(self, now: float) -> bool:
        if self._last is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate_per_s)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False
