"""Connections per address: the pure counter behind the relay's per-address cap."""

from __future__ import annotations

from relay_server.web.connection_limits import AddressSlots


def test_an_address_gets_its_cap_and_no_more_until_one_leaves():
    """The cap holds per address, refusals are counted, and a slot given back is usable."""
    slots = AddressSlots(max_per_address=2)
    assert [slots.admit("10.0.0.1") for _ in range(3)] == [True, True, False]
    assert slots.admit("10.0.0.2") and slots.refused == 1
    slots.leave("10.0.0.1")
    assert slots.admit("10.0.0.1") and slots.held("10.0.0.1") == 2


def test_no_cap_admits_everything_and_forgets_closed_addresses():
    """Cap 0 means none; an address with no open connection takes no memory."""
    slots = AddressSlots(max_per_address=0)
    assert all(slots.admit("10.0.0.1") for _ in range(1000))
    for _ in range(1000):
        slots.leave("10.0.0.1")
    slots.leave("10.0.0.9")  # never admitted: no-op
    assert len(slots) == 0
