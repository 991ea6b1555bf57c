"""A budget of unknown bearer tokens per client address, for several nodes on one database.

On PostgreSQL a bearer token this node does not hold is looked up in the database (it may
have been signed in on another node): one query. A flood of made-up tokens would be one query
each. Each lookup that finds nothing counts in the hub for the client's address
(``Hub.hit``, a window shared by every node); at :data:`UNKNOWN_TOKENS_PER_WINDOW` in a
window the node refuses that address's unknown tokens until the window ends without asking
the database or the hub (``throttled``, with the seconds left). Tokens the node holds, and
tokens found in the database, never count. A hub that cannot be reached counts nothing (the
lookups go on: a budget is not worth refusing every sign-in elsewhere).

Many addresses (a botnet) would each have their own budget, so every miss also counts in one
relay-wide window (:data:`RELAY_UNKNOWN_TOKENS_PER_WINDOW`, shared by the nodes): past it the
node refuses every unknown token, whatever its address, until the window ends
(``too_many_unknown_tokens``, 503: the relay, not the client, is out of budget; tokens the
node holds still work). The database then answers at most that many such lookups per window
across all the nodes, plus one per node at the window's start. A miss costs two hub round
trips (the address's count and the relay-wide one).
"""

from __future__ import annotations

import logging
from typing import Protocol

from relay_server.hub.interface import HubError

logger = logging.getLogger(__name__)

UNKNOWN_TOKENS_PER_WINDOW = 20  # per client address, relay-wide
WINDOW_S = 10.0
RELAY_UNKNOWN_TOKENS_PER_WINDOW = 200  # all addresses together, relay-wide (20 lookups/s)
RELAY_KEY = "unknown-token:*"  # no address has a '*'
MAX_BLOCKED = 10_000  # addresses remembered as over their budget on this node


class Counter(Protocol):
    """Counts events in fixed windows across the nodes (the hub)."""

    def hit(self, key: str, window_s: float, now: float) -> int: ...


class UnknownTokenBudget:
    def __init__(
        self,
        counter: Counter,
        limit: int = UNKNOWN_TOKENS_PER_WINDOW,
        window_s: float = WINDOW_S,
        relay_limit: int = RELAY_UNKNOWN_TOKENS_PER_WINDOW,
    ):
        self.counter = counter
        self.limit = limit
        self.window_s = window_s
        self.relay_limit = relay_limit
        self._blocked: dict[str, float] = {}  # address -> end of the window it is over in
        self._relay_blocked_until = 0.0  # the relay-wide budget is spent until then
        self.refused = 0  # unknown tokens refused without a lookup (logs, tests)

    def relay_wait_s(self, now: float) -> float:
        """0 while the relay-wide budget lasts, else the seconds left in its window."""
        if self._relay_blocked_until <= now:
            return 0.0
        self.refused += 1
        return self._relay_blocked_until - now

    def wait_s(self, address: str, now: float) -> float:
        """0 when a lookup for ``address`` may go to the database, else the seconds left."""
        until = self._blocked.get(address)
        if until is None:
            return 0.0
        if until <= now:
            del self._blocked[address]
            return 0.0
        self.refused += 1
        return until - now

    def missed(self, address: str, now: float) -> None:
        """A lookup for ``address`` found no such token: count it across the nodes."""
        try:
            hits = self.counter.hit(f"unknown-token:{address}", self.window_s, now)
            relay_hits = self.counter.hit(RELAY_KEY, self.window_s, now)
        except HubError as error:
            logger.warning("unknown token not counted: %s", error)
            return
        window_end = (now // self.window_s + 1) * self.window_s
        if relay_hits >= self.relay_limit and self._relay_blocked_until < window_end:
            self._relay_blocked_until = window_end
            logger.warning("the relay-wide budget of unknown tokens is spent",
                           extra={"until": window_end, "count": relay_hits})  # fmt: skip
        if hits >= self.limit:
            if len(self._blocked) >= MAX_BLOCKED:
                self._blocked = {a: t for a, t in self._blocked.items() if t > now}
                if len(self._blocked) >= MAX_BLOCKED:
                    self._blocked.pop(next(iter(self._blocked)))
            self._blocked[address] = window_end
