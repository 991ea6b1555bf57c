"""What a reservation's mails say: invitation, updated, cancelled, reminder (pure).

One mail per person, in that person's language (English or Korean), plain text and HTML, with
the agent's name and company, the title, the time in the reservation's time zone with its UTC
offset, the agenda, the material files (names and sizes, no links) and, for an invitee, the
personal link and the calendar file (``relay_server/reservations/ics.py``). Everything a
person typed reaches the subject only through :func:`relay_server.mail.templates.header_text`
(no CR/LF can add a header) and the HTML only through ``html.escape``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from relay_server.files.transfers import human_size
from relay_server.mail.templates import STYLE, Attachment, MailContent, agent_label, header_text
from relay_server.reservations import ics
from relay_server.reservations.model import Invitee, Reservation


class MailKind(StrEnum):
    INVITATION = "invitation"
    UPDATED = "updated"
    CANCELLED = "cancelled"
    REMINDER = "reminder"


# What may change between two versions of a reservation, in the order an update lists them.
CHANGE_FIELDS = ("time", "duration", "title", "agenda", "materials")

_WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "subject": {
            MailKind.INVITATION: "Invitation: {title} ({when})",
            MailKind.UPDATED: "Updated: {title} ({when})",
            MailKind.CANCELLED: "Cancelled: {title} ({when})",
            MailKind.REMINDER: "Reminder: {title} starts at {time}",
        },
        "intro": {
            MailKind.INVITATION: "{who} invites you to a live online meeting.",
            MailKind.UPDATED: "{who} changed the meeting you are invited to.",
            MailKind.CANCELLED: "{who} cancelled this meeting. Your link no longer opens it.",
            MailKind.REMINDER: "Your meeting with {who} starts in {minutes} minutes.",
        },
        "agent_intro": "Your reservation starts in {minutes} minutes. Open it in RemoteSales "
        "to let your invitees in.",
        "changed": "What changed: {fields}.",
        "was": "was {when}",
        "fields": {
            "time": "the time",
            "duration": "the length",
            "title": "the title",
            "agenda": "the agenda",
            "materials": "the material files",
        },
        "when": "When",
        "agenda": "Agenda",
        "title": "Meeting",
        "button": "Open the meeting page",
        "link_note": "This link is yours alone: it lets one person in. Please do not forward it. "
        "Open it a little before the start: you go in as soon as the agent opens the meeting.",
        "calendar": "The attached calendar file adds the meeting to your calendar.",
        "calendar_cancel": "The attached calendar file removes the meeting from your calendar.",
        "agent_footer": "Sent by RemoteSales: a reminder of your own reservation.",
        "footer": "Sent by RemoteSales on behalf of {who}. If you did not expect this mail, "
        "you can ignore it.",
        "agenda_heading": "Agenda:",
        "link_heading": "Join:",
        "materials": "Files",
        "materials_note": "The agent shares these files in the meeting: download them there.",
        "bytes": "bytes",
        "weekdays": (
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ),
        "months": (
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
    },
    "ko": {
        "subject": {
            MailKind.INVITATION: "초대: {title} ({when})",
            MailKind.UPDATED: "변경: {title} ({when})",
            MailKind.CANCELLED: "취소: {title} ({when})",
            MailKind.REMINDER: "알림: {title} {time} 시작",
        },
        "intro": {
            MailKind.INVITATION: "{who} 상담원이 고객님을 온라인 미팅에 초대했습니다.",
            MailKind.UPDATED: "{who} 상담원이 초대받으신 미팅의 내용을 변경했습니다.",
            MailKind.CANCELLED: "{who} 상담원이 이 미팅을 취소했습니다. 받으신 링크로는 더 이상 "
            "들어갈 수 없습니다.",
            MailKind.REMINDER: "{who} 상담원과의 미팅이 {minutes}분 후에 시작합니다.",
        },
        "agent_intro": "예약하신 미팅이 {minutes}분 후에 시작합니다. RemoteSales에서 예약을 열면 "
        "초대한 분들이 바로 입장합니다.",
        "changed": "변경된 내용: {fields}",
        "was": "변경 전: {when}",
        "fields": {
            "time": "시간",
            "duration": "진행 시간",
            "title": "제목",
            "agenda": "안건",
            "materials": "자료 파일",
        },
        "when": "일시",
        "agenda": "안건",
        "title": "미팅",
        "button": "미팅 페이지 열기",
        "link_note": "이 링크는 받으신 분만 쓸 수 있는 개인 링크입니다. 다른 분께 전달하지 마세요. "
        "시작 시간 조금 전에 열어 두시면 상담원이 미팅을 여는 즉시 자동으로 입장합니다.",
        "calendar": "첨부된 캘린더 파일을 열면 미팅이 캘린더에 추가됩니다.",
        "calendar_cancel": "첨부된 캘린더 파일을 열면 캘린더에서 미팅이 삭제됩니다.",
        "agent_footer": "RemoteSales에서 보낸 예약 알림입니다.",
        "footer": "{who} 상담원을 대신해 RemoteSales에서 보낸 메일입니다. 받으실 일이 없었다면 "
        "이 메일은 무시하셔도 됩니다.",
        "agenda_heading": "안건:",
        "link_heading": "참여 링크:",
        "materials": "자료 파일",
        "materials_note": "상담원이 미팅에서 이 파일들을 공유합니다. 미팅에서 내려받으세요.",
        "bytes": "바이트",
        "weekdays": ("월", "화", "수", "목", "금", "토", "일"),
    },
}


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a mail goes to: an invitee (with a personal link) or the agent (no link)."""

    email: str
    language: str
    name: str = ""
    link: str = ""
    invitee: Invitee | None = None  # None: the agent


