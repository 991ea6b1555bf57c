"""Mail content: the invitation in English or Korean, text and HTML, and the MIME message (pure).

Everything a person typed (agent name, company, title) reaches a header only through
:func:`header_text` (control characters, CR and LF become spaces) and then
``email.message.EmailMessage`` with the default policy, which refuses a header value with a
line break and encodes non-ASCII text (RFC 2047), so no input can add a header. HTML parts
escape every value with ``html.escape``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

LANGUAGES = ("en", "ko")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
MAX_HEADER_TEXT_CHARS = 200


def header_text(value: str) -> str:
    """``value`` safe for a header: line breaks and control characters become one space."""
    return " ".join(_CONTROL_RE.sub(" ", value).split())[:MAX_HEADER_TEXT_CHARS]


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file part of a mail (e.g. ``text/calendar`` for an invitation's .ics)."""

    filename: str
    content_type: str  # "text/calendar; method=REQUEST"
    data: bytes


@dataclass(frozen=True, slots=True)
class MailContent:
    """What one mail says: subject, plain text, HTML (all already in the recipient's language)."""

    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = field(default=())


_INVITATION = {
    "en": {
        "subject": "{name} invites you to a live consultation",
        "intro": "{who} invites you to a live online consultation.",
        "button": "Join the consultation",
        "or": "Or go to {relay_url} and enter this access code:",
        "code_note": "The code works once and expires soon. If it has expired, ask {name} "
        "for a new one.",
        "link_note": "This link is yours alone: it lets one person in, once. Please do not "
        "forward it. If it no longer works, ask {name} for a new one.",
        "footer": "Sent by RemoteSales on behalf of {who}. If you did not expect this "
        "invitation, you can ignore it.",
    },
    "ko": {
        "subject": "{name} 상담원이 원격 상담에 초대했습니다",
        "intro": "{who} 상담원이 온라인 원격 상담에 초대했습니다.",
        "button": "상담 참여하기",
        "or": "또는 {relay_url} 에 접속해 아래 접속 코드를 입력하세요.",
        "code_note": "코드는 한 번만 쓸 수 있고 곧 만료됩니다. 만료되었다면 {name} 상담원에게 새 "
        "코드를 요청하세요.",
        "link_note": "이 링크는 받으신 분만 한 번 쓸 수 있는 개인 링크입니다. 다른 분께 전달하지 "
        "마세요. 링크가 열리지 않으면 {name} 상담원에게 새 링크를 요청하세요.",
        "footer": "{who} 상담원을 대신해 RemoteSales에서 보낸 메일입니다. 초대받을 일이 없었다면 "
        "이 메일은 무시하셔도 됩니다.",
    },
}


# Inline styles: mail programs ignore <style> blocks and linked sheets. Korean fonts first in
# the list that each system has, so Hangul never falls back to a bitmap font.
_FONTS = "'Noto Sans KR','Malgun Gothic','Apple SD Gothic Neo',Arial,sans-serif"
_MUTED = "font-size:14px;line-height:1.6;color:#4a5568"
_STYLE = {
    # keep-all: Korean wraps between words, not inside one (Chromium's default breaks
    # anywhere in Hangul); overflow-wrap still breaks a word too long for a phone.
    "body": f"margin:0;padding:0;background:#f4f6fa;font-family:{_FONTS};color:#1b2430;"
    "word-break:keep-all;overflow-wrap:anywhere",
    "outer": "background:#f4f6fa;padding:24px 0",
    "card": "max-width:560px;width:100%;background:#ffffff;border-radius:12px;"
    "border:1px solid #dde3ec",
    "intro": "padding:28px 32px 8px 32px;font-size:18px;line-height:1.5;font-weight:600",
    "button": "padding:16px 32px",
    "link": "display:inline-block;background:#2457d6;color:#ffffff;text-decoration:none;"
    "font-weight:600;font-size:16px;padding:12px 24px;border-radius:8px",
    "or": f"padding:8px 32px 0 32px;{_MUTED}",
    "code": "padding:8px 32px;font-size:30px;letter-spacing:4px;font-weight:700;"
    "font-family:Consolas,'Courier New',monospace",
    "note": f"padding:0 32px 20px 32px;{_MUTED}",
    "signature": "padding:16px 32px;border-top:1px solid #dde3ec;font-size:14px;line-height:1.6",
    "footer": "max-width:560px;font-size:12px;line-height:1.5;color:#6b7585;padding:12px 16px",
    "facts": "padding:8px 32px 8px 32px;font-size:15px;line-height:1.6",
    "fact_name": "padding:4px 16px 4px 0;font-weight:600;color:#4a5568;white-space:nowrap",
    "fact_value": "padding:4px 0",
}
STYLE = _STYLE  # the same look for every mail of the relay (reservations' mails use it)


