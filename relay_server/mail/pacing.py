"""The sender's pace: how long to wait between two tries, slower while the relay's loop lags.

The sender (``relay_server/mail/sender.py``) sleeps between its tries (``max_per_s``). How
late that sleep ends is the relay's event loop's lag, measured for free: a loop busy with
chat (or a relay waiting for a CPU) wakes the sender late. While the lag is above
``LAG_BUSY_S`` the gap between tries grows by ``SLOWER`` per try up to the slowest pace
(``min_per_s``); while it is below, it shrinks back by ``FASTER`` to the fastest. Mail takes
a smaller share of the loop exactly when the chat needs it, and a quiet relay sends at full
pace (docs/performance.md, *Mail*). Pure: the sender passes the times.
"""

from __future__ import annotations

LAG_BUSY_S = 0.002  # a sleep that ends this much late: the loop has other work
SLOWER = 1.25
FASTER = 0.9
MIN_PER_S = 25.0  # the slowest pace: 1,000 mails still go in 40 s


class Pace:
    """The gap between two tries, from ``max_per_s`` down to ``min_per_s`` while the loop lags.

    ``max_per_s`` 0: unpaced (no gap, nothing measured)."""

    def __init__(self, max_per_s: float, min_per_s: float = MIN_PER_S):
        self.fastest_s = 1.0 / max_per_s if max_per_s > 0 else 0.0
        self.slowest_s = max(self.fastest_s, 1.0 / min_per_s if min_per_s > 0 else 0.0)
        self.gap_s = self.fastest_s
        self.slowed = 0  # sleeps that ended late (counted for the logs and tests)

    def note_sleep(self, asked_s: float, slept_s: float) -> None:
        """A pause between tries asked ``asked_s`` and took ``slept_s``."""
        if self.fastest_s <= 0:
            return
        if slept_s - asked_s > LAG_BUSY_S:
            self.slowed += 1
            self.gap_s = min(self.slowest_s, self.gap_s * SLOWER)
        else:
            self.gap_s = max(self.fastest_s, self.gap_s * FASTER)
