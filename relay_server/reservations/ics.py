"""Calendar files (.ics, RFC 5545 / iTIP RFC 5546) for a reservation's invitees (pure).

One file per invitee, as one mail per invitee: it names only that invitee as ``ATTENDEE`` (the
invitees do not learn each other's addresses) and carries that invitee's personal link in
``DESCRIPTION`` and ``URL``. The meeting keeps one ``UID`` for its whole life; ``SEQUENCE``
is the reservation's ``sequence``, which rises on every change, so a calendar replaces the
event it already holds (``METHOD:REQUEST``) or removes it (``METHOD:CANCEL`` with
``STATUS:CANCELLED``, on cancellation and to an invitee taken off the list).

Times are written in the agent's time zone (``DTSTART;TZID=Europe/Berlin:...``) with a
``VTIMEZONE`` built from zoneinfo by ``icalendar`` (covering the years around the meeting),
so a meeting booked across a DST change keeps the wall-clock time the agent chose in every
calendar, and a calendar shows it in its user's own zone.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from relay_server.reservations.model import Invitee, Reservation

PRODUCT_ID = "-//RemoteSales//Reservations//EN"
_PARAM_UNSAFE_RE = re.compile(r'[\x00-\x1f\x7f"\u2028\u2029]+')


def _param(value: str) -> str:
    """A parameter value (``CN=...``): no control characters, and no double quote, which
    RFC 5545 parameter values cannot hold even quoted."""
    return " ".join(_PARAM_UNSAFE_RE.sub(" ", value).split())[:200]


class Method(StrEnum):
    """The iTIP method: also the ``method=`` of the attachment's content type."""

    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


@dataclass(frozen=True, slots=True)
class Organizer:
    """The agent as the meeting's organizer: a name and the address mail goes out from."""

    name: str
    address: str


@functools.lru_cache(maxsize=64)
def _vtimezone(zone: str, first_year: int, last_year: int) -> bytes:
    """The serialised VTIMEZONE of ``zone`` from a year before the meeting to two after:
    enough for every calendar to place it, a few hundred bytes instead of the zone's whole
    history. Made once per zone and years: a reservation's invitees share it."""
    from icalendar import Timezone  # at first use: see invitee_calendar

    return Timezone.from_tzinfo(
        ZoneInfo(zone),
        tzid=zone,
        first_date=date(first_year, 1, 1),
        last_date=date(last_year, 1, 1),
    ).to_ical()


def content_type(method: Method) -> str:
    """The attachment's MIME type: ``text/calendar; method=REQUEST`` (mail programs show
    Accept/Decline, or remove the event, by it)."""
    return f"text/calendar; method={method.value}"


def file_name(method: Method) -> str:
    return "invite.ics" if method is Method.REQUEST else "cancel.ics"


def description(reservation: Reservation, link: str, agenda_heading: str, link_heading: str) -> str:
    """The event's text: the agenda, one topic a line, then the personal link."""
    lines: list[str] = []
    if reservation.agenda:
        lines.append(agenda_heading)
        lines.extend(f"- {topic}" for topic in reservation.agenda)
        lines.append("")
    if link:
        lines.append(f"{link_heading} {link}")
    return "\n".join(lines).strip()


def invitee_calendar(
    reservation: Reservation,
    invitee: Invitee,
    link: str,
    organizer: Organizer,
    method: Method,
    now: datetime,
    text: str = "",
) -> bytes:
    """The .ics for one invitee.

    Args:
        link: the invitee's personal link (``URL`` and at the end of ``text``); empty in a
            cancellation, where it opens nothing any more.
        organizer: the agent (``ORGANIZER;CN=<name>:mailto:<address>``).
        method: REQUEST (created, changed, re-sent) or CANCEL (cancelled, invitee removed).
        now: ``DTSTAMP`` (when this version of the invitation was made), aware.
        text: ``DESCRIPTION`` (see :func:`description`, in the invitee's language).

    Returns:
        The file's bytes (CRLF line ends, lines folded at 75 octets).
    """
    # Imported at first use, not with the module: icalendar (with dateutil) is about a sixth
    # of the relay's imports, and a relay that sends no invitation never needs it.
    from icalendar import Calendar, Event, vCalAddress, vText

    zone = ZoneInfo(reservation.time_zone)
    start = reservation.start_utc.astimezone(zone)
    end = reservation.end_utc.astimezone(zone)

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method.value)

    event = Event()
    event.add("uid", reservation.uid)
    event.add("sequence", reservation.sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", reservation.title)
    if text:
        event.add("description", text)
    if link and method is Method.REQUEST:
        event.add("url", link, parameters={"VALUE": "URI"})
    event.add("status", "CONFIRMED" if method is Method.REQUEST else "CANCELLED")
    event.add("transp", "OPAQUE")

    chair = vCalAddress(f"mailto:{organizer.address}")
    if organizer.name:
        chair.params["CN"] = vText(_param(organizer.name))
    chair.params["ROLE"] = vText("CHAIR")
    event.add("organizer", chair, encode=False)

    attendee = vCalAddress(f"mailto:{invitee.email}")
    if invitee.name:
        attendee.params["CN"] = vText(_param(invitee.name))
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    attendee.params["PARTSTAT"] = vText("NEEDS-ACTION")
    attendee.params["RSVP"] = vText("TRUE")
    event.add("attendee", attendee, encode=False)

    calendar.add_component(event)
    data = calendar.to_ical()
    if reservation.time_zone == "UTC":
        return data
    # The VTIMEZONE goes before the VEVENT, serialised once per zone: it is 25 of a file's
    # 43 lines, and serialising it was half the cost of each invitee's file.
    zone_lines = _vtimezone(reservation.time_zone, start.year - 1, end.year + 2)
    return data.replace(b"BEGIN:VEVENT\r\n", zone_lines + b"BEGIN:VEVENT\r\n", 1)
