"""The rules of reservations (A11): what a booking may say, when it opens, who overlaps (pure).

A booking's start is the wall-clock time the agent typed (``start``, ``2026-03-08T10:00``) in
its IANA ``time_zone``; it is stored in UTC. A wall-clock time the clocks skip (spring
forward) is refused as ``bad_start``; one they pass twice (fall back) is the first of the two.
A start may also carry its own offset (``2026-03-08T10:00-05:00``): then it is that instant.

Opening: from :data:`OPEN_EARLY_S` before the start until :data:`GRACE_S` after the end; an
invitee's link works from then until the meeting's session ends. Nothing here does I/O.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from relay_server.errors import Refused
from relay_server.mail.addresses import MAX_RECIPIENTS, address_problem, normalized
from relay_server.reservations.model import Invitee, Reservation, ReservationStatus

MAX_TITLE_CHARS = 120
MIN_DURATION_MINUTES = 5
MAX_DURATION_MINUTES = 8 * 60
MAX_AGENDA_TOPICS = 20
MAX_TOPIC_CHARS = 200
MAX_INVITEES = MAX_RECIPIENTS  # the mail's per-request cap: one invitation mail each
MAX_INVITEE_NAME_CHARS = 80
MAX_MATERIALS = 10
MAX_AHEAD_DAYS = 366  # a start further ahead is a typo
OPEN_EARLY_S = 15 * 60.0  # the agent may open this long before the start
GRACE_S = 30 * 60.0  # ... and until this long after the end
LANGUAGES = ("en", "ko")
WHEN = ("upcoming", "today", "past", "all")


class LinkState(StrEnum):
    """What an invitee's link says now (``GET /api/meetings/<secret>``)."""

    EARLY = "early"  # before the open window: the page counts down
    WAITING = "waiting"  # in the window, not opened yet: the agent will let you in
    OPEN = "open"  # the agent opened it: join now
    LATE = "late"  # past the end + grace and never opened
    OVER = "over"  # its session ended
    CANCELLED = "cancelled"
    USED = "used"  # this link already took its seat
    REVOKED = "revoked"  # the agent took this invitee off the list, or its invitation bounced


def parse_time_zone(value: Any) -> ZoneInfo:
    """Raises Refused ``unknown_time_zone`` unless ``value`` is an IANA zone name."""
    if not isinstance(value, str) or not value or len(value) > 64 or ".." in value:
        raise Refused("unknown_time_zone", "'time_zone' must be an IANA name like Asia/Seoul")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refused("unknown_time_zone", f"unknown time zone {value!r}") from None


def parse_start(value: Any, zone: ZoneInfo, now: float | None) -> datetime:
    """The start in UTC from the wall-clock ``value`` in ``zone`` (or an ISO time with offset);
    with ``now``, a start before it is refused (an edit checks only a changed start).

    Raises:
        Refused: ``bad_start`` (not a time, or a time the clocks skip in ``zone``),
            ``start_in_past``.
    """
    if not isinstance(value, str) or len(value) > 40:
        raise Refused("bad_start", "'start' must be a time like 2026-03-08T10:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Refused("bad_start", "'start' must be a time like 2026-03-08T10:00") from None
    if parsed.tzinfo is None:
        local = parsed.replace(tzinfo=zone, fold=0)
        # A time in the spring-forward gap does not round-trip through UTC.
        if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != parsed:
            raise Refused(
                "bad_start",
                f"{value} does not exist in {zone.key}: the clocks skip it (daylight saving)",
            )
        parsed = local
    start = parsed.astimezone(UTC)
    if now is not None:
        check_not_past(start, now)
    return start


def check_not_past(start: datetime, now: float) -> None:
    """Raises Refused ``start_in_past``, or ``bad_start`` past :data:`MAX_AHEAD_DAYS`."""
    if start.timestamp() < now:
        raise Refused("start_in_past", "the start is in the past; pick a time from now on")
    if start.timestamp() > now + MAX_AHEAD_DAYS * 86400:
        raise Refused("bad_start", f"the start is more than {MAX_AHEAD_DAYS} days ahead")


def parse_duration(value: Any) -> int:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not MIN_DURATION_MINUTES <= value <= MAX_DURATION_MINUTES
    ):
        raise Refused(
            "bad_duration",
            f"'duration_minutes' must be {MIN_DURATION_MINUTES} to {MAX_DURATION_MINUTES}",
        )
    return value


def parse_title(value: Any) -> str:
    title = " ".join(value.split()) if isinstance(value, str) else ""
    if not title or len(title) > MAX_TITLE_CHARS:
        raise Refused("bad_title", f"'title' must be 1 to {MAX_TITLE_CHARS} characters")
    return title


