"""Support-session rules: create, join by code or icon, remove, end (pure, no sockets)."""

from __future__ import annotations

import random

import pytest

from relay_server.sessions.access_codes import CodeError, CodeProblem
from relay_server.sessions.supports import (
    MAX_RETIRED_CUSTOMERS,
    JoinError,
    SessionState,
    SupportDirectory,
    SupportSession,
    customer_id,
)

ALICE = {"name": "Alice Kim", "title": "Sales Manager", "company": "Acme"}


def test_new_support_waits_with_a_code_and_an_icon():
    directory = SupportDirectory()
    session = directory.create("alice", ALICE, now=100, code_lifetime_s=600)
    assert session.state is SessionState.WAITING and session.icon == 1
    assert session.code_expires_at == 700
    assert directory.waiting_with_icons() == [session]
    assert "code" not in session.public(for_agent=False)
    assert session.public(for_agent=True)["code"] == session.code


def test_joining_by_code_activates_and_hides_the_icon():
    directory = SupportDirectory()
    session = directory.create("alice", ALICE, now=0, code_lifetime_s=600)
    code = session.code
    joined = directory.join_by_code(code, "Kim", now=5)
    assert joined.token == session.customer_token and session.state is SessionState.ACTIVE
    assert session.started_at == 5 and session.code is None
    assert directory.by_customer_token(session.customer_token) is session
    assert directory.waiting_with_icons() == []
    with pytest.raises(CodeError):
        directory.join_by_code(code, "Other", now=6)
    with pytest.raises(JoinError) as caught:
        directory.join_by_icon(1, "Other", now=6)
    assert caught.value.problem == "icon_not_found"


def test_removing_the_customer_issues_a_new_code_and_drops_the_token():
    directory = SupportDirectory()
    session = directory.create("alice", ALICE, now=0, code_lifetime_s=600)
    directory.join_by_icon(session.icon, "Kim", now=1)
    token = session.customer_token
    directory.remove_customer(session, customer_id(token), now=2, code_lifetime_s=600)
    assert session.state is SessionState.WAITING and session.code
    assert directory.by_customer_token(token) is None
    assert directory.waiting_with_icons() == [session]


def test_a_removed_session_does_not_steal_an_icon_taken_meanwhile():
    directory = SupportDirectory()
    first = directory.create("alice", ALICE, now=0, code_lifetime_s=600)
    directory.join_by_icon(first.icon, "Kim", now=1)
    second = directory.create("bob", {"name": "Bob"}, now=2, code_lifetime_s=600)
    assert second.icon == first.icon == 1
    directory.remove_customer(first, first.customers[0].id, now=3, code_lifetime_s=600)
    assert first.icon == 2
    assert [s.icon for s in directory.waiting_with_icons()] == [1, 2]


def test_end_summary_and_record_round_trip():
    directory = SupportDirectory()
    session = directory.create("alice", ALICE, now=0, code_lifetime_s=600)
    directory.join_by_code(session.code, "Kim", now=10)
    directory.end(session, "customer", now=70)
    assert session.end_summary() == {
        "session_id": session.id,
        "agent_name": "Alice Kim",
        "customer_name": "Kim",
        "started_at": 10,
        "ended_at": 70,
        "duration_s": 60,
        "ended_by": "customer",
    }
    assert SupportSession.from_record(session.to_record()) == session
    assert session.id not in directory.sessions


def test_expire_codes_reports_the_sessions_whose_code_went():
    directory = SupportDirectory()
    session = directory.create("alice", ALICE, now=0, code_lifetime_s=10)
    assert directory.expire_codes(now=5) == []
    assert directory.expire_codes(now=10) == [session]
    assert session.code is None
    assert directory.join_by_icon(session.icon, "Kim", now=11).name == "Kim"  # icons still work


def test_wrong_codes_leave_waiting_sessions_their_codes():
    """Guesses typed anywhere on the relay never take a waiting agent's code away."""
    directory = SupportDirectory()
    waiting = directory.create("alice", ALICE, now=0, code_lifetime_s=600)
    code = waiting.code
    for n in range(100):
        with pytest.raises(CodeError):
            directory.join_by_code(f"x{n:08d}", "Mallory", now=2)
    assert directory.expire_codes(now=3) == [] and waiting.code == code
    assert directory.join_by_code(code, "Kim", now=5) is waiting.customers[0]


def test_an_expired_code_is_not_replaced():
    """An expired code leaves its session without one until the agent renews."""
    directory = SupportDirectory()
    session = directory.create("alice", ALICE, now=0, code_lifetime_s=10)
    assert directory.expire_codes(now=10) == [session]
    assert session.code is None
    directory.new_code(session, now=11, lifetime_s=10)
    assert session.code


def test_admitting_a_knocker_uses_up_the_code():
    """The agent let a knocking customer in: the session's code reads as used afterwards."""
    directory = SupportDirectory()
    session = directory.create("alice", ALICE, now=0, code_lifetime_s=600)
    code = session.code
    assert directory.session_by_code(code, now=1) is session
    directory.admit(session, "Kim", now=2)
    assert session.state is SessionState.ACTIVE and session.customer_name == "Kim"
    with pytest.raises(CodeError) as caught:
        directory.session_by_code(code, now=3)
    assert caught.value.problem is CodeProblem.USED
    with pytest.raises(JoinError) as caught:
        directory.admit(session, "Lee", now=4, seats=1)
    assert caught.value.problem == "session_full"


