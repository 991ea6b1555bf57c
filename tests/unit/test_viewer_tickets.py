"""Rules of one-time viewer tickets (relay_server/viewer/tickets.py): no sockets, no clock."""

from __future__ import annotations

import itertools

import pytest

from relay_server.viewer.tickets import (
    MAX_TICKETS_PER_SESSION,
    TICKET_MEMORY_S,
    TicketProblem,
    TicketRefused,
    ViewerTickets,
)

LIFETIME_S = 600.0


def live_sessions(*pairs: tuple[str, str]):
    live = set(pairs)
    return lambda session_id, token: (session_id, token) in live


ALL_LIVE = live_sessions(("s1", "tok1"), ("s2", "tok2"))


@pytest.fixture
def tickets() -> ViewerTickets:
    counter = itertools.count()
    return ViewerTickets(LIFETIME_S, new_token=lambda: f"secret-{next(counter)}")


def refused(call) -> TicketProblem:
    with pytest.raises(TicketRefused) as caught:
        call()
    return caught.value.problem


def test_a_ticket_redeems_once_for_its_own_session(tickets: ViewerTickets) -> None:
    """Redeeming gives the ticket's session and customer token; a second redeem is refused."""
    issued = tickets.issue("s1", "tok1", "linux", now=100.0)
    got = tickets.redeem(issued.ticket, ALL_LIVE, now=101.0)
    assert (got.session_id, got.customer_token) == ("s1", "tok1")
    assert refused(lambda: tickets.redeem(issued.ticket, ALL_LIVE, now=102.0)) is TicketProblem.USED


def test_the_download_id_is_not_the_ticket(tickets: ViewerTickets) -> None:
    """The secret in the download URL cannot be redeemed: only the one inside the file can."""
    issued = tickets.issue("s1", "tok1", "linux", now=0.0)
    assert issued.download_id != issued.ticket
    assert (
        refused(lambda: tickets.redeem(issued.download_id, ALL_LIVE, 1.0)) is TicketProblem.UNKNOWN
    )
    assert tickets.for_download(issued.download_id, ALL_LIVE, 1.0) is issued


@pytest.mark.parametrize(
    ("after_s", "expected"),
    [
        (LIFETIME_S - 0.001, None),
        (LIFETIME_S, TicketProblem.EXPIRED),
        (3600.0, TicketProblem.EXPIRED),
    ],
)
def test_tickets_expire(tickets: ViewerTickets, after_s: float, expected) -> None:
    """A ticket works until its lifetime is over, then download and redeem say expired."""
    issued = tickets.issue("s1", "tok1", "linux", now=1000.0)
    if expected is None:
        assert tickets.for_download(issued.download_id, ALL_LIVE, 1000.0 + after_s)
        assert tickets.redeem(issued.ticket, ALL_LIVE, 1000.0 + after_s)
    else:
        now = 1000.0 + after_s
        assert refused(lambda: tickets.for_download(issued.download_id, ALL_LIVE, now)) is expected
        assert refused(lambda: tickets.redeem(issued.ticket, ALL_LIVE, now)) is expected


def test_a_session_that_ended_refuses_its_tickets_before_anything_else(
    tickets: ViewerTickets,
) -> None:
    """Once the session is over, even a used ticket answers session_over (what a rerun shows)."""
    used = tickets.issue("s1", "tok1", "linux", now=0.0)
    tickets.redeem(used.ticket, ALL_LIVE, 1.0)
    fresh = tickets.issue("s1", "tok1", "linux", now=2.0)
    ended = live_sessions(("s2", "tok2"))
    for secret in (used.ticket, fresh.ticket):
        assert refused(lambda s=secret: tickets.redeem(s, ended, 3.0)) is TicketProblem.SESSION_OVER
    assert refused(lambda: tickets.for_download(fresh.download_id, ended, 3.0)) is (
        TicketProblem.SESSION_OVER
    )


def test_a_ticket_belongs_to_one_session_and_one_customer(tickets: ViewerTickets) -> None:
    """A ticket of s1 never opens s2, and a removed customer's ticket (new token) is refused."""
    issued = tickets.issue("s1", "tok1", "linux", now=0.0)
    only_s2 = live_sessions(("s2", "tok2"))
    assert (
        refused(lambda: tickets.redeem(issued.ticket, only_s2, 1.0)) is TicketProblem.SESSION_OVER
    )
    new_customer = live_sessions(("s1", "tok-of-the-next-customer"))
    assert refused(lambda: tickets.redeem(issued.ticket, new_customer, 1.0)) is (
        TicketProblem.SESSION_OVER
    )
    assert tickets.redeem(issued.ticket, ALL_LIVE, 1.0).session_id == "s1"


def test_guessed_tickets_are_unknown() -> None:
    """Real tickets are 43 url-safe characters from 32 random bytes; guesses find nothing."""
    tickets = ViewerTickets(LIFETIME_S)
    issued = tickets.issue("s1", "tok1", "linux", now=0.0)
    assert len(issued.ticket) == 43 and len(issued.download_id) == 43
    assert len({tickets.issue("s1", "tok1", "linux", 0.0).ticket for _ in range(10)}) == 10
    for guess in ("", "a", issued.ticket[:-1], issued.ticket + "A", issued.ticket.upper()):
        assert refused(lambda g=guess: tickets.redeem(g, ALL_LIVE, 1.0)) is TicketProblem.UNKNOWN


def test_a_session_may_hold_only_so_many_live_tickets(tickets: ViewerTickets) -> None:
    """A page gone wild cannot fill the relay's memory; used or expired ones do not count."""
    for _ in range(MAX_TICKETS_PER_SESSION):
        tickets.issue("s1", "tok1", "linux", now=0.0)
    assert refused(lambda: tickets.issue("s1", "tok1", "linux", 0.0)) is TicketProblem.TOO_MANY
    assert tickets.issue("s2", "tok2", "linux", now=0.0)  # other sessions are not affected
    assert tickets.issue("s1", "tok1", "linux", now=LIFETIME_S)  # the first ones expired


def test_old_tickets_are_forgotten(tickets: ViewerTickets) -> None:
    """After TICKET_MEMORY_S a ticket is pruned (then unknown); until then it says why it fails."""
    old = tickets.issue("s1", "tok1", "linux", now=0.0)
    tickets.issue("s2", "tok2", "linux", now=TICKET_MEMORY_S - 1)
    assert refused(lambda: tickets.redeem(old.ticket, ALL_LIVE, TICKET_MEMORY_S)) is (
        TicketProblem.EXPIRED
    )
    tickets.prune(TICKET_MEMORY_S + 1)
    assert len(tickets) == 1
    assert refused(lambda: tickets.redeem(old.ticket, ALL_LIVE, TICKET_MEMORY_S + 1)) is (
        TicketProblem.UNKNOWN
    )
