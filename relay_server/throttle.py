"""Failure throttling: locks (:class:`FailureThrottle`), slowdowns (:class:`FailureSlowdown`),
remembered pairs (:class:`RecentPairs`) and rates (:class:`TokenBucket`). Pure, bounded."""

from __future__ import annotations

from collections import OrderedDict, deque

DEFAULT_MAX_KEYS = 100_000


class FailureThrottle:
    """Counts failures per key (an account, an IP) in a sliding window.

    Pure: the caller passes the current time, so tests need no clock.

    Attempts whose outcome takes time (a password check yields to a thread pool) are held with
    :meth:`reserve` and count as failures until :meth:`fail` or :meth:`release` settles them:
    otherwise many concurrent attempts would all pass the check before the first failure is
    counted, and the limit would not bound them.

    Memory is bounded: at most ``max_keys`` keys have failures (past that the key whose
    failures began first is forgotten), and :meth:`sweep` drops keys whose failures all left
    the window.
    """

    def __init__(self, limit: int, window_s: float, max_keys: int = DEFAULT_MAX_KEYS):
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
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
            if len(self._failures) >= self.max_keys:
                self.sweep(now)
            while len(self._failures) >= self.max_keys:
                del self._failures[next(iter(self._failures))]
            failures = self._failures[key] = deque()
        failures.append(now)
        return self._wait(key, now, 0)

    def tries_left(self, key: str, now: float) -> int:
        """How many more failures ``key`` may make before it must wait (held ones count)."""
        failures = self._prune(key, now)
        used = (len(failures) if failures else 0) + self._pending.get(key, 0)
        return max(0, self.limit - used)

    def reset(self, key: str) -> None:
        self._failures.pop(key, None)

    def sweep(self, now: float) -> int:
        """Forget every key whose failures all left the window; returns how many."""
        before = len(self._failures)
        for key in list(self._failures):
            self._prune(key, now)
        return before - len(self._failures)

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


class FailureSlowdown:
    """Slows a key down after ``free`` failures in a window, never locks it out.

    From the ``free``-th failure on, the n-th failure after it (n = 0, 1, ...) makes the next
    attempt wait ``first_delay_s * 2**n``, at most ``max_delay_s``, counted from that failure;
    the count starts over once ``window_s`` passes without a failure. Attempts are held with
    :meth:`reserve` (check and hold) or :meth:`hold` (hold without a check, for callers let
    through) and settled with
    :meth:`fail` or :meth:`release`, as in :class:`FailureThrottle`; held attempts count as
    failures made now. Pure; at most ``max_keys`` keys (the least recently failed is
    forgotten first), and :meth:`sweep` drops expired ones.
    """

    def __init__(
        self,
        free: int,
        first_delay_s: float,
        max_delay_s: float,
        window_s: float,
        max_keys: int = DEFAULT_MAX_KEYS,
    ):
        self.free = free
        self.first_delay_s = first_delay_s
        self.max_delay_s = max_delay_s
        self.window_s = window_s
        self.max_keys = max_keys
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # count, last
        self._pending: dict[str, int] = {}

    def retry_after(self, key: str, now: float) -> float:
        """Seconds ``key`` must wait before its next attempt (0: go ahead)."""
        count, last = self._current(key, now)
        pending = self._pending.get(key, 0)
        past_free = count + pending - self.free
        if past_free < 0:
            return 0.0
        delay = min(self.max_delay_s, self.first_delay_s * 2.0**past_free)
        since = now if pending else last
        return max(0.0, since + delay - now)

    def reserve(self, key: str, now: float) -> float:
        """Check and hold one attempt: 0 when held, else the wait (nothing held)."""
        wait = self.retry_after(key, now)
        if wait == 0:
            self.hold(key)
        return wait

    def hold(self, key: str) -> None:
        """Hold one attempt without checking (a caller that lets this one through)."""
        self._pending[key] = self._pending.get(key, 0) + 1

    def release(self, key: str) -> None:
        """Settle a held attempt that did not fail. No-op without one."""
        held = self._pending.get(key, 0)
        if held <= 1:
            self._pending.pop(key, None)
        else:
            self._pending[key] = held - 1

    def fail(self, key: str, now: float) -> float:
        """Settle a held attempt as a failure; returns the wait before the next attempt."""
        self.release(key)
        count, _ = self._current(key, now)
        if count == 0 and len(self._failures) >= self.max_keys:
            self.sweep(now)
            while len(self._failures) >= self.max_keys:
                self._failures.popitem(last=False)
        self._failures[key] = (count + 1, now)
        self._failures.move_to_end(key)
        return self.retry_after(key, now)

    def sweep(self, now: float) -> int:
        """Forget every key whose last failure left the window; returns how many."""
        expired = [k for k, (_, last) in self._failures.items() if last <= now - self.window_s]
        for key in expired:
            del self._failures[key]
        return len(expired)

    def _current(self, key: str, now: float) -> tuple[int, float]:
        entry = self._failures.get(key)
        if entry is None:
            return 0, 0.0
        if entry[1] <= now - self.window_s:
            del self._failures[key]
            return 0, 0.0
        return entry

    def __len__(self) -> int:
        return len(self._failures)


class RecentPairs:
    """Remembers (key, value) pairs for ``remember_s``, at most ``max_pairs`` (oldest first out).

    Pure; used for "this address signed in to this account before".
    """

    def __init__(self, remember_s: float, max_pairs: int):
        self.remember_s = remember_s
        self.max_pairs = max_pairs
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()

    def add(self, key: str, value: str, now: float) -> None:
        self._seen[(key, value)] = now
        self._seen.move_to_end((key, value))
        while len(self._seen) > self.max_pairs:
            self._seen.popitem(last=False)

    def seen(self, key: str, value: str, now: float) -> bool:
        when = self._seen.get((key, value))
        if when is None:
            return False
        if when <= now - self.remember_s:
            del self._seen[(key, value)]
            return False
        return True

    def sweep(self, now: float) -> int:
        """Forget pairs older than ``remember_s`` (the oldest come first); returns how many."""
        dropped = 0
        while self._seen:
            pair, when = next(iter(self._seen.items()))
            if when > now - self.remember_s:
                break
            del self._seen[pair]
            dropped += 1
        return dropped

    def __len__(self) -> int:
        return len(self._seen)


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
