"""The mail seam of reservations (A11): ``on_change(reservation, change, previous)`` is called
once per change, after it is stored, with the state before it; links come from meeting_url."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from relay_server.accounts.passwords import hash_password
from relay_server.accounts.registry import Principal
from relay_server.errors import Refused
from relay_server.reservations.model import ReservationChange, ReservationStatus
from relay_server.reservations.service import RESERVATIONS, Reservations, meeting_url
from relay_server.sessions.relay import Relay, RelayOptions
from relay_server.store import TinyDBStore

ALICE = Principal("alice", "agent", "x")


def _start(hours: float) -> str:
    local = datetime.now(ZoneInfo("Asia/Seoul")) + timedelta(hours=hours)
    return local.replace(tzinfo=None, microsecond=0).isoformat(timespec="minutes")


def test_every_change_reaches_on_change_after_it_is_stored(tmp_path: Path):
    """Created, updated, invitees added and removed, cancelled: each once, in order, with the
    previous state, and each already in the store when the hook runs; a refused edit tells
    no one and changes nothing."""
    store = TinyDBStore(tmp_path)
    try:
        relay = Relay(store, RelayOptions(), hasher=hash_password)
        seen: list[tuple[str, int, str | None, bool]] = []

        def on_change(reservation, change, previous) -> None:
            stored = [d for d in store.all(RESERVATIONS) if d["id"] == reservation.id]
            in_store = stored[0]["sequence"] == reservation.sequence
            seen.append((str(change), reservation.sequence, previous and previous.title, in_store))

        reservations = Reservations(relay, on_change=on_change)
        now = time.time()
        booked = reservations.create(ALICE, {
            "title": "Pricing", "start": _start(2), "duration_minutes": 30,
            "time_zone": "Asia/Seoul", "invitees": [{"email": "kim@example.com"}],
        }, now)  # fmt: skip
        kim = booked.invitees[0]
        assert meeting_url("https://relay.example.com/", kim) == (
            f"https://relay.example.com/?meet={kim.link_secret}"
        )
        reservations.edit(ALICE, booked.id, {
            "title": "Pricing, again",
            "invitees": [{"email": "lee@example.com", "language": "ko"}],
        }, now)  # fmt: skip
        reservations.edit(ALICE, booked.id, {"title": "Pricing, again"}, now)  # no change
        with pytest.raises(Refused):  # a bad edit changes nothing, not even its valid fields
            reservations.edit(ALICE, booked.id, {"title": "Lost", "duration_minutes": 1}, now)
        assert reservations.owned(ALICE, booked.id).title == "Pricing, again"
        reservations.cancel(ALICE, booked.id, now)
        booked = reservations.owned(ALICE, booked.id)
        assert seen == [
            (str(ReservationChange.CREATED), 0, None, True),
            (str(ReservationChange.UPDATED), 1, "Pricing", True),
            (str(ReservationChange.INVITEES_ADDED), 1, "Pricing", True),
            (str(ReservationChange.INVITEES_REMOVED), 1, "Pricing", True),
            (str(ReservationChange.CANCELLED), 2, "Pricing, again", True),
        ]
        assert booked.status is ReservationStatus.CANCELLED
        assert [(i.email, i.revoked) for i in booked.invitees] == [
            ("kim@example.com", True), ("lee@example.com", False),
        ]  # fmt: skip
        assert booked.invitees[1].link_secret and booked.invitees[1].link_secret != kim.link_secret
    finally:
        store.close()


def test_a_bounced_invitee_is_re_invited_in_one_edit_only_when_asked(tmp_path: Path):
    """A bounced invitee kept in the list stays closed through an edit; listed with
    ``reinvite: true`` it gets a fresh link and an invitation (INVITEES_ADDED) in that one
    edit; ``reinvite`` on an invitee that did not bounce changes nothing."""
    store = TinyDBStore(tmp_path)
    try:
        relay = Relay(store, RelayOptions(), hasher=hash_password)
        seen: list[str] = []
        reservations = Reservations(relay, on_change=lambda r, change, p: seen.append(change))
        now = time.time()
        kim, lee = {"email": "kim@example.com"}, {"email": "lee@example.com"}
        booked = reservations.create(ALICE, {
            "title": "Pricing", "start": _start(2), "duration_minutes": 30,
            "time_zone": "Asia/Seoul", "invitees": [kim, lee],
        }, now)  # fmt: skip
        old_secret = booked.invitees[0].link_secret
        assert reservations.close_undelivered_link(booked.id, "KIM@example.com")
        seen.clear()

        kept = reservations.edit(ALICE, booked.id, {"invitees": [kim, lee]}, now)
        assert [i.undelivered for i in kept.invitees] == [True, False] and seen == []
        same = reservations.edit(
            ALICE, booked.id, {"invitees": [kim, {**lee, "reinvite": True}]}, now
        )
        assert same.sequence == booked.sequence and seen == []  # lee did not bounce

        again = reservations.edit(
            ALICE, booked.id, {"invitees": [{**kim, "reinvite": True}, lee]}, now
        )
        assert seen == [ReservationChange.INVITEES_ADDED]
        assert [(i.email, i.undelivered, i.revoked) for i in again.invitees] == [
            ("lee@example.com", False, False), ("kim@example.com", False, False),
        ]  # fmt: skip
        assert again.invitees[1].link_secret not in ("", old_secret)
    finally:
        store.close()
