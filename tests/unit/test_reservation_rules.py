"""The rules of reservations (A11): starts across daylight saving, the open window, the
links' states, overlaps and the lists, with the time passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from relay_server.errors import Refused
from relay_server.reservations import rules
from relay_server.reservations.model import Invitee, Reservation, ReservationStatus

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC).timestamp()
NEW_YORK = ZoneInfo("America/New_York")


def _reservation(start: datetime, minutes: int = 30, rid: str = "r1", **fields) -> Reservation:
    return Reservation(rid, "alice", f"{rid}@x", "T", start, minutes, "Asia/Seoul", **fields)


@pytest.mark.parametrize(
    ("wall_clock", "expected_utc"),
    [
        ("2027-03-13T10:00", "2027-03-13T15:00:00+00:00"),  # EST, the day before the change
        ("2027-03-14T10:00", "2027-03-14T14:00:00+00:00"),  # EDT, the change day after 03:00
        ("2027-11-07T01:30", "2027-11-07T05:30:00+00:00"),  # passed twice: the first (EDT)
        ("2027-03-14T10:00-05:00", "2027-03-14T15:00:00+00:00"),  # an offset is an instant
    ],
)
def test_a_start_is_the_wall_clock_time_in_its_zone(wall_clock, expected_utc):
    """The wall-clock time is read in the booking's zone, daylight saving included."""
    assert rules.parse_start(wall_clock, NEW_YORK, NOW).isoformat() == expected_utc


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2027-03-14T02:30", "bad_start"),  # skipped by the clocks
        ("next tuesday", "bad_start"),
        (1234, "bad_start"),
        ("2027-02-28T10:00", "start_in_past"),
        ("2029-01-01T10:00", "bad_start"),  # over a year ahead
    ],
)
def test_bad_starts_are_refused(value, code):
    """Times the clocks skip, non-times, past and far-future starts each get their code."""
    with pytest.raises(Refused) as refused:
        rules.parse_start(value, NEW_YORK, NOW)
    assert refused.value.code == code


def test_unknown_zones_and_paths_are_refused():
    """Only IANA names are zones: a made-up one or a path is unknown_time_zone."""
    for value in ("Mars/Olympus", "../etc/passwd", "", None, "x" * 65):
        with pytest.raises(Refused) as refused:
            rules.parse_time_zone(value)
        assert refused.value.code == "unknown_time_zone"
    assert rules.parse_time_zone("Europe/Berlin").key == "Europe/Berlin"


def test_the_link_state_follows_the_window_and_the_status():
    """Early before 15 minutes ahead, waiting in the window, late after end + grace; open,
    over, cancelled, used and revoked win in that order of the checks."""
    start = datetime.fromtimestamp(NOW, UTC) + timedelta(hours=1)
    reservation = _reservation(start)
    invitee = Invitee("kim@example.com")
    at = start.timestamp()
    assert rules.link_state(reservation, invitee, at - 16 * 60) is rules.LinkState.EARLY
    assert rules.link_state(reservation, invitee, at - 14 * 60) is rules.LinkState.WAITING
    assert rules.link_state(reservation, invitee, at + 59 * 60) is rules.LinkState.WAITING
    assert rules.link_state(reservation, invitee, at + 61 * 60) is rules.LinkState.LATE
    reservation.status = ReservationStatus.OPEN
    assert rules.link_state(reservation, invitee, at + 61 * 60) is rules.LinkState.OPEN
    invitee.joined_at = at
    assert rules.link_state(reservation, invitee, at) is rules.LinkState.USED
    reservation.status = ReservationStatus.DONE
    invitee.joined_at = None
    assert rules.link_state(reservation, invitee, at) is rules.LinkState.OVER
    reservation.status = ReservationStatus.CANCELLED
    assert rules.link_state(reservation, invitee, at) is rules.LinkState.CANCELLED
    invitee.revoked = True
    assert rules.link_state(reservation, invitee, at) is rules.LinkState.REVOKED


