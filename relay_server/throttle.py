"""Failure throttling: after ``limit`` failures within ``window_s`` a key must wait."""

from __future__ import annotations

from collections import deque


class FailureThrottle:
    """Counts failures per key (an account, an IP) in a sliding window.

    Pure: the caller passes the current time, so tests need no clock.

    Attempts whose outcome takes time (a password check yields to a thread pool) are held with
    :meth:`reserve` and count as failures until :meth:`fail` or :meth:`release` settles them:
    otherwise many concurrent attempts would all pass the check before the first failure is
    counted, and the limit would not bound them.
    """

    def __init__(self, limit: int, window_s: float):
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._pending: dict[str, int] = {}  # attempts held by reserve(), not settled yet

    def retry_after(self, key: str, now: float) -> float:
        """Seconds ``key`` must still wait, or 0 when it may try now.

        Pending attempts count as failures made ``now`` (the worst case they may turn into).
        """
        return self._wait(key, now, self._pending.get(key, 0))

    def reserve(self, key: str, now: float) -> float:
        """Check and hold one attempt in one step: 0 when held, else the wait (nothing held)."""
        wait = self.retry_after(key, now)
        if wait == 0:
            self._pending[key] = self._pending.get(key, 0) + 1
        return wait

    def fail(self, key: str, now: float) -> float:
        """Settle a held attempt as a failure; returns the wait it causes, as record_failure."""
        self.release(key)
        return self.record_failure(key, now)

    def release(self, key: str) -> None:
        """Settle a held attempt that did not fail (or never finished). No-op without one."""
        held = self._pending.get(key, 0)
        if held <= 1:
            self._pending.pop(key, None)
        else:
            self._pending[key] = held - 1

    def record_failure(self, key: str, now: float) -> float:
        """Count one failure; returns the wait it causes (0 while under the limit).

        Only settled failures count here, so the n-th failure of concurrent attempts gets the
        same answer as the n-th of sequential ones.
        """
        failures = self._prune(key, now)
        if failures is None:
            failures = self._failures[key] = deque()
        failures.append(now)
        return self._wait(key, now, 0)

    def reset(self, key: str) -> None:
        self._failures.pop(key, None)

    def _wait(self, key: str, now: float, pending: int) -> float:
        failures = self._prune(key, now)
        count = (len(failures) if failures else 0) + pending
        if count < self.limit:
            return 0.0
        # The limit-th newest failure, pending ones counted as made now, ages out first.
        times = [*(failures or ()), *([now] * pending)]
        return max(0.0, times[-self.limit] + self.window_s - now)

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

    def give(self, tokens: float) -> None:
        """Add ``tokens`` at once, up to ``burst``: an allowance earned by something else."""
        self._tokens = min(self.burst, self._tokens + tokens)

    def take(self, now: float) -> bool:
        if self._last is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate_per_s)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False
