"""The collector's policy: freezes as the sockets grow, a full pass once enough have closed."""

from __future__ import annotations

import gc

import pytest

from relay_server.web.gc_policy import (
    COLLECT,
    FREEZE,
    MAX_SPACING,
    STEADY_OPENED_PER_S,
    FreezeAfterMiddlePasses,
    FreezePlan,
    SocketTally,
    apply,
    configure_collector,
    follow_sockets_forever,
)


def _plan() -> FreezePlan:
    return FreezePlan(growth=0.1, min_sockets=200, thaw_fraction=0.5, thaw_min_closed=1000)


def test_it_freezes_each_time_a_tenth_of_the_live_sockets_or_two_hundred_came() -> None:
    plan = _plan()
    assert plan.decide(SocketTally(opened=199)) == ""
    assert plan.decide(SocketTally(opened=200)) == FREEZE
    assert plan.decide(SocketTally(opened=399)) == ""  # 199 more: not yet
    assert plan.decide(SocketTally(opened=400)) == FREEZE
    assert plan.decide(SocketTally(opened=5_000)) == FREEZE
    assert plan.decide(SocketTally(opened=5_499)) == ""  # under a tenth of 5,499
    assert plan.decide(SocketTally(opened=5_560)) == FREEZE


def test_sessions_that_end_and_start_are_frozen_too_not_only_growth() -> None:
    plan = _plan()
    assert plan.decide(SocketTally(opened=300)) == FREEZE
    # All 300 closed, 300 new ones came: as many live as at the freeze, none of them frozen.
    assert plan.decide(SocketTally(opened=600, closed=300)) == FREEZE


def test_a_full_pass_comes_once_half_of_the_frozen_sockets_closed_and_not_before() -> None:
    plan = _plan()
    assert plan.decide(SocketTally(opened=10_000)) == FREEZE
    # Sessions end and others start; the live count stays, the closed ones add up (the new
    # sockets are frozen as they come: a thousand of them, a tenth of those live).
    assert plan.decide(SocketTally(opened=14_999, closed=4_999)) == FREEZE
    assert plan.decide(SocketTally(opened=15_000, closed=5_000)) == COLLECT
    assert plan.closed_at_full_pass == 5_000 and plan.frozen_for == 10_000
    assert plan.decide(SocketTally(opened=15_999, closed=5_999)) == ""
    assert plan.decide(SocketTally(opened=20_000, closed=10_000)) == COLLECT


def test_few_sockets_closing_never_force_a_full_pass_below_the_minimum() -> None:
    plan = _plan()
    assert plan.decide(SocketTally(opened=300)) == FREEZE
    assert plan.decide(SocketTally(opened=300, closed=299)) == ""
    assert plan.decide(SocketTally(opened=1_100, closed=999)) == FREEZE  # 800 new, 999 closed
    assert plan.decide(SocketTally(opened=1_100, closed=1_000)) == COLLECT


def test_full_passes_that_free_nothing_come_after_twice_as_many_closes_and_garbage_resets() -> None:
    plan = _plan()
    assert plan.decide(SocketTally(opened=10_000)) == FREEZE
    assert plan.decide(SocketTally(opened=15_000, closed=5_000)) == COLLECT
    plan.full_pass_freed(12)  # 12 objects for 5,000 closed sockets: nothing to speak of
    assert plan.spacing == 2
    # As many live as before (10,000): the next comes after all of them closed, not half.
    assert plan.decide(SocketTally(opened=19_999, closed=9_999)) == FREEZE
    assert plan.decide(SocketTally(opened=24_999, closed=14_999)) == FREEZE
    assert plan.decide(SocketTally(opened=25_000, closed=15_000)) == COLLECT
    plan.full_pass_freed(0)
    assert plan.spacing == 4
    for _ in range(5):
        plan.full_pass_freed(0)
    assert plan.spacing == MAX_SPACING
    plan.closed_for_pass = 5_000
    plan.full_pass_freed(20_000)  # closed sockets left cycles: back to every half
    assert plan.spacing == 1


def test_the_tally_counts_live_sockets() -> None:
    tally = SocketTally(opened=12, closed=5)
    assert tally.live == 7


@pytest.fixture
def collector_restored():
    before = gc.get_threshold()
    yield
    gc.callbacks[:] = [c for c in gc.callbacks if not isinstance(c, FreezeAfterMiddlePasses)]
    gc.unfreeze()
    gc.set_threshold(*before)


def test_what_a_middle_pass_leaves_alive_is_frozen_and_young_passes_freeze_nothing(
    collector_restored,
) -> None:
    configure_collector()
    assert sum(isinstance(c, FreezeAfterMiddlePasses) for c in gc.callbacks) == 1
    configure_collector()  # the relay run again in one process: one freezer, not two
    assert sum(isinstance(c, FreezeAfterMiddlePasses) for c in gc.callbacks) == 1
    kept = [[i] for i in range(2_000)]  # young, alive
    frozen_before = gc.get_freeze_count()
    gc.collect(0)
    assert gc.get_freeze_count() == frozen_before  # a young pass: they only age
    gc.collect(1)
    assert gc.get_freeze_count() >= frozen_before + 2_000  # a middle pass: out of reach
    assert gc.get_objects(2) == []  # nothing left for CPython's own full passes to scan
    del kept


def test_in_steady_traffic_what_a_young_pass_leaves_alive_is_frozen_too(
    collector_restored,
) -> None:
    freezer = configure_collector()
    freezer.young_too = True
    kept = [[i] for i in range(2_000)]  # young, alive (writers and messages in flight)
    frozen_before = gc.get_freeze_count()
    gc.collect(0)
    assert gc.get_freeze_count() >= frozen_before + 2_000  # no middle pass will scan them
    assert gc.get_objects(1) == [] and gc.get_objects(2) == []
    del kept


def test_young_survivors_are_frozen_only_while_few_sockets_open(collector_restored) -> None:
    """While sockets pour in, young survivors age as before (a middle pass may still free
    the cycles of the connecting moment); in steady traffic they are frozen at once."""
    tally, freezer, seen = SocketTally(), FreezeAfterMiddlePasses(), []
    opened_per_check = [STEADY_OPENED_PER_S + 400, STEADY_OPENED_PER_S, 3, 0]

    def sleep(_s: float) -> None:
        if not opened_per_check:
            raise StopIteration
        tally.opened += opened_per_check.pop(0)

    def note_and_sleep(s: float) -> None:
        seen.append(freezer.young_too)
        sleep(s)

    with pytest.raises(StopIteration):
        follow_sockets_forever(tally, _plan(), note_and_sleep, freezer)
    assert seen[1:] == [False, False, True, True]


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