def test_opening_is_refused_outside_the_window():
    """Too early (with opens_at), missed after end + grace, and never once cancelled or done."""
    start = datetime.fromtimestamp(NOW, UTC) + timedelta(hours=1)
    reservation = _reservation(start)
    with pytest.raises(Refused) as refused:
        rules.check_can_open(reservation, NOW)
    assert refused.value.code == "reservation_too_early"
    assert refused.value.details["opens_at"] == start.timestamp() - rules.OPEN_EARLY_S
    rules.check_can_open(reservation, start.timestamp() - 10 * 60)
    with pytest.raises(Refused) as refused:
        rules.check_can_open(reservation, start.timestamp() + 61 * 60)
    assert refused.value.code == "reservation_missed"
    for status, code in ((ReservationStatus.CANCELLED, "reservation_cancelled"),
                         (ReservationStatus.DONE, "reservation_done")):  # fmt: skip
        reservation.status = status
        with pytest.raises(Refused) as refused:
            rules.check_can_open(reservation, start.timestamp())
        assert refused.value.code == code


def test_overlaps_ignore_cancelled_and_touching_ones():
    """Overlapping times are flagged both ways; back-to-back and cancelled ones are not."""
    base = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)
    a = _reservation(base, 60, "a")
    b = _reservation(base + timedelta(minutes=30), 60, "b")
    c = _reservation(base + timedelta(minutes=90), 30, "c")  # starts as b ends
    d = _reservation(base + timedelta(minutes=100), 10, "d", status=ReservationStatus.CANCELLED)
    e = _reservation(base + timedelta(minutes=200), 120, "e")
    f = _reservation(base + timedelta(minutes=210), 10, "f")  # inside e
    assert rules.overlapping([c, a, d, b, e, f]) == {"a", "b", "e", "f"}


def test_invitees_are_checked_whole():
    """Every bad address is named, a duplicate is one, names lose control characters, and
    more than 200 invitees are too many."""
    invitees = rules.parse_invitees([
        {"email": "Kim@Example.com", "name": "Kim\r\nBcc: x", "language": "ko"},
        {"email": "lee@example.com"},
    ])  # fmt: skip
    assert [(i.email, i.name, i.language) for i in invitees] == [
        ("Kim@example.com", "Kim Bcc: x", "ko"), ("lee@example.com", "", "en"),
    ]  # fmt: skip
    with pytest.raises(Refused) as refused:
        rules.parse_invitees([{"email": "a@b.co"}, {"email": "A@b.co"}, {"email": "nope"}])
    assert refused.value.code == "bad_address"
    assert [b["index"] for b in refused.value.details["bad_addresses"]] == [1, 2]
    with pytest.raises(Refused) as refused:
        rules.parse_invitees([{"email": f"c{n}@example.com"} for n in range(201)])
    assert refused.value.code == "too_many_recipients"


def test_lists_split_upcoming_today_and_past():
    """Upcoming is scheduled or open until its window closes; past is done, cancelled or
    missed; today is by the date in the asked zone."""
    now_dt = datetime.fromtimestamp(NOW, UTC)  # 21:00 in Seoul
    later = _reservation(now_dt + timedelta(hours=2), rid="later")  # 23:00 Seoul: today
    tomorrow = _reservation(now_dt + timedelta(hours=4), rid="tomorrow")  # 01:00 Seoul
    missed = _reservation(now_dt - timedelta(hours=3), rid="missed")  # 18:00 Seoul
    done = _reservation(now_dt + timedelta(hours=1), rid="done", status=ReservationStatus.DONE)
    every = [later, tomorrow, missed, done]
    seoul = ZoneInfo("Asia/Seoul")

    def ids(when: str) -> set[str]:
        return {r.id for r in every if rules.matches(r, when, NOW, seoul)}

    assert ids("upcoming") == {"later", "tomorrow"}
    assert ids("past") == {"missed", "done"}
    assert ids("today") == {"later", "done", "missed"}  # 18:00, 22:00, 23:00 in Seoul
    assert ids("all") == {"later", "tomorrow", "missed", "done"}