def agent_label(agent: dict[str, Any], lang: str = "en") -> str:
    """The agent as a mail's sentence names them: ``Alice Kim (Acme)``; in Korean the company
    goes first, as a reader says it (``Acme의 Alice Kim`` 상담원이 ...)."""
    name = header_text(str(agent.get("name") or agent.get("username") or ""))
    company = header_text(str(agent.get("company") or ""))
    if not company:
        return name
    return f"{company}의 {name}" if lang == "ko" else f"{name} ({company})"


def invitation(
    lang: str, agent: dict[str, Any], join_url: str, relay_url: str, code: str = ""
) -> MailContent:
    """The invitation to a waiting session (A3), in ``lang``.

    Args:
        agent: the agent's public profile (name, title, company, phone, email).
        join_url: the recipient's personal link (``<relay>/?invite=<secret>``), or the
            customer page with the code.
        code: the access code, formatted as the agent reads it out (``482 913 706``); empty
            when ``join_url`` is a personal link, which needs no code.
    """
    words = _INVITATION[lang]
    name = header_text(str(agent.get("name") or agent.get("username") or ""))
    who = agent_label(agent, lang)
    title = header_text(str(agent.get("title") or ""))
    subject = words["subject"].format(name=name)
    contact = " · ".join(
        header_text(str(agent.get(key) or "")) for key in ("phone", "email") if agent.get(key)
    )
    signature = [agent_label(agent)] + ([title] if title else []) + ([contact] if contact else [])
    by_code = [words["or"].format(relay_url=relay_url), f"    {code}", ""] if code else []
    note = words["code_note" if code else "link_note"].format(name=name)
    text = "\n".join(
        [
            words["intro"].format(who=who),
            "",
            f"{words['button']}: {join_url}",
            "",
            *by_code,
            note,
            "",
            "-- ",
            *signature,
            "",
            words["footer"].format(who=who),
            "",
        ]
    )
    e = html.escape
    rows = [
        ("intro", e(words["intro"].format(who=who))),
        ("button", f'<a href="{e(join_url, quote=True)}" style="{_STYLE["link"]}">'
                   f'{e(words["button"])}</a>'),
        *([("or", e(words["or"].format(relay_url=relay_url))), ("code", e(code))] if code
          else []),
        ("note", e(note)),
        ("signature", "<br>".join(e(line) for line in signature)),
    ]  # fmt: skip
    cells = "\n".join(f'<tr><td style="{_STYLE[key]}">{value}</td></tr>' for key, value in rows)
    page = "\n".join(
        [
            "<!doctype html>",
            f'<html lang="{lang}"><head><meta charset="utf-8"><title>{e(subject)}</title></head>',
            f'<body style="{_STYLE["body"]}">',
            f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
            f'style="{_STYLE["outer"]}"><tr><td align="center">',
            f'<table role="presentation" width="560" cellpadding="0" cellspacing="0" '
            f'style="{_STYLE["card"]}">',
            cells,
            "</table>",
            f'<p style="{_STYLE["footer"]}">{e(words["footer"].format(who=who))}</p>',
            "</td></tr></table>",
            "</body></html>",
            "",
        ]
    )
    return MailContent(subject=subject, text=text, html=page)


def _content_params(params: str) -> dict[str, str]:
    """``"; method=REQUEST"`` -> ``{"method": "REQUEST"}``."""
    found: dict[str, str] = {}
    for item in params.split(";"):
        key, sep, value = item.partition("=")
        if sep:
            found[key.strip()] = value.strip()
    return found


def build_message(
    content: MailContent,
    to: str,
    sender_address: str,
    sender_name: str,
    message_id: str,
    sent_at: float,
    reply_to: str = "",
) -> EmailMessage:
    """The MIME message: ``multipart/alternative`` (text, HTML), in ``multipart/mixed`` when
    there are attachments.

    Raises:
        ValueError: a header value the default policy refuses (a line break that
            :func:`header_text` did not remove: a bug, never sent).
    """
    message = EmailMessage()
    message["From"] = Address(display_name=header_text(sender_name), addr_spec=sender_address)
    if to:
        message["To"] = Address(addr_spec=to)
    if reply_to:
        message["Reply-To"] = Address(addr_spec=reply_to)
    message["Subject"] = header_text(content.subject)
    if message_id:
        message["Date"] = format_datetime(datetime.fromtimestamp(sent_at, UTC))
        message["Message-ID"] = message_id
    message["MIME-Version"] = "1.0"
    message.set_content(content.text, cte="quoted-printable")
    message.add_alternative(content.html, subtype="html", cte="quoted-printable")
    for attachment in content.attachments:
        maintype, _, rest = attachment.content_type.partition("/")
        subtype, _, params = rest.partition(";")
        message.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype.strip(),
            filename=header_text(attachment.filename),
            params=_content_params(params),
        )
    return message


