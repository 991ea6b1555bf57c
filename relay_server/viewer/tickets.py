"""One-time viewer tickets (P1, P10): issued to a customer, put in a download, redeemed once.

Pure: no sockets, no clock of its own (every call takes ``now``), so the rules are tested in
microseconds. ``viewer_routes.py`` is the HTTP shell around it.

A ticket has two secrets:

- ``download_id`` names the download URL the customer's page links to (``/viewer/download/<id>``).
  It may be fetched again until the ticket is redeemed or expires (a browser that retries a
  download must not break it).
- ``ticket`` is written into the downloaded file (``suite/viewer/ticket_trailer.py``) and never
  appears in a URL. The viewer exchanges it, once, for the session id and customer token.

Both are 32 random bytes (``secrets.token_urlsafe``): guessing is hopeless, and failed
redemptions are throttled per IP on top. Tickets live in memory only: after a relay restart a
viewer is refused (``ticket_unknown``) and the customer downloads a new one, which is cheap.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

TICKET_LIFETIME_S = 600.0
# Redeemed or expired tickets are remembered this long, so that a second run of the same file
# hears "used" / "session over" instead of "unknown".
TICKET_MEMORY_S = 24 * 3600.0
MAX_TICKETS_PER_SESSION = 20
TOKEN_BYTES = 32


class TicketProblem(StrEnum):
    """Why a ticket was refused; the value is the API's error code."""

    UNKNOWN = "ticket_unknown"
    USED = "ticket_used"
    EXPIRED = "ticket_expired"
    SESSION_OVER = "session_over"
    TOO_MANY = "too_many_tickets"


PROBLEM_MESSAGES = {
    TicketProblem.UNKNOWN: "this viewer is not valid here (unknown ticket); download a new one",
    TicketProblem.USED: "this viewer was already used; download a new one from the chat",
    TicketProblem.EXPIRED: "this viewer has expired; download a new one from the chat",
    TicketProblem.SESSION_OVER: "the session of this viewer is over",
    TicketProblem.TOO_MANY: "too many viewer downloads for this session",
}


class TicketRefused(Exception):
    """A ticket (or its download) was refused; ``problem`` says why."""

    def __init__(self, problem: TicketProblem):
        super().__init__(PROBLEM_MESSAGES[problem])
        self.problem = problem


@dataclass(slots=True)
class ViewerTicket:
    ticket: str
    download_id: str
    session_id: str
    customer_token: str
    platform: str
    issued_at: float
    expires_at: float
    redeemed_at: float | None = None


# Whether a ticket's session still has this customer: (session_id, customer_token) -> bool.
IsLive = Callable[[str, str], bool]


class ViewerTickets:
    """Every ticket this relay issued and still remembers.

    Args:
        lifetime_s: how long a ticket may be downloaded and redeemed after it is issued.
        new_token: source of secrets (tests pass a predictable one).
    """

    def __init__(
        self,
        lifetime_s: float = TICKET_LIFETIME_S,
        new_token: Callable[[], str] = lambda: secrets.token_urlsafe(TOKEN_BYTES),
    ):
        self.lifetime_s = lifetime_s
        self._new_token = new_token
        self._by_ticket: dict[str, ViewerTicket] = {}
        self._by_download: dict[str, ViewerTicket] = {}

    def __len__(self) -> int:
        return len(self._by_ticket)

    def issue(
        self, session_id: str, customer_token: str, platform: str, now: float
    ) -> ViewerTicket:
        """A new ticket for the customer of ``session_id``.

        Raises:
            TicketRefused: ``too_many_tickets`` when this session already holds
                ``MAX_TICKETS_PER_SESSION`` live ones (a page gone wild must not fill memory).
        """
        self.prune(now)
        live = [
            t
            for t in self._by_ticket.values()
            if t.session_id == session_id and t.redeemed_at is None and t.expires_at > now
        ]
        if len(live) >= MAX_TICKETS_PER_SESSION:
            raise TicketRefused(TicketProblem.TOO_MANY)
        ticket = ViewerTicket(
            ticket=self._new_token(),
            download_id=self._new_token(),
            session_id=session_id,
            customer_token=customer_token,
            platform=platform,
            issued_at=now,
            expires_at=now + self.lifetime_s,
        )
        self._by_ticket[ticket.ticket] = ticket
        self._by_download[ticket.download_id] = ticket
        return ticket

    def for_download(self, download_id: str, is_live: IsLive, now: float) -> ViewerTicket:
        """The ticket to embed in a download of ``download_id``.

        Raises:
            TicketRefused: unknown id, session over, ticket already redeemed or expired.
        """
        ticket = self._by_download.get(download_id)
        if ticket is None:
            raise TicketRefused(TicketProblem.UNKNOWN)
        self._check(ticket, is_live, now)
        return ticket

    def redeem(self, secret: str, is_live: IsLive, now: float) -> ViewerTicket:
        """Use ``secret`` once; returns its ticket (session id and customer token).

        The checks run in this order so that a copy run after the session ended hears
        ``session_over`` (what the customer needs to know), not ``ticket_used``.

        Raises:
            TicketRefused: unknown, session over, used, expired.
        """
        ticket = self._by_ticket.get(secret)
        if ticket is None:
            raise TicketRefused(TicketProblem.UNKNOWN)
        self._check(ticket, is_live, now)
        ticket.redeemed_at = now
        return ticket

    def _check(self, ticket: ViewerTicket, is_live: IsLive, now: float) -> None:
        if not is_live(ticket.session_id, ticket.customer_token):
            raise TicketRefused(TicketProblem.SESSION_OVER)
        if ticket.redeemed_at is not None:
            raise TicketRefused(TicketProblem.USED)
        if now >= ticket.expires_at:
            raise TicketRefused(TicketProblem.EXPIRED)

    def prune(self, now: float) -> None:
        """Forget tickets issued more than ``TICKET_MEMORY_S`` ago."""
        old = [t for t in self._by_ticket.values() if now - t.issued_at > TICKET_MEMORY_S]
        for ticket in old:
            self._by_ticket.pop(ticket.ticket, None)
            self._by_download.pop(ticket.download_id, None)