def what_changed(previous: Reservation | None, current: Reservation) -> tuple[str, ...]:
    """The fields an invitee should hear about, from :data:`CHANGE_FIELDS`."""
    if previous is None:
        return ()
    changed = {
        "time": previous.start_utc != current.start_utc or previous.time_zone != current.time_zone,
        "duration": previous.duration_minutes != current.duration_minutes,
        "title": previous.title != current.title,
        "agenda": list(previous.agenda) != list(current.agenda),
        "materials": [m.file_id for m in previous.materials]
        != [m.file_id for m in current.materials],
    }
    return tuple(name for name in CHANGE_FIELDS if changed[name])


def _offset(moment: datetime) -> str:
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _date(moment: datetime, lang: str) -> str:
    words = _WORDS[lang]
    weekday = words["weekdays"][moment.weekday()]
    if lang == "ko":
        return f"{moment.year}년 {moment.month}월 {moment.day}일 ({weekday})"
    return f"{weekday}, {moment.day} {words['months'][moment.month - 1]} {moment.year}"


def when_text(reservation: Reservation, lang: str) -> str:
    """``Sunday, 29 March 2026, 01:30–05:30 (Europe/Berlin, UTC+01:00 → UTC+02:00)``: the
    time in the reservation's zone, with the UTC offset (both when a DST change falls inside)."""
    zone = ZoneInfo(reservation.time_zone)
    start = reservation.start_utc.astimezone(zone)
    end = reservation.end_utc.astimezone(zone)
    separator = " " if lang == "ko" else ", "
    span = f"{start:%H:%M}–{end:%H:%M}"
    if end.date() != start.date():
        span = f"{start:%H:%M} – {_date(end, lang)}{separator}{end:%H:%M}"
    offsets = _offset(start)
    if _offset(end) != offsets:
        offsets = f"{offsets} → {_offset(end)}"
    return f"{_date(start, lang)}{separator}{span} ({reservation.time_zone}, {offsets})"


def _short_when(reservation: Reservation, lang: str) -> str:
    start = reservation.local_start()
    if lang == "ko":
        return f"{start.month}월 {start.day}일 {start:%H:%M}"
    return f"{start.day} {_WORDS['en']['months'][start.month - 1][:3]} {start:%H:%M}"


def _materials(reservation: Reservation, lang: str) -> list[str]:
    """``report.pdf (1.5 MiB)`` per material file, in the order the agent added them."""
    words = _WORDS[lang]
    return [
        f"{header_text(m.name)} ({human_size(m.size).replace('bytes', words['bytes'])})"
        for m in reservation.materials
    ]