def test_a_removed_customers_token_is_remembered_as_removed_across_a_restart():
    """The old token is known as removed (not just unknown), in the stored record too; the
    next customer's is not; the list keeps the newest MAX_RETIRED_CUSTOMERS."""
    directory = SupportDirectory()
    session = directory.create("alice", {"name": "Alice"}, now=1, code_lifetime_s=600)
    directory.join_by_code(session.code, "Kim", now=2)
    old = session.customer_token
    assert session.customers[0].id == customer_id(old) and len(customer_id(old)) == 12
    directory.remove_customer(session, customer_id(old), now=3, code_lifetime_s=600)
    directory.join_by_code(session.code, "Lee", now=4)
    assert session.was_removed(old) and not session.was_removed(session.customer_token)
    restored = SupportSession.from_record(session.to_record())
    assert restored.was_removed(old)
    for n in range(MAX_RETIRED_CUSTOMERS + 1):
        directory.remove_customer(session, session.customers[0].id, now=5 + n, code_lifetime_s=600)
        directory.join_by_code(session.code, "Next", now=5 + n)
    assert len(session.retired_customers) == MAX_RETIRED_CUSTOMERS
    assert not session.was_removed(old)  # the oldest fell off: unknown (4001) from now on


def test_several_customers_each_get_a_token_a_colour_and_a_seat_up_to_the_cap():
    """Invite-another codes seat one customer each with its own token and colour; the cap
    refuses one more with ``session_full`` and leaves that code live."""
    directory = SupportDirectory()
    session = directory.create("alice", ALICE, now=0, code_lifetime_s=600)
    seated = [directory.join_by_code(session.code, "Kim", now=1, seats=3)]
    for n, name in enumerate(("Lee", "Park")):
        directory.new_code(session, now=2 + n, lifetime_s=600)  # "Invite another"
        seated.append(directory.join_by_code(session.code, name, now=2 + n, seats=3))
    assert len({c.token for c in seated}) == 3 and len({c.color for c in seated}) == 3
    assert session.customer_name == "Kim, Lee, Park"
    assert all(directory.by_customer_token(c.token) is session for c in seated)
    directory.new_code(session, now=5, lifetime_s=600)
    with pytest.raises(JoinError) as caught:
        directory.join_by_code(session.code, "Choi", now=6, seats=3)
    assert caught.value.problem == "session_full"
    assert directory.session_by_code(session.code, now=6) is session  # not used up


def test_removing_one_of_several_customers_keeps_the_others_and_records_everyone():
    """One removed customer loses its token; the others keep theirs and the session stays
    active; the participant records give each seat's join and leave times."""
    directory = SupportDirectory()
    session = directory.create("alice", ALICE, now=0, code_lifetime_s=600)
    kim = directory.join_by_code(session.code, "Kim", now=1)
    directory.new_code(session, now=2, lifetime_s=600)
    lee = directory.join_by_code(session.code, "Lee", now=3)
    assert directory.remove_customer(session, kim.id, now=4, code_lifetime_s=600) is kim
    assert directory.by_customer_token(kim.token) is None and session.was_removed(kim.token)
    assert directory.by_customer_token(lee.token) is session
    assert session.state is SessionState.ACTIVE and session.customer_name == "Lee"
    directory.end(session, "agent", now=9)
    records = {p["name"]: p for p in session.participant_records()}
    assert records["Kim"]["joined_at"] == 1 and records["Kim"]["left_at"] == 4
    assert records["Kim"]["removed"] and records["Kim"]["via"] == "code"
    assert records["Lee"]["left_at"] == 9 and not records["Lee"]["removed"]
    assert records["Alice Kim"]["role"] == "agent"
    roster = session.participants({"agent", lee.id})
    assert [(p["participant_id"], p["online"]) for p in roster] == [("agent", True), (lee.id, True)]


def _walked_icons(directory: SupportDirectory) -> dict[int, set[str]]:
    walked: dict[int, set[str]] = {}
    for session in directory.sessions.values():
        if session.icon is not None:
            walked.setdefault(session.icon, set()).add(session.agent_username)
    return walked


def test_the_live_icons_kept_as_sessions_come_and_go_match_a_walk_over_every_session():
    rng = random.Random(7)
    directory = SupportDirectory()
    agents = ["alice", "bob", "carol"]
    clock = 0.0
    for _ in range(600):
        clock += 1
        live = list(directory.sessions.values())
        step = rng.random()
        if step < 0.4 or not live:
            agent = rng.choice(agents)
            mine = [s.icon for s in live if s.agent_username == agent and s.icon is not None]
            directory.create(agent, ALICE, clock, 600, icon=mine[0] if mine else None)
        elif step < 0.6:
            session = rng.choice(live)
            if session.customers:
                directory.remove_customer(session, session.customers[0].id, clock, 600)
            elif session.code:
                directory.join_by_code(session.code, "Kim", clock)
        elif step < 0.8:
            directory.end(rng.choice(live), "agent", clock)
        else:
            session = rng.choice(live)
            directory.forget(session.id)
            if rng.random() < 0.5:
                directory.restore(session)
        kept = {icon: set(agents) for icon, agents in directory.live_icons().items()}
        assert kept == _walked_icons(directory)
        counts = [n for agents in directory.live_icons().values() for n in agents.values()]
        assert all(n > 0 for n in counts)


def test_a_session_back_to_waiting_under_another_number_leaves_its_old_number_free():
    directory = SupportDirectory()
    alices = directory.create("alice", ALICE, 0, 600)
    directory.join_by_code(alices.code or "", "Kim", 1)  # number 1 leaves the waiting list
    bobs = directory.create("bob", ALICE, 2, 600)
    assert bobs.icon == alices.icon == 1
    directory.remove_customer(alices, alices.customers[0].id, 3, 600)  # back to waiting
    assert alices.icon == 2
    assert {icon: set(agents) for icon, agents in directory.live_icons().items()} == {
        1: {"bob"},
        2: {"alice"},
    }
    directory.end(bobs, "agent", 4)
    assert set(directory.live_icons()) == {2}
