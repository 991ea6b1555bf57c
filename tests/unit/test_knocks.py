"""Knocks: pending → admitted | refused | expired | withdrawn, with per-session limits (pure)."""

from __future__ import annotations

import pytest

from relay_server.sessions.knocks import (
    KNOCK_TIMEOUT_S,
    MAX_ICON_KNOCKS,
    REMEMBER_SETTLED_S,
    KnockError,
    Knocks,
    KnockState,
    KnockVia,
    RefusedBecause,
)


def test_admitting_one_knock_refuses_the_others_as_taken():
    """Only one customer gets in; everyone else knocking on that session is told it is taken."""
    knocks = Knocks()
    first, _ = knocks.knock("s1", "Kim", KnockVia.ICON, "10.0.0.1", now=0)
    second, _ = knocks.knock("s1", "Lee", KnockVia.ICON, "10.0.0.2", now=1)
    other, _ = knocks.knock("s2", "Park", KnockVia.ICON, "10.0.0.3", now=1)
    assert [k.name for k in knocks.pending("s1")] == ["Kim", "Lee"]
    refused = knocks.admit(first, "token", now=2)
    assert refused == [second] and second.reason is RefusedBecause.SESSION_TAKEN
    assert first.state is KnockState.ADMITTED and first.customer_token == "token"
    assert knocks.pending("s1") == [] and knocks.pending("s2") == [other]
    assert knocks.by_secret(first.secret) is first


def test_a_session_holds_a_bounded_number_of_icon_knocks():
    """A flood of icon knocks stops at MAX_ICON_KNOCKS per session; a code knock still gets in."""
    knocks = Knocks()
    for n in range(MAX_ICON_KNOCKS):
        knocks.knock("s1", f"n{n}", KnockVia.ICON, f"10.0.0.{n}", now=n)
    with pytest.raises(KnockError) as caught:
        knocks.knock("s1", "late", KnockVia.ICON, "10.0.1.1", now=9)
    assert caught.value.problem == "too_many_knocks"
    code_knock, _ = knocks.knock("s1", "Kim", KnockVia.CODE, "10.0.2.2", now=10)
    assert code_knock in knocks.pending("s1")
    assert len(knocks.refuse_all("s1", RefusedBecause.AGENT, now=11)) == MAX_ICON_KNOCKS + 1
    knocks.knock("s1", "again", KnockVia.ICON, "10.0.1.1", now=12)  # room again


def test_knocking_again_from_the_same_address_replaces_the_first_knock():
    """A reload knocks again: the older knock is withdrawn, the agent sees one entry."""
    knocks = Knocks()
    first, _ = knocks.knock("s1", "Kim", KnockVia.ICON, "10.0.0.1", now=0)
    second, replaced = knocks.knock("s1", "Kim", KnockVia.ICON, "10.0.0.1", now=1)
    assert replaced is first and first.state is KnockState.WITHDRAWN
    assert knocks.pending("s1") == [second]
    code_a, _ = knocks.knock("s1", "Kim", KnockVia.CODE, "10.0.0.9", now=2)
    code_b, replaced = knocks.knock("s1", "Kim", KnockVia.CODE, "10.0.0.8", now=3)
    assert replaced is code_a  # one code, one holder: one code knock


def test_unanswered_knocks_expire_and_settled_ones_are_forgotten_later():
    """The agent never answered: the knock expires; its outcome stays readable for a while."""
    knocks = Knocks()
    knock, _ = knocks.knock("s1", "Kim", KnockVia.ICON, "10.0.0.1", now=0)
    assert knocks.expire(now=KNOCK_TIMEOUT_S - 1) == []
    assert knocks.expire(now=KNOCK_TIMEOUT_S) == [knock]
    assert knock.state is KnockState.EXPIRED and knocks.pending("s1") == []
    assert knocks.by_secret(knock.secret) is knock
    knocks.expire(now=KNOCK_TIMEOUT_S + REMEMBER_SETTLED_S)
    assert knocks.by_secret(knock.secret) is None and len(knocks) == 0


def test_withdrawing_and_answering_a_settled_knock():
    """A withdrawn knock cannot be admitted: the agent's answer names it as gone."""
    knocks = Knocks()
    knock, _ = knocks.knock("s1", "Kim", KnockVia.ICON, "10.0.0.1", now=0)
    assert knocks.withdraw(knock, now=1) is True
    assert knocks.withdraw(knock, now=2) is False
    with pytest.raises(KnockError) as caught:
        knocks.find_pending("s1", knock.id)
    assert caught.value.problem == "knock_not_found"


def test_the_agent_sees_no_secret_and_the_customer_sees_the_outcome():
    """The agent's entry has the public id only; the customer's view has state and reason."""
    knocks = Knocks()
    knock, _ = knocks.knock("s1", "Kim", KnockVia.CODE, "10.0.0.1", now=0)
    assert set(knock.for_agent()) == {"id", "name", "via", "knocked_at", "expires_at"}
    assert knock.secret not in knock.for_agent().values()
    knocks.refuse(knock, RefusedBecause.AGENT, now=1)
    assert knock.for_customer()["state"] == "refused"
    assert knock.for_customer()["reason"] == "agent"
