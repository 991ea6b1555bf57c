"""The mail seam of reservations (A11): ``on_change(reservation, change, previous)`` is called
once per change, after it is stored, with the state before it; links come from meeting_url."""

from __future__ import annotations

import hashlib
import io
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


def test_material_changes_are_told_once_by_the_edit_or_after_the_quiet_time(tmp_path: Path):
    """Files added and removed reach on_change once per save: with the edit that ends it (the
    previous state is what the invitees last heard: no files), or, without an edit, once the
    quiet time has passed since the last change (the timer set once and again if early).
    A file added and removed again tells no one."""
    store = TinyDBStore(tmp_path)
    try:
        relay = Relay(store, RelayOptions(), hasher=hash_password)
        seen: list[tuple[str, int, list[str], list[str]]] = []
        timers: list[tuple[float, object]] = []
        clock = [time.time()]

        def on_change(reservation, change, previous) -> None:
            names = [m.name for m in previous.materials] if previous else []
            seen.append((str(change), reservation.sequence, names,
                         [m.name for m in reservation.materials]))  # fmt: skip

        reservations = Reservations(
            relay, on_change=on_change, materials_quiet_s=60.0,
            call_later=lambda delay, fn: timers.append((delay, fn)), clock=lambda: clock[0],
        )  # fmt: skip
        booked = reservations.create(ALICE, {
            "title": "Pricing", "start": _start(2), "duration_minutes": 30,
            "time_zone": "Asia/Seoul", "invitees": [{"email": "kim@example.com"}],
        }, clock[0])  # fmt: skip
        seen.clear()

        def upload(name: str) -> str:
            data = name.encode()
            offer = {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            return reservations.add_material(
                ALICE, booked.id, offer, io.BytesIO(data), clock[0]
            ).file_id

        upload("a.pdf")
        upload("b.pdf")
        assert seen == [] and len(timers) == 1  # one timer for both
        reservations.edit(ALICE, booked.id, {"title": "Pricing"}, clock[0])  # the save's edit
        assert seen == [("updated", 1, [], ["a.pdf", "b.pdf"])]
        timers.pop()[1]()  # fires after the edit told everything: nothing more
        assert len(seen) == 1

        third = upload("c.pdf")
        clock[0] += 30
        reservations.remove_material(ALICE, booked.id, third, clock[0])
        clock[0] += 40  # 70 s after the first change, 40 after the last
        timers.pop()[1]()
        assert len(seen) == 1 and timers and timers[0][0] == pytest.approx(20)
        clock[0] += 20
        timers.pop()[1]()  # changed and changed back: no update
        assert len(seen) == 1 and not timers
        assert reservations.owned(ALICE, booked.id).materials_heard is None

        upload("d.pdf")
        clock[0] += 60
        timers.pop()[1]()
        assert seen[1] == ("updated", 2, ["a.pdf", "b.pdf"], ["a.pdf", "b.pdf", "d.pdf"])
        view = reservations.view(reservations.owned(ALICE, booked.id))
        assert "materials_heard" not in view and view["sequence"] == 2
    finally:
        store.close()
