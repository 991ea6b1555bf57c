"""The budget of unknown bearer tokens per address (accounts/token_budget.py) over a hub's
counts shared by two nodes (the local hub: two nodes in this process)."""

from __future__ import annotations

from relay_server.accounts.token_budget import UnknownTokenBudget
from relay_server.hub.local import LocalHub, LocalHubState


def test_an_address_over_its_budget_waits_for_the_window_end_on_every_node():
    state = LocalHubState()
    one = UnknownTokenBudget(LocalHub(state, "one"), limit=3, window_s=10.0)
    two = UnknownTokenBudget(LocalHub(state, "two"), limit=3, window_s=10.0)
    for _ in range(2):
        assert one.wait_s("10.0.0.1", 101.0) == 0.0
        one.missed("10.0.0.1", 101.0)
    assert one.wait_s("10.0.0.1", 102.0) == 0.0
    two.missed("10.0.0.1", 102.0)  # the third, on the other node
    assert two.wait_s("10.0.0.1", 104.0) == 6.0  # until the window's end at 110
    assert one.wait_s("10.0.0.1", 104.0) == 0.0  # node one learns at its own next miss
    one.missed("10.0.0.1", 104.0)
    assert one.wait_s("10.0.0.1", 105.0) == 5.0
    assert one.wait_s("10.0.0.2", 105.0) == 0.0  # another address
    assert one.wait_s("10.0.0.1", 110.0) == 0.0  # a new window
    assert one.refused == 1 and two.refused == 1


def test_many_addresses_each_under_budget_spend_the_relay_wide_one():
    """Misses from many addresses, none over its own budget, count relay-wide too: past the
    relay-wide budget every node refuses every address until the window ends."""
    state = LocalHubState()
    one = UnknownTokenBudget(LocalHub(state, "one"), limit=3, window_s=10.0, relay_limit=5)
    two = UnknownTokenBudget(LocalHub(state, "two"), limit=3, window_s=10.0, relay_limit=5)
    for n in range(4):
        node = one if n % 2 else two
        assert node.relay_wait_s(101.0) == 0.0
        node.missed(f"10.0.0.{n}", 101.0)
    assert one.relay_wait_s(101.0) == two.relay_wait_s(101.0) == 0.0
    one.missed("10.0.0.9", 102.0)  # the fifth, relay-wide
    assert one.relay_wait_s(103.0) == 7.0  # any address, until the window's end at 110
    assert one.wait_s("10.0.0.9", 103.0) == 0.0  # no address is over its own
    assert two.relay_wait_s(103.0) == 0.0  # node two learns at its own next miss
    two.missed("10.0.0.8", 103.0)
    assert two.relay_wait_s(104.0) == 6.0
    assert one.relay_wait_s(110.0) == two.relay_wait_s(110.0) == 0.0  # a new window