def parse_agenda(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise Refused("bad_request", "'agenda' must be a list of topics (text)")
    topics = [" ".join(t.split()) for t in value]
    topics = [t for t in topics if t]
    if len(topics) > MAX_AGENDA_TOPICS:
        raise Refused("too_many_topics", f"an agenda has at most {MAX_AGENDA_TOPICS} topics")
    if any(len(t) > MAX_TOPIC_CHARS for t in topics):
        raise Refused("bad_topic", f"a topic is at most {MAX_TOPIC_CHARS} characters")
    return topics


def parse_invitees(value: Any) -> list[Invitee]:
    """``[{email, name?, language?}]`` → invitees without secrets; every entry is checked
    before anything is kept (one bad address refuses the list and names every bad one).

    Raises:
        Refused: ``bad_request``, ``too_many_recipients`` (over :data:`MAX_INVITEES`, with
            ``max_recipients``), ``bad_address`` (``bad_addresses: [{index, address,
            reason}]``; an address listed twice is one of them).
    """
    if not isinstance(value, list):
        raise Refused("bad_request", "'invitees' must be a list of {email, name, language}")
    if len(value) > MAX_INVITEES:
        raise Refused(
            "too_many_recipients",
            f"at most {MAX_INVITEES} invitees; this list has {len(value)}",
            details={"max_recipients": MAX_INVITEES},
        )
    invitees: list[Invitee] = []
    bad: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise Refused("bad_request", "each invitee is an object {email, name, language}")
        email, name = entry.get("email"), entry.get("name") or ""
        language = entry.get("language") or "en"
        if language not in LANGUAGES or not isinstance(name, str):
            raise Refused("bad_request", "an invitee's 'language' is en or ko; 'name' is text")
        if not isinstance(email, str):
            bad.append({"index": index, "address": "", "reason": "must be text"})
            continue
        email = email.strip()
        problem = address_problem(email)
        if problem is None and normalized(email).lower() in seen:
            problem = "listed twice"
        if problem:
            bad.append({"index": index, "address": email[:254], "reason": problem})
            continue
        email = normalized(email)
        seen.add(email.lower())
        # CR/LF and other controls never reach a mail header or the page.
        clean = "".join(c if c.isprintable() else " " for c in name)
        invitees.append(Invitee(email, " ".join(clean.split())[:MAX_INVITEE_NAME_CHARS], language))
    if bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise Refused(
            "bad_address",
            f"'{bad[0]['address']}': {bad[0]['reason']}{more}",
            details={"bad_addresses": bad},
        )
    return invitees


def reinvited(value: list[Any], invitees: list[Invitee]) -> set[str]:
    """The lower-cased addresses whose entries of ``value`` (a list :func:`parse_invitees`
    took, in the same order as ``invitees``) ask ``reinvite: true``: the agent listed again an
    address whose invitation bounced, and wants it mailed anew with a fresh link."""
    return {
        invitee.email.lower()
        for entry, invitee in zip(value, invitees, strict=True)
        if entry.get("reinvite") is True
    }


def open_window(reservation: Reservation) -> tuple[float, float]:
    """``(opens_at, closes_at)``: when the agent may open it (epoch seconds)."""
    return (
        reservation.start_utc.timestamp() - OPEN_EARLY_S,
        reservation.end_utc.timestamp() + GRACE_S,
    )


def check_can_open(reservation: Reservation, now: float) -> None:
    """Raises Refused unless the agent may open ``reservation`` now.

    Raises:
        Refused: ``reservation_cancelled``, ``reservation_done``, ``reservation_too_early``
            (``opens_at``), ``reservation_missed``.
    """
    if reservation.status is ReservationStatus.CANCELLED:
        raise Refused("reservation_cancelled", "this reservation was cancelled")
    if reservation.status is ReservationStatus.DONE:
        raise Refused("reservation_done", "this reservation's meeting has ended")
    opens_at, closes_at = open_window(reservation)
    if now < opens_at:
        minutes = int(OPEN_EARLY_S // 60)
        raise Refused(
            "reservation_too_early",
            f"a reservation opens {minutes} minutes before its start at the earliest",
            details={"opens_at": opens_at},
        )
    if now > closes_at:
        raise Refused("reservation_missed", "this reservation's time has passed")


def link_state(reservation: Reservation, invitee: Invitee, now: float) -> LinkState:
    if invitee.revoked or invitee.undelivered:
        return LinkState.REVOKED
    if reservation.status is ReservationStatus.CANCELLED:
        return LinkState.CANCELLED
    if invitee.joined_at is not None:
        return LinkState.USED
    if reservation.status is ReservationStatus.DONE:
        return LinkState.OVER
    if reservation.status is ReservationStatus.OPEN:
        return LinkState.OPEN
    opens_at, closes_at = open_window(reservation)
    if now > closes_at:
        return LinkState.LATE
    return LinkState.EARLY if now < opens_at else LinkState.WAITING


def overlapping(reservations: list[Reservation]) -> set[str]:
    """Ids of the reservations (one agent's) whose times overlap another live one's."""
    live = sorted(
        (r for r in reservations if r.status is not ReservationStatus.CANCELLED),
        key=lambda r: r.start_utc,
    )
    found: set[str] = set()
    latest_end: datetime | None = None
    latest_id = ""
    for reservation in live:
        if latest_end is not None and reservation.start_utc < latest_end:
            found.update((reservation.id, latest_id))
        if latest_end is None or reservation.end_utc > latest_end:
            latest_end, latest_id = reservation.end_utc, reservation.id
    return found


def matches(reservation: Reservation, when: str, now: float, zone: ZoneInfo) -> bool:
    """Is ``reservation`` in the list ``when`` (upcoming, today, past, all)?

    Upcoming: scheduled or open and not past its open window; today: starts on today's date
    in ``zone`` (the agent's); past: done, cancelled, or its window closed.
    """
    _, closes_at = open_window(reservation)
    finished = reservation.status in (ReservationStatus.DONE, ReservationStatus.CANCELLED)
    past = finished or (reservation.status is ReservationStatus.SCHEDULED and now > closes_at)
    if when == "upcoming":
        return not past
    if when == "past":
        return past
    if when == "today":
        today = datetime.fromtimestamp(now, zone).date()
        return reservation.start_utc.astimezone(zone).date() == today
    return True
