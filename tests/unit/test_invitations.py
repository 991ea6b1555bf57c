"""Personal invitation links: one secret per invitee, one seat in one session, once."""

from __future__ import annotations

import pytest

from relay_server.sessions.invitations import (
    MAX_OPEN_PER_SESSION,
    Invitation,
    InvitationError,
    InvitationProblem,
    Invitations,
    InvitationState,
)


def test_a_link_is_a_long_secret_for_one_session():
    """The secret carries at least 128 random bits and differs per invitee; the public id
    opens nothing."""
    invitations = Invitations()
    first = invitations.issue("s1", "  Ms   Kim ", now=1)
    second = invitations.issue("s1", "Mr Lee", now=2)
    assert len(first.secret) * 6 >= 128 and first.secret != second.secret
    assert first.label == "Ms Kim" and first.state is InvitationState.OPEN
    assert invitations.check(first.secret) is first
    with pytest.raises(InvitationError) as caught:
        invitations.check(first.id)
    assert caught.value.problem is InvitationProblem.NOT_FOUND


def test_a_link_seats_once_and_then_says_used():
    """Using a link makes every later check answer ``invitation_used``."""
    invitations = Invitations()
    link = invitations.issue("s1", "", now=1)
    invitations.use(invitations.check(link.secret), "abc123abc123", now=2)
    with pytest.raises(InvitationError) as caught:
        invitations.check(link.secret)
    assert caught.value.problem is InvitationProblem.USED
    assert link.view()["customer_id"] == "abc123abc123"


def test_revoked_and_closed_links_say_so_and_only_the_owner_session_revokes():
    """Revoking needs the link's own session; a revoked link and one whose session ended
    each answer with their own problem."""
    invitations = Invitations()
    revoked = invitations.issue("s1", "", now=1)
    closed = invitations.issue("s1", "", now=1)
    with pytest.raises(InvitationError) as caught:
        invitations.revoke("s2", revoked.id, now=2)
    assert caught.value.problem is InvitationProblem.NOT_FOUND
    invitations.revoke("s1", revoked.id, now=2)
    assert invitations.close_session("s1", now=3) == [closed]
    for link, problem in ((revoked, InvitationProblem.REVOKED), (closed, InvitationProblem.CLOSED)):
        with pytest.raises(InvitationError) as caught:
            invitations.check(link.secret)
        assert caught.value.problem is problem
    with pytest.raises(InvitationError) as caught:
        invitations.revoke("s1", revoked.id, now=4)
    assert caught.value.problem is InvitationProblem.REVOKED


def test_a_stored_link_survives_a_restart_and_a_session_holds_a_bounded_number():
    """The record round-trips; past the open-link cap a session gets ``too_many_invitations``."""
    invitations = Invitations()
    link = invitations.issue("s1", "Kim", now=1)
    restored = Invitations()
    record = link.to_record()
    assert set(record) == set(Invitation.__dataclass_fields__)  # every field, by hand
    assert record["state"] == "open" and type(record["state"]) is str
    restored.restore(Invitation.from_record(record))
    assert restored.check(link.secret).label == "Kim"
    for _ in range(MAX_OPEN_PER_SESSION - 1):
        invitations.issue("s1", "", now=2)
    with pytest.raises(InvitationError) as caught:
        invitations.issue("s1", "", now=3)
    assert caught.value.problem is InvitationProblem.TOO_MANY
    assert invitations.issue("s2", "", now=3).session_id == "s2"