@dataclass(frozen=True, slots=True)
class RenderedMail:
    """A message serialised once for many recipients: every header but To, Date and
    Message-ID, and the body. Building and encoding a MIME message costs milliseconds of CPU
    (6 ms here for an invitation); one rendering serves every recipient of the same content
    and language, and :meth:`for_recipient` only prepends three ASCII lines."""

    head: bytes  # header lines, each ending in CRLF
    body: bytes  # after the blank line

    def for_recipient(self, to: str, message_id: str, sent_at: float) -> bytes:
        """The whole message for ``to`` (CRLF line ends, ready for the DATA phase).

        Raises:
            ValueError: ``to`` or ``message_id`` is not a plain ASCII value (never from
                checked input; refuses rather than adds a header).
        """
        for value in (to, message_id):
            if not value.isascii() or _CONTROL_RE.search(value) or " " in value:
                raise ValueError(f"not a header value: {value!r}")
        date = format_datetime(datetime.fromtimestamp(sent_at, UTC))
        lines = f"To: {to}\r\nDate: {date}\r\nMessage-ID: {message_id}\r\n".encode("ascii")
        return lines + self.head + b"\r\n" + self.body


# A personal value (a link's secret) stands in the content as this many "X" while the message
# is serialised once for many recipients, then is written over them per recipient.
STAND_IN_CHAR = "X"
_SOFT_BREAK = b"=\r\n"  # quoted-printable's soft line break, which may fall inside it


def stand_in(length: int) -> str:
    return STAND_IN_CHAR * length


def with_value(content: MailContent, length: int, value: str) -> MailContent:
    """``content`` with its stand-in replaced by ``value`` (the slow path, and the test's)."""
    token = stand_in(length)
    return MailContent(
        content.subject,
        content.text.replace(token, value),
        content.html.replace(token, value),
        content.attachments,
    )


def substitute(message: bytes, content: MailContent, value: str) -> bytes | None:
    """``message`` (serialised from ``content`` with ``stand_in(len(value))`` in it) with
    ``value`` written over each stand-in; None when that cannot be done safely, and the caller
    serialises the content with the value instead.

    Safe when ``value`` is characters quoted-printable leaves as they are (``A-Za-z0-9_-``):
    then the encoded message of the value differs from the stand-in's only at those
    characters, soft line breaks (``=\r\n``) included at the same places. The stand-ins
    found must be exactly as many as the content holds (a name that happens to hold one too
    makes the count differ: None).
    """
    if not value or not re.fullmatch(r"[A-Za-z0-9_-]+", value):
        return None
    token = stand_in(len(value))
    expected = content.text.count(token) + content.html.count(token)
    char = re.escape(STAND_IN_CHAR.encode())
    pattern = re.compile(
        char + b"".join(b"(?:" + re.escape(_SOFT_BREAK) + b")?" + char for _ in value[1:])
    )
    found = list(pattern.finditer(message))
    if not found or len(found) != expected:
        return None
    encoded = value.encode("ascii")
    parts = []
    last = 0
    for match in found:
        parts.append(message[last : match.start()])
        chunk = match.group(0)
        out = bytearray()
        index = 0
        position = 0
        while position < len(chunk):
            if chunk.startswith(_SOFT_BREAK, position):
                out += _SOFT_BREAK
                position += len(_SOFT_BREAK)
            else:
                out.append(encoded[index])
                index += 1
                position += 1
        parts.append(bytes(out))
        last = match.end()
    parts.append(message[last:])
    return b"".join(parts)


def render(
    content: MailContent, sender_address: str, sender_name: str, reply_to: str = ""
) -> RenderedMail:
    """Serialise ``content`` once (see :class:`RenderedMail`)."""
    message = build_message(content, "", sender_address, sender_name, "", 0.0, reply_to)
    del message["To"], message["Date"], message["Message-ID"]
    raw = message.as_bytes(policy=policy.SMTP)
    head, _, body = raw.partition(b"\r\n\r\n")
    return RenderedMail(head + b"\r\n", body)
