"""The per-agent icon number rule (relay_server/sessions/icon_numbers.py)."""

from __future__ import annotations

from relay_server.sessions.icon_numbers import IconNumbers


def test_an_agent_keeps_the_number_it_was_given():
    """The second support of an agent gets the first one's number, whoever came between."""
    numbers = IconNumbers()
    assert numbers.number_for("alice", {}, now=1.0) == 1
    assert numbers.number_for("bob", {1: {"alice"}}, now=2.0) == 2
    assert numbers.number_for("carol", {}, now=3.0) == 3  # 1 and 2 are held, live or not
    assert numbers.number_for("alice", {2: {"bob"}}, now=4.0) == 1


def test_a_number_shown_by_another_agents_live_support_is_not_shared():
    """A restored session of another agent showing Alice's number makes her take a free one."""
    numbers = IconNumbers()
    numbers.number_for("alice", {}, now=1.0)
    assert numbers.number_for("alice", {1: {"dave"}}, now=2.0) == 2
    assert numbers.held_by("alice") == 2


def test_when_every_number_is_held_the_one_used_longest_ago_moves():
    """With all numbers held, a new agent takes the least recently used one that no live
    support shows; with every number live, none."""
    numbers = IconNumbers(max_icon=3)
    for now, agent in enumerate(["a", "b", "c"], start=1):
        numbers.number_for(agent, {}, now=float(now))
    numbers.number_for("a", {}, now=10.0)  # a used its number again: b's is now the oldest
    assert numbers.number_for("d", {}, now=11.0) == 2
    assert numbers.held_by("b") is None
    assert numbers.number_for("e", {1: {"a"}, 2: {"d"}, 3: {"c"}}, now=12.0) is None
