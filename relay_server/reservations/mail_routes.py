"""HTTP routes of the reservations' mail: the invitation's preview and the mails of a
reservation. Contract in docs/protocol.md, *Mail*.

The preview takes the reservation as the agent is writing it (nothing needs to be saved
first), so the booking's "Invite" tab shows what an invitee will receive while it is edited.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import bottle

from relay_server.errors import Refused
from relay_server.mail import templates
from relay_server.mail.outbox import Outbox
from relay_server.options.options import Options
from relay_server.reservations import ics
from relay_server.reservations.mailer import ReservationMailer
from relay_server.reservations.mails import MailKind
from relay_server.reservations.model import Material, Reservation
from relay_server.reservations.rules import MAX_MATERIALS, parse_start
from relay_server.sessions.relay import Relay
from relay_server.web.authorization import bearer_principal
from relay_server.web.http_bodies import json_body, json_route
from suite.files.names import safe_file_name

MAX_BODY_BYTES = 64 * 1024
MAX_TITLE_CHARS = 200
MAX_TOPICS = 50
MAX_TOPIC_CHARS = 500
MAX_DURATION_MINUTES = 24 * 60
MAX_FILE_NAME_CHARS = 1000  # a material's name in a preview, made safe as every file name
PREVIEW_SECRET = "your-personal-link"  # stands in for the secret each invitee gets


def _bad(field: str, reason: str) -> Refused:
    return Refused("bad_request", f"'{field}': {reason}", details={"field": field})


def draft_reservation(data: Any, agent_id: str, now: float) -> Reservation:
    """A reservation from the preview's ``reservation`` object (checked, never stored).

    Raises:
        Refused: ``bad_request`` naming the field.
    """
    if not isinstance(data, dict):
        raise _bad(
            "reservation",
            "must be an object {title, start_utc, duration_minutes, time_zone, agenda}",
        )
    title = data.get("title", "")
    if not isinstance(title, str) or len(title) > MAX_TITLE_CHARS:
        raise _bad("title", f"text of at most {MAX_TITLE_CHARS} characters")
    zone = data.get("time_zone", "UTC")
    try:
        if not isinstance(zone, str) or not zone:
            raise ValueError
        zone_info = ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError):
        raise _bad("time_zone", "an IANA time zone name, like Asia/Seoul") from None
    start_text = data.get("start_utc")
    start: datetime | None = None
    if not start_text and isinstance(data.get("start"), str):
        # The booking form's wall-clock start in the chosen zone, as the booking takes it.
        try:
            start = parse_start(data["start"], zone_info, None)
        except Refused as refused:
            raise _bad("start", refused.message) from None
    else:
        try:
            start = datetime.fromisoformat(str(start_text)) if start_text else None
        except ValueError:
            start = None
    if start is None or start.tzinfo is None:
        raise _bad("start_utc", "an ISO 8601 time with its offset, like 2026-03-29T00:30:00Z")
    duration = data.get("duration_minutes", 60)
    if (
        not isinstance(duration, int)
        or isinstance(duration, bool)
        or not (1 <= duration <= MAX_DURATION_MINUTES)
    ):
        raise _bad("duration_minutes", f"whole minutes from 1 to {MAX_DURATION_MINUTES}")
    agenda = data.get("agenda", [])
    if (
        not isinstance(agenda, list)
        or len(agenda) > MAX_TOPICS
        or not all(isinstance(t, str) and len(t) <= MAX_TOPIC_CHARS for t in agenda)
    ):
        raise _bad("agenda", f"a list of at most {MAX_TOPICS} topics of text")
    sequence = data.get("sequence", 0)
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 0:
        sequence = 0
    materials = data.get("materials", [])
    if (
        not isinstance(materials, list)
        or len(materials) > MAX_MATERIALS
        or not all(
            isinstance(m, dict)
            and isinstance(m.get("name"), str)
            and 0 < len(m["name"]) <= MAX_FILE_NAME_CHARS
            and isinstance(m.get("size"), int)
            and not isinstance(m["size"], bool)
            and m["size"] >= 0
            for m in materials
        )
    ):
        raise _bad("materials", f"a list of at most {MAX_MATERIALS} files {{name, size}}")
    return Reservation(
        id=str(data.get("id") or "preview")[:64],
        agent_id=agent_id,
        uid="preview@remotesales.invalid",
        title=title,
        start_utc=start.astimezone(UTC),
        duration_minutes=duration,
        time_zone=zone,
        agenda=[topic for topic in agenda if topic.strip()],
        materials=[
            Material(f"preview-{index}", safe_file_name(m["name"]), m["size"], "")
            for index, m in enumerate(materials)
        ],
        sequence=sequence,
        created_at=now,
        updated_at=now,
    )


def install_reservation_mail_routes(
    app: bottle.Bottle,
    relay: Relay,
    options: Options,
    outbox: Outbox,
    mailer: ReservationMailer,
    relay_url: Callable[[], str],
    clock: Callable[[], float] = time.time,
) -> None:
    route = json_route()

    def principal():
        return bearer_principal(relay.accounts, bottle.request.get_header("Authorization"), clock())

    @app.post("/api/reservation_mails/preview")
    @route
    def preview_reservation_mail():
        who = principal()
        data = json_body(MAX_BODY_BYTES)
        lang = data.get("lang", "en")
        if lang not in templates.LANGUAGES:
            raise _bad("lang", "one of " + ", ".join(templates.LANGUAGES))
        try:
            kind = MailKind(data.get("kind", "invitation"))
        except ValueError:
            raise _bad("kind", "one of " + ", ".join(k.value for k in MailKind)) from None
        reservation = draft_reservation(data.get("reservation"), who.username, clock())
        link = f"{relay_url()}/?meet={PREVIEW_SECRET}"
        minutes = int(options.get("mail.reminder_minutes")) or 15
        mail = mailer.preview(reservation, kind, lang, link, minutes)
        calendar = mail.attachments[0] if mail.attachments else None
        return {
            "subject": mail.subject,
            "text": mail.text,
            "html": mail.html,
            "calendar": calendar.data.decode("utf-8") if calendar else "",
            "calendar_type": calendar.content_type if calendar else "",
            "calendar_method": (
                ics.Method.CANCEL if kind is MailKind.CANCELLED else ics.Method.REQUEST
            ).value,
        }

    @app.get("/api/reservation_mails/<reservation_id>")
    @route
    def list_reservation_mails(reservation_id: str):
        who = principal()
        return {"mails": outbox.views(who.username, f"reservation:{reservation_id[:64]}")}
