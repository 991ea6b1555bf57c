"""Guessing limits on joining (pure; the caller passes ``now``).

Two limits, neither of which ever refuses a customer who holds a valid code:

- **Per address**: the first ``FREE_WRONG_CODES`` wrong codes from one address cost nothing
  (a customer who mistypes twice joins at once); after that the address waits 1 s, 2 s,
  4 s, ... before its next try, and after ``ADDRESS_WRONG_LIMIT`` wrong codes within
  ``ADDRESS_WINDOW_S`` it waits until the oldest leaves the window. Only that address waits.
- **Relay-wide**: when the last ``window_s`` saw ``budget`` wrong codes (from any number of
  addresses), the relay is in *admission mode*: a correct code no longer joins at once but
  knocks, and the agent admits. ``budget`` is stated for ``REFERENCE_LIVE_CODES`` (100) live
  codes and shrinks in proportion above that (1,000 live codes: a tenth), because each guess
  hits with probability N/10^9. So guesses answered outside admission mode carry at most
  ``budget * 100 / 10^9`` of hit probability per window, whatever N is:
  P(join without a click in 24 h) <= 24 h / window * budget * 100 / 10^9 (docs/security.md).

With several relay nodes (a shared hub, ``JoinGuard.shared``) both limits also count in the
hub's fixed windows, so they span nodes: an address that made ``ADDRESS_WRONG_LIMIT`` wrong
codes across all nodes in the window waits until the window ends, and the relay-wide budget
is the sum over nodes. A fixed window never holds more than the sliding one, so on one node
the local limits decide as before.

Icon knocks have their own per-address limit (an icon number is public, so every pick knocks).
Every operation is O(1); :meth:`JoinGuard.sweep` forgets addresses past their window.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Protocol

FREE_WRONG_CODES = 3  # wrong codes from one address before any wait
FIRST_DELAY_S = 1.0  # the wait after the 3rd wrong code; doubles with each further one
ADDRESS_WRONG_LIMIT = 10
ADDRESS_WINDOW_S = 600.0
ICON_KNOCKS_PER_ADDRESS = 5  # icon knocks per address per ADDRESS_WINDOW_S
DEFAULT_GUESS_BUDGET = 400  # wrong codes relay-wide per window (at 100 live codes)
REFERENCE_LIVE_CODES = 100  # the budget is for this many live codes; more shrink it
DEFAULT_GUESS_WINDOW_S = 3600.0


class SharedCounts(Protocol):
    """Counts in fixed windows that every relay node adds to (the hub's ``hit``/``count``)."""

    def hit(self, key: str, window_s: float, now: float) -> int: ...

    def count(self, key: str, window_s: float, now: float) -> int: ...


RELAY_WRONG_KEY = "wrong:relay"


class AddressWindow:
    """Events per key (an address) in a sliding window, at most ``limit`` kept per key."""

    def __init__(self, limit: int, window_s: float):
        self.limit = limit
        self.window_s = window_s
        self._events: dict[str, deque[float]] = {}

    def count(self, key: str, now: float) -> int:
        events = self._live(key, now)
        return len(events) if events else 0

    def add(self, key: str, now: float) -> int:
        """Record one event; returns how many the window now holds for ``key``."""
        events = self._live(key, now)
        if events is None:
            events = self._events[key] = deque(maxlen=self.limit)
        events.append(now)
        return len(events)

    def wait_until_room(self, key: str, now: float) -> float:
        """Seconds until ``key`` may have one more event, 0 when it may now."""
        events = self._live(key, now)
        if not events or len(events) < self.limit:
            return 0.0
        return max(0.0, events[0] + self.window_s - now)

    def last(self, key: str) -> float | None:
        events = self._events.get(key)
        return events[-1] if events else None

    def sweep(self, now: float) -> int:
        """Forget keys whose events all left the window; returns how many were forgotten."""
        old = [k for k, events in self._events.items() if events[-1] <= now - self.window_s]
        for key in old:
            del self._events[key]
        return len(old)

    def _live(self, key: str, now: float) -> deque[float] | None:
        events = self._events.get(key)
        if events is None:
            return None
        while events and events[0] <= now - self.window_s:
            events.popleft()
        if not events:
            del self._events[key]
            return None
        return events

    def __len__(self) -> int:
        return len(self._events)


class GuessBudget:
    """Wrong codes relay-wide in a sliding window; ``exhausted`` once the budget was made.

    Only the newest ``budget`` times are kept: the window holds ``k`` of them exactly when the
    k-th newest is still inside it. ``budget`` 0 turns admission mode off (a baseline for
    benchmarks; never for a relay on the internet).
    """

    def __init__(self, budget: int, window_s: float):
        self.budget = budget
        self.window_s = window_s
        self._times: deque[float] = deque(maxlen=max(budget, 1))
        self.total = 0  # wrong codes ever, for /health-style counters and benchmarks

    def record(self, now: float) -> None:
        self._times.append(now)
        self.total += 1

    def allowed(self, live_codes: int) -> int:
        """The budget at ``live_codes`` live codes (at least 1)."""
        return max(1, self.budget * REFERENCE_LIVE_CODES // max(live_codes, REFERENCE_LIVE_CODES))

    def exhausted(self, now: float, live_codes: int = REFERENCE_LIVE_CODES) -> bool:
        if self.budget <= 0:
            return False
        allowed = self.allowed(live_codes)
        return len(self._times) >= allowed and self._times[-allowed] > now - self.window_s

    def in_window(self, now: float) -> int:
        """Wrong codes in the window, up to ``budget`` (what the relay needs to know)."""
        return sum(1 for t in self._times if t > now - self.window_s)


@dataclass(slots=True)
class JoinGuard:
    """Both limits on joining, and the icon-knock limit; see the module docstring."""

    budget: GuessBudget
    wrong_by_address: AddressWindow
    icon_knocks_by_address: AddressWindow
    shared: SharedCounts | None = None  # several nodes: the hub's counts span them

    @classmethod
    def create(
        cls, budget: int = DEFAULT_GUESS_BUDGET, window_s: float = DEFAULT_GUESS_WINDOW_S
    ) -> JoinGuard:
        return cls(
            GuessBudget(budget, window_s),
            AddressWindow(ADDRESS_WRONG_LIMIT, ADDRESS_WINDOW_S),
            AddressWindow(ICON_KNOCKS_PER_ADDRESS, ADDRESS_WINDOW_S),
        )

    def retry_after(self, address: str, now: float) -> float:
        """Seconds ``address`` must wait before its next code, 0 when it may try now."""
        shared_wait = 0.0
        if self.shared is not None:
            key = f"wrong:{address}"
            if self.shared.count(key, ADDRESS_WINDOW_S, now) >= ADDRESS_WRONG_LIMIT:
                shared_wait = ADDRESS_WINDOW_S - now % ADDRESS_WINDOW_S  # the window's end
        wrong = self.wrong_by_address.count(address, now)
        if wrong < FREE_WRONG_CODES:
            return shared_wait
        locked = self.wrong_by_address.wait_until_room(address, now)
        last = self.wrong_by_address.last(address) or now
        delay = FIRST_DELAY_S * 2 ** (wrong - FREE_WRONG_CODES)
        return max(locked, last + delay - now, shared_wait, 0.0)

    def wrong_code(self, address: str, now: float) -> None:
        """Count one wrong (or used, or expired) code from ``address``."""
        self.wrong_by_address.add(address, now)
        self.budget.record(now)
        if self.shared is not None:
            self.shared.hit(f"wrong:{address}", ADDRESS_WINDOW_S, now)
            self.shared.hit(RELAY_WRONG_KEY, self.budget.window_s, now)

    def admission_required(self, now: float, live_codes: int = REFERENCE_LIVE_CODES) -> bool:
        """True while the relay-wide budget is spent: a correct code knocks instead of joining."""
        if self.budget.exhausted(now, live_codes):
            return True
        if self.shared is None or self.budget.budget <= 0:
            return False
        spent = self.shared.count(RELAY_WRONG_KEY, self.budget.window_s, now)
        return spent >= self.budget.allowed(live_codes)

    def icon_knock_wait(self, address: str, now: float) -> float:
        """Seconds ``address`` must wait before its next icon knock, 0 when it may knock now."""
        return self.icon_knocks_by_address.wait_until_room(address, now)

    def icon_knocked(self, address: str, now: float) -> None:
        self.icon_knocks_by_address.add(address, now)

    def sweep(self, now: float) -> None:
        """Forget addresses past their window (periodic upkeep keeps memory bounded)."""
        self.wrong_by_address.sweep(now)
        self.icon_knocks_by_address.sweep(now)
