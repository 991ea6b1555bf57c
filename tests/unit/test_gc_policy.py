"""The collector's policy: freezes as the sockets grow, a full pass once enough have closed."""

from __future__ import annotations

import gc

import pytest

from relay_server.web.gc_policy import (
    COLLECT,
    FREEZE,
    FreezePlan,
    SocketTally,
    apply,
    configure_collector,
)


def test_it_freezes_each_time_the_live_sockets_grew_by_a_tenth_or_two_hundred() -> None:
    plan = FreezePlan(growth=0.1, min_sockets=200, thaw_fraction=0.5, thaw_min_closed=1000)
    assert plan.decide(live=199, closed=0) == ""
    assert plan.decide(live=200, closed=0) == FREEZE
    assert plan.decide(live=399, closed=0) == ""  # 199 more: not yet
    assert plan.decide(live=400, closed=0) == FREEZE
    plan.decide(live=5_000, closed=0)
    assert plan.frozen_for == 5_000
    assert plan.decide(live=5_499, closed=0) == ""  # under a tenth of 5,000
    assert plan.decide(live=5_500, closed=0) == FREEZE


def test_a_full_pass_comes_once_half_of_the_frozen_sockets_closed_and_not_before() -> None:
    plan = FreezePlan(growth=0.1, min_sockets=200, thaw_fraction=0.5, thaw_min_closed=1000)
    assert plan.decide(live=10_000, closed=0) == FREEZE
    # Sessions end and others start: the live count stays, the closed ones add up.
    assert plan.decide(live=10_000, closed=4_999) == ""
    assert plan.decide(live=10_000, closed=5_000) == COLLECT
    assert plan.closed_at_full_pass == 5_000 and plan.frozen_for == 10_000
    assert plan.decide(live=10_000, closed=9_999) == ""
    assert plan.decide(live=10_000, closed=10_000) == COLLECT


def test_few_sockets_closing_never_force_a_full_pass_below_the_minimum() -> None:
    plan = FreezePlan(growth=0.1, min_sockets=200, thaw_fraction=0.5, thaw_min_closed=1000)
    assert plan.decide(live=300, closed=0) == FREEZE
    assert plan.decide(live=300, closed=999) == ""  # more than half of 300, under 1,000
    assert plan.decide(live=300, closed=1_000) == COLLECT


def test_the_tally_counts_live_sockets() -> None:
    tally = SocketTally(opened=12, closed=5)
    assert tally.live == 7


@pytest.fixture
def collector_restored():
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_freeze_moves_live_objects_away_and_collect_frees_frozen_cycles(collector_restored) -> None:
    configure_collector()
    assert gc.get_threshold()[0] == 5_000

    class Node:
        pass

    def cycles(n: int) -> list[Node]:
        made = []
        for _ in range(n):
            node = Node()
            node.me = node  # type: ignore[attr-defined]
            made.append(node)
        return made

    kept = cycles(1_000)
    frozen_before = gc.get_freeze_count()
    apply(FREEZE)
    assert gc.get_freeze_count() >= frozen_before + 1_000  # the live ones, out of reach
    del kept  # now garbage in cycles, but frozen: a pass of the oldest generation misses it
    assert sum(isinstance(o, Node) for o in gc.get_objects()) == 0
    frozen_with_garbage = gc.get_freeze_count()
    apply(COLLECT)  # unfreeze, full pass, freeze again
    assert gc.get_freeze_count() <= frozen_with_garbage - 1_000
