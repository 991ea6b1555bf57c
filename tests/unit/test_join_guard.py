"""Join limits: per-address growing delays, and the relay-wide budget behind admission mode."""

from __future__ import annotations

from relay_server.sessions.join_guard import (
    ADDRESS_WINDOW_S,
    ICON_KNOCKS_PER_ADDRESS,
    AddressWindow,
    GuessBudget,
    JoinGuard,
)


def test_two_mistypes_cost_nothing_then_the_waits_grow():
    """Wrong codes 1-2 (and 3) from an address: no wait; then 1 s, 2 s, 4 s ... then locked."""
    guard = JoinGuard.create()
    for n in range(2):
        assert guard.retry_after("10.0.0.1", now=n) == 0.0
        guard.wrong_code("10.0.0.1", now=n)
    assert guard.retry_after("10.0.0.1", now=2) == 0.0  # a customer who mistyped twice
    guard.wrong_code("10.0.0.1", now=0)
    assert guard.retry_after("10.0.0.1", now=0) == 1.0
    guard.wrong_code("10.0.0.1", now=1)
    assert guard.retry_after("10.0.0.1", now=1) == 2.0
    for t in range(2, 8):
        guard.wrong_code("10.0.0.1", now=t)
    assert guard.retry_after("10.0.0.1", now=8) == ADDRESS_WINDOW_S - 8  # 10 wrong: locked
    assert guard.retry_after("10.0.0.2", now=8) == 0.0  # only that address waits


def test_the_relay_wide_budget_turns_on_admission_mode_and_off_again():
    """`budget` wrong codes from many addresses within the window: correct codes must knock."""
    guard = JoinGuard.create(budget=5, window_s=60)
    for n in range(4):
        guard.wrong_code(f"10.0.0.{n}", now=n)
    assert not guard.admission_required(now=4)
    guard.wrong_code("10.0.0.9", now=5)
    assert guard.admission_required(now=5)
    assert guard.admission_required(now=59.9)
    assert not guard.admission_required(now=60.1)  # the first wrong code left the window


def test_the_budget_shrinks_with_more_live_codes():
    """Each guess hits N/10^9: at 1,000 live codes a tenth of the wrong codes spend the budget."""
    guard = JoinGuard.create(budget=400, window_s=3600)
    for n in range(40):
        guard.wrong_code(f"10.0.0.{n}", now=n)
    assert not guard.admission_required(now=40, live_codes=100)
    assert not guard.admission_required(now=40, live_codes=50)  # fewer: never more than 400
    assert guard.admission_required(now=40, live_codes=1000)
    assert guard.budget.allowed(10**6) == 1


def test_a_zero_budget_never_asks_for_admission():
    """`--guess-budget 0` is the benchmark baseline: no admission mode at all."""
    budget = GuessBudget(0, 60)
    for n in range(100):
        budget.record(n * 0.01)
    assert not budget.exhausted(1) and budget.total == 100


def test_icon_knocks_are_limited_per_address():
    """An address may knock by icon ICON_KNOCKS_PER_ADDRESS times per window."""
    guard = JoinGuard.create()
    for n in range(ICON_KNOCKS_PER_ADDRESS):
        assert guard.icon_knock_wait("10.0.0.1", now=n) == 0
        guard.icon_knocked("10.0.0.1", now=n)
    assert guard.icon_knock_wait("10.0.0.1", now=10) == ADDRESS_WINDOW_S - 10


def test_sweep_forgets_addresses_past_their_window():
    """Many attacker addresses do not stay in memory after their window."""
    window = AddressWindow(limit=3, window_s=10)
    for n in range(1000):
        window.add(f"10.0.{n // 256}.{n % 256}", now=0)
    window.add("10.9.9.9", now=15)
    assert window.sweep(now=15) == 1000 and len(window) == 1


def test_the_relay_wide_budget_and_an_address_limit_span_nodes_through_the_hub():
    """Two nodes' guards on one hub: wrong codes on either count toward one budget and one
    address's limit, which a node alone would not have reached."""
    from relay_server.hub.local import LocalHub, LocalHubState
    from relay_server.sessions.join_guard import ADDRESS_WRONG_LIMIT

    state = LocalHubState()
    one, two = JoinGuard.create(4, 60.0), JoinGuard.create(4, 60.0)
    one.shared, two.shared = LocalHub(state), LocalHub(state)
    now = 6000.0
    for guard in (one, two):
        guard.wrong_code("10.0.0.9", now)
        guard.wrong_code("10.0.0.8", now)
    assert not one.budget.exhausted(now) and not two.budget.exhausted(now)
    assert one.admission_required(now + 1) and two.admission_required(now + 1)
    for i in range(ADDRESS_WRONG_LIMIT - 1):
        (one if i % 2 else two).wrong_code("10.0.0.7", now)
    assert two.retry_after("10.0.0.5", now) == 0.0
    assert one.retry_after("10.0.0.7", now) > 0  # its own five would wait a few seconds
    two.wrong_code("10.0.0.7", now)
    assert one.retry_after("10.0.0.7", now + 59) > 500  # the whole address window
