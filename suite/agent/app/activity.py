"""Which of the app's windows saw the agent's input lately, and which hold a live support (A4).

The main window decides when to sign out after the idle time (ui/agent/idle_logout.js); it
sees its own keyboard and mouse, but not the chat windows' or the notice's. Those windows
report to the app (``POST /local/activity``, throttled), and this pure record answers the
main window's question (``GET /local/activity``): how long since the last input anywhere,
and is any support waiting or chatting? A window that holds a live support repeats its
report as a heartbeat; one that stops (closed, crashed) counts as not live after
:data:`LIVE_TTL_S`, so a closed chat window cannot keep the app signed in forever.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

LIVE_TTL_S = 90.0  # three missed heartbeats (the pages send one every 30 s while live)
MAX_SOURCES = 200  # one per window; more means a page is misbehaving


@dataclass
class ActivityLog:
    """The last input time and the live windows, keyed by the reporting window.

    Every method takes ``now`` (monotonic seconds) so tests drive the clock.
    """

    last_input: float | None = None
    live_until: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def report(self, source: str, *, input_seen: bool, live: bool, now: float) -> None:
        """Record one window's report.

        Args:
            source: the window (a chat window's session id, ``notice``...).
            input_seen: the agent typed or clicked in it since its last report.
            live: it holds a support that is waiting for or chatting with a customer.
            now: monotonic seconds.
        """
        with self.lock:
            if input_seen:
                self.last_input = now if self.last_input is None else max(self.last_input, now)
            self._forget_expired(now)
            if live and (source in self.live_until or len(self.live_until) < MAX_SOURCES):
                self.live_until[source] = now + LIVE_TTL_S
            elif not live:
                self.live_until.pop(source, None)

    def state(self, now: float) -> dict[str, float | bool | None]:
        """``{idle_s, live}``: seconds since the last reported input (None: none yet) and
        whether any window holds a live support."""
        with self.lock:
            self._forget_expired(now)
            idle = None if self.last_input is None else round(max(0.0, now - self.last_input), 3)
            return {"idle_s": idle, "live": bool(self.live_until)}

    def _forget_expired(self, now: float) -> None:
        for source in [s for s, until in self.live_until.items() if until <= now]:
            del self.live_until[source]
