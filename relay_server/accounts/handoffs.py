"""Sign-in handoffs (CH9): the desktop app opens a support in the system browser, signed in.

When the app's web engine cannot hold a call (no WebRTC, no camera access, or the agent chose
"Open calls in my browser"), the app asks the relay for a handoff ticket for one of the
agent's live supports and opens ``<relay>/agent#handoff=<ticket>`` with the system browser.
The page exchanges the ticket, once, for a normal sign-in (a bearer token of its own) and
opens that support. The ticket is in the URL fragment, which browsers never send to a server,
so it is in no access log, proxy log or Referer.

Pure: no sockets, no clock of its own (every call takes ``now``). Only the SHA-256 of a ticket
is kept, so a memory dump does not hand out sign-ins. Tickets live in memory only: after a
relay restart a ticket is ``handoff_unknown`` and the agent clicks again, which is cheap.

Rules: a ticket is bound to the agent's username and one session id; it lives
``HANDOFF_LIFETIME_S`` (60 s: the browser opens within seconds); it is used once; an agent
holds at most ``MAX_LIVE_PER_AGENT`` unused ones (a page gone wild must not fill memory).
Used and expired tickets are remembered ``HANDOFF_MEMORY_S`` so a second try hears "used" or
"expired" rather than "unknown".
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

HANDOFF_LIFETIME_S = 60.0
HANDOFF_MEMORY_S = 3600.0
MAX_LIVE_PER_AGENT = 5
MAX_REMEMBERED = 10_000
TICKET_BYTES = 32  # 256 bits; the brief's floor is 128
MAX_TICKET_CHARS = 128  # longer input is refused before it is hashed


class HandoffProblem(StrEnum):
    """Why a ticket was refused; the value is the API's error code."""

    UNKNOWN = "handoff_unknown"
    USED = "handoff_used"
    EXPIRED = "handoff_expired"
    SESSION_OVER = "handoff_session_over"
    TOO_MANY = "too_many_handoffs"


PROBLEM_MESSAGES = {
    HandoffProblem.UNKNOWN: "this sign-in link is not valid; open the call again from the app",
    HandoffProblem.USED: "this sign-in link was already used; open the call again from the app",
    HandoffProblem.EXPIRED: (
        "this sign-in link has expired (it works for one minute); open the call again from the app"
    ),
    HandoffProblem.SESSION_OVER: "the support of this sign-in link is over",
    HandoffProblem.TOO_MANY: "too many browser sign-ins asked for at once; wait a minute",
}


class HandoffRefused(Exception):
    """A ticket was refused; ``problem`` says why."""

    def __init__(self, problem: HandoffProblem):
        super().__init__(PROBLEM_MESSAGES[problem])
        self.problem = problem


@dataclass(slots=True)
class Handoff:
    """One issued ticket (without the ticket: only its hash is kept)."""

    ticket_hash: str
    username: str
    session_id: str
    issued_at: float
    expires_at: float
    used_at: float | None = None


# Whether the agent still owns this live session: (username, session_id) -> bool.
OwnsLive = Callable[[str, str], bool]


def ticket_hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode("utf-8", "surrogatepass")).hexdigest()


class Handoffs:
    """Every handoff ticket this relay issued and still remembers.

    Args:
        lifetime_s: how long a ticket may be redeemed after it is issued.
        new_ticket: source of secrets (tests pass a predictable one).
    """

    def __init__(
        self,
        lifetime_s: float = HANDOFF_LIFETIME_S,
        new_ticket: Callable[[], str] = lambda: secrets.token_urlsafe(TICKET_BYTES),
    ):
        self.lifetime_s = lifetime_s
        self._new_ticket = new_ticket
        self._by_hash: dict[str, Handoff] = {}

    def __len__(self) -> int:
        return len(self._by_hash)

    def issue(self, username: str, session_id: str, now: float) -> tuple[str, Handoff]:
        """A new ticket for ``username``'s support ``session_id`` (the caller checked that the
        agent owns it). Returns the ticket (shown once, never stored) and its record.

        Raises:
            HandoffRefused: ``too_many_handoffs`` when the agent holds ``MAX_LIVE_PER_AGENT``
                unused, unexpired tickets.
        """
        self.prune(now)
        live = sum(
            1
            for h in self._by_hash.values()
            if h.username == username and h.used_at is None and h.expires_at > now
        )
        if live >= MAX_LIVE_PER_AGENT:
            raise HandoffRefused(HandoffProblem.TOO_MANY)
        ticket = self._new_ticket()
        record = Handoff(ticket_hash(ticket), username, session_id, now, now + self.lifetime_s)
        self._by_hash[record.ticket_hash] = record
        return ticket, record

    def redeem(self, ticket: str, owns_live: OwnsLive, now: float) -> Handoff:
        """Use ``ticket`` once; returns its record (username and session id).

        The order of the checks: a used ticket says "used" even after its minute is over (the
        person clicked a link twice); a ticket of a support that has ended says so, expired or
        not (there is nothing to open again).

        Raises:
            HandoffRefused: unknown, used, expired, session over.
        """
        if not ticket or len(ticket) > MAX_TICKET_CHARS:
            raise HandoffRefused(HandoffProblem.UNKNOWN)
        record = self._by_hash.get(ticket_hash(ticket))
        if record is None:
            raise HandoffRefused(HandoffProblem.UNKNOWN)
        if record.used_at is not None:
            raise HandoffRefused(HandoffProblem.USED)
        if not owns_live(record.username, record.session_id):
            record.used_at = now  # nothing to sign in to any more: never again
            raise HandoffRefused(HandoffProblem.SESSION_OVER)
        if now >= record.expires_at:
            raise HandoffRefused(HandoffProblem.EXPIRED)
        record.used_at = now
        return record

    def prune(self, now: float) -> None:
        """Forget tickets issued more than ``HANDOFF_MEMORY_S`` ago, and the oldest beyond
        ``MAX_REMEMBERED``."""
        old = [k for k, h in self._by_hash.items() if now - h.issued_at > HANDOFF_MEMORY_S]
        for key in old:
            del self._by_hash[key]
        while len(self._by_hash) > MAX_REMEMBERED:
            del self._by_hash[next(iter(self._by_hash))]