def reservation_mail(
    kind: MailKind,
    reservation: Reservation,
    recipient: Recipient,
    agent: dict[str, Any],
    organizer: ics.Organizer,
    now: datetime,
    changed: tuple[str, ...] = (),
    reminder_minutes: int = 0,
    previous: Reservation | None = None,
) -> MailContent:
    """One mail of ``kind`` about ``reservation`` to ``recipient``, in their language.

    An invitee's invitation, update and reminder carry the personal link and a
    ``METHOD:REQUEST`` calendar file; a cancellation a ``METHOD:CANCEL`` one and no link. The
    agent's reminder has neither.
    """
    lang = recipient.language if recipient.language in _WORDS else "en"
    words = _WORDS[lang]
    who = agent_label(agent, lang)
    title = header_text(reservation.title)
    when = when_text(reservation, lang)
    start = reservation.local_start()
    subject = words["subject"][kind].format(
        title=title, when=_short_when(reservation, lang), time=f"{start:%H:%M}"
    )
    for_agent = recipient.invitee is None
    if for_agent:
        intro = words["agent_intro"].format(minutes=reminder_minutes)
    else:
        intro = words["intro"][kind].format(who=who, minutes=reminder_minutes)
    link = "" if kind is MailKind.CANCELLED or for_agent else recipient.link
    change_line = ""
    if kind is MailKind.UPDATED and changed:
        separator = ", " if lang == "ko" else ", "
        change_line = words["changed"].format(
            fields=separator.join(words["fields"][name] for name in changed)
        )
    attachments: tuple[Attachment, ...] = ()
    calendar_note = ""
    if recipient.invitee is not None:
        method = ics.Method.CANCEL if kind is MailKind.CANCELLED else ics.Method.REQUEST
        text = ics.description(reservation, link, words["agenda_heading"], words["link_heading"])
        calendar = ics.invitee_calendar(
            reservation, recipient.invitee, link, organizer, method, now, text
        )
        attachments = (Attachment(ics.file_name(method), ics.content_type(method), calendar),)
        calendar_note = words["calendar_cancel" if method is ics.Method.CANCEL else "calendar"]

    agenda = [header_text(topic) for topic in reservation.agenda]
    # Names and sizes only: the files open in the meeting (the personal link's page), never
    # through a link of their own in a mail that may be forwarded.
    materials = _materials(reservation, lang) if kind is not MailKind.CANCELLED else []
    contact = " · ".join(
        header_text(str(agent.get(key) or "")) for key in ("phone", "email") if agent.get(key)
    )
    job = header_text(str(agent.get("title") or ""))
    signature = [who] + ([job] if job else []) + ([contact] if contact else [])
    footer = words["footer"].format(who=who)
    if for_agent:  # the agent's own reminder: no "on behalf of" themselves
        signature, footer = [], words["agent_footer"]

    was = ""
    if kind is MailKind.UPDATED and previous is not None and "time" in changed:
        was = words["was"].format(when=when_text(previous, lang))
    text_lines = [intro, ""]
    if change_line:
        text_lines += [change_line, ""]
    text_lines += [f"{words['title']}: {title}", f"{words['when']}: {when}"]
    if was:
        text_lines.append(f"    ({was})")
    if agenda:
        text_lines += ["", f"{words['agenda']}:", *(f"  - {topic}" for topic in agenda)]
    if materials:
        text_lines += ["", f"{words['materials']}:", *(f"  - {m}" for m in materials)]
        text_lines.append(words["materials_note"])
    if link:
        text_lines += ["", f"{words['button']}: {link}", words["link_note"]]
    if calendar_note:
        text_lines += ["", calendar_note]
    text_lines += ["", "-- ", *signature, ""] if signature else [""]
    text_lines += [footer, ""]

    e = html.escape
    rows = [("intro", e(intro))]
    if change_line:
        rows.append(("note", f"<strong>{e(change_line)}</strong>"))
    when_html = e(when) + (f'<br><s style="color:#6b7585">{e(was)}</s>' if was else "")
    facts = [(words["title"], e(title)), (words["when"], when_html)]
    if agenda:
        items = "".join(f"<li>{e(topic)}</li>" for topic in agenda)
        facts.append((words["agenda"], f'<ul style="margin:0;padding-left:18px">{items}</ul>'))
    if materials:
        items = "".join(f"<li>{e(line)}</li>" for line in materials)
        note = f'<br><span style="color:#6b7585">{e(words["materials_note"])}</span>'
        facts.append(
            (words["materials"], f'<ul style="margin:0;padding-left:18px">{items}</ul>{note}')
        )
    fact_rows = "".join(
        f'<tr><th align="left" valign="top" style="{STYLE["fact_name"]}">{e(name)}</th>'
        f'<td style="{STYLE["fact_value"]}">{value}</td></tr>'
        for name, value in facts
    )
    rows.append(
        ("facts", f'<table role="presentation" cellpadding="0" cellspacing="0">{fact_rows}</table>')
    )
    if link:
        rows.append(
            (
                "button",
                f'<a href="{e(link, quote=True)}" style="{STYLE["link"]}">{e(words["button"])}</a>',
            )
        )
        rows.append(("note", e(words["link_note"])))
    if calendar_note:
        rows.append(("note", e(calendar_note)))
    if signature:
        rows.append(("signature", "<br>".join(e(line) for line in signature)))
    cells = "\n".join(f'<tr><td style="{STYLE[key]}">{value}</td></tr>' for key, value in rows)
    page = "\n".join(
        [
            "<!doctype html>",
            f'<html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width">'
            f"<title>{e(subject)}</title></head>",
            f'<body style="{STYLE["body"]}">',
            f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
            f'style="{STYLE["outer"]}"><tr><td align="center">',
            f'<table role="presentation" width="560" cellpadding="0" cellspacing="0" '
            f'style="{STYLE["card"]}">',
            cells,
            "</table>",
            f'<p style="{STYLE["footer"]}">{e(footer)}</p>',
            "</td></tr></table>",
            "</body></html>",
            "",
        ]
    )
    return MailContent(subject, "\n".join(text_lines), page, attachments)
