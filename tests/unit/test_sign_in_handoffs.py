"""Sign-in handoff tickets (CH9, relay_server/accounts/handoffs.py): one-time, short-lived,
bound to the agent and the support."""

from __future__ import annotations

import itertools

import pytest

from relay_server.accounts.handoffs import (
    HANDOFF_LIFETIME_S,
    HANDOFF_MEMORY_S,
    MAX_LIVE_PER_AGENT,
    HandoffProblem,
    HandoffRefused,
    Handoffs,
)


def live(username: str, session_id: str) -> bool:
    return (username, session_id) == ("alice", "s1")


def over(username: str, session_id: str) -> bool:
    return False


def refused(handoffs: Handoffs, ticket: str, now: float, owns=live) -> HandoffProblem:
    with pytest.raises(HandoffRefused) as caught:
        handoffs.redeem(ticket, owns, now)
    return caught.value.problem


def test_a_ticket_signs_in_once_for_its_agent_and_support():
    """Redeemed once: the agent and the support come back; the second try is 'used'."""
    handoffs = Handoffs()
    ticket, record = handoffs.issue("alice", "s1", now=100.0)
    assert len(ticket) >= 22  # 128 bits of url-safe base64 at least (it is 256)
    assert record.expires_at == 100.0 + HANDOFF_LIFETIME_S
    used = handoffs.redeem(ticket, live, now=110.0)
    assert (used.username, used.session_id) == ("alice", "s1")
    assert refused(handoffs, ticket, 111.0) is HandoffProblem.USED


def test_only_the_hash_is_kept():
    """A memory dump holds no usable ticket: the registry keys on the SHA-256."""
    handoffs = Handoffs()
    ticket, record = handoffs.issue("alice", "s1", now=0.0)
    assert ticket not in repr(handoffs.__dict__) and record.ticket_hash != ticket


@pytest.mark.parametrize(
    ("case", "ticket_of", "when", "owns", "problem"),
    [
        ("unknown", lambda t: "x" * 43, 1.0, live, HandoffProblem.UNKNOWN),
        ("empty", lambda t: "", 1.0, live, HandoffProblem.UNKNOWN),
        ("over-long", lambda t: t * 10, 1.0, live, HandoffProblem.UNKNOWN),
        ("expired", lambda t: t, HANDOFF_LIFETIME_S, live, HandoffProblem.EXPIRED),
        ("support ended", lambda t: t, 1.0, over, HandoffProblem.SESSION_OVER),
    ],
)
def test_bad_tickets_are_refused_with_their_reason(case, ticket_of, when, owns, problem):
    """Each refusal names its reason (the page shows a message per reason)."""
    handoffs = Handoffs()
    ticket, _ = handoffs.issue("alice", "s1", now=0.0)
    assert refused(handoffs, ticket_of(ticket), when, owns) is problem, case


def test_a_ticket_of_an_ended_support_is_spent():
    """Refused for its ended support (even past its lifetime: nothing is left to open), the
    ticket stays refused (as used) afterwards."""
    handoffs = Handoffs()
    ticket, _ = handoffs.issue("alice", "s1", now=0.0)
    assert refused(handoffs, ticket, HANDOFF_LIFETIME_S + 1, over) is HandoffProblem.SESSION_OVER
    assert refused(handoffs, ticket, 2.0, live) is HandoffProblem.USED


def test_an_agent_holds_a_bounded_number_of_unused_tickets():
    """A page gone wild cannot fill memory: the sixth unused live ticket is refused; a used or
    expired one frees its place; another agent is not affected."""
    counter = itertools.count()
    handoffs = Handoffs(new_ticket=lambda: f"ticket-{next(counter)}")
    tickets = [handoffs.issue("alice", "s1", now=0.0)[0] for _ in range(MAX_LIVE_PER_AGENT)]
    with pytest.raises(HandoffRefused) as caught:
        handoffs.issue("alice", "s1", now=1.0)
    assert caught.value.problem is HandoffProblem.TOO_MANY
    handoffs.issue("bob", "s2", now=1.0)
    handoffs.redeem(tickets[0], live, now=2.0)
    handoffs.issue("alice", "s1", now=3.0)
    handoffs.issue("alice", "s1", now=HANDOFF_LIFETIME_S + 1)  # the first five expired


def test_old_tickets_are_forgotten():
    """After HANDOFF_MEMORY_S a ticket is forgotten (then 'unknown')."""
    handoffs = Handoffs()
    ticket, _ = handoffs.issue("alice", "s1", now=0.0)
    handoffs.prune(HANDOFF_MEMORY_S + 1)
    assert len(handoffs) == 0
    assert refused(handoffs, ticket, HANDOFF_MEMORY_S + 2) is HandoffProblem.UNKNOWN
