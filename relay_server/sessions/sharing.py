"""The chat handlers of favourites in the chat (CH7) and remote print (pure, like ChatSockets).

``send_link`` stores a favourite link as a chat entry with ``link {title, url}`` (its ``text``
is the URL, so a reader that knows no cards still gets a link). ``request_print`` asks the
session's customers to print a file the agent sent (a PDF or an image, complete at the relay);
each customer's ``answer_print`` goes to everyone, so the agent sees Accept or Decline. The
relay only passes the question on: the customer's page prints, and only after that click.
The handlers are entries of ``chat_sockets.CHAT_HANDLERS``, called as methods of the Relay.
"""

from __future__ import annotations

from typing import Any

from relay_server.files.transfers import TransferState
from relay_server.sessions.rooms import Member, participant_id
from relay_server.sessions.supports import SupportSession
from suite.protocol import (
    AnswerPrint,
    ChatMessage,
    ErrorCode,
    PrintAnswered,
    PrintRequested,
    ProtocolError,
    RequestPrint,
    Role,
    SendLink,
)
from suite.protocol.sharing import printable_type


def _require_agent(member: Member, message: Any) -> None:
    if member.role is not Role.AGENT:
        raise ProtocolError(
            ErrorCode.NOT_ALLOWED, f"only the agent may send {message.type}", str(message.type)
        )


def handle_send_link(
    relay: Any, member: Member, session: SupportSession, message: SendLink, now: float
) -> None:
    """``send_link`` (protocol.md, *Favourites and print*): agent only; stored, then echoed."""
    _require_agent(member, message)
    chat = relay._chat(session.id)
    pid = participant_id(member)
    stored = chat.find(pid, message.client_id)
    if stored is None:
        link = {"title": message.title.strip(), "url": message.url}
        stored = chat.append(
            str(member.role), member.name, message.client_id, message.url, now, pid, link=link
        )
    relay.wait_durable()  # a resend is answered once the original is durable too
    relay._to_chat_line(session.id, ChatMessage(**stored).to_frame())


def handle_request_print(
    relay: Any, member: Member, session: SupportSession, message: RequestPrint, now: float
) -> None:
    """``request_print``: agent only, for a complete PDF or image the agent sent."""
    _require_agent(member, message)
    t = str(message.type)
    transfer = relay.files.get(message.transfer_id)
    if transfer is None or transfer.session_id != session.id or transfer.sender != "agent":
        raise ProtocolError(ErrorCode.NOT_ALLOWED, "no such file of yours in this session", t)
    if transfer.state not in (TransferState.READY, TransferState.RECEIVED):
        raise ProtocolError(ErrorCode.NOT_ALLOWED, "the file has not fully arrived yet", t)
    mime = printable_type(transfer.name)
    if mime is None:
        raise ProtocolError(
            ErrorCode.NOT_ALLOWED, "only a PDF or an image (PNG, JPEG, GIF, WebP) prints", t
        )
    if not relay.rooms.room(session.id).customers() and not relay.screens.viewers_of(session.id):
        raise ProtocolError(ErrorCode.NOT_ALLOWED, "no customer is connected", t)
    asks = relay.print_asks
    for stale in [k for k in asks if relay.files.get(k) is None]:  # their session ended
        del asks[stale]
    asks[transfer.id] = set()  # the customers who answered so far
    requested = PrintRequested(transfer.id, transfer.name, transfer.size, mime, member.name)
    relay._to_chat(session.id, requested.to_frame())


def open_print_requests(relay: Any, session: SupportSession, member: Member) -> list[str]:
    """The ``print_requested`` frames a (re)connecting socket gets: the session's requests still
    open, except those this customer answered already, so a reloaded page asks again."""
    frames = []
    who = participant_id(member)
    agent_name = session.agent.get("name") or session.agent_username
    for transfer_id, answered in relay.print_asks.items():
        transfer = relay.files.get(transfer_id)
        if transfer is None or transfer.session_id != session.id:
            continue
        if member.role is Role.CUSTOMER and who in answered:
            continue
        mime = printable_type(transfer.name) or ""
        asked = PrintRequested(transfer.id, transfer.name, transfer.size, mime, agent_name)
        frames.append(asked.to_frame())
    return frames


def handle_answer_print(
    relay: Any, member: Member, session: SupportSession, message: AnswerPrint, now: float
) -> None:
    """``answer_print``: a customer's Accept or Decline, once per request, to everyone."""
    t = str(message.type)
    if member.role is not Role.CUSTOMER:
        raise ProtocolError(ErrorCode.NOT_ALLOWED, "only a customer answers", t)
    answered = relay.print_asks.get(message.transfer_id)
    transfer = relay.files.get(message.transfer_id)
    if answered is None or transfer is None or transfer.session_id != session.id:
        raise ProtocolError(ErrorCode.NOT_ALLOWED, "no print request of this file is open", t)
    who = participant_id(member)
    if who in answered:
        raise ProtocolError(ErrorCode.NOT_ALLOWED, "you answered this print request", t)
    answered.add(who)
    if all(c.id in answered for c in session.customers):
        del relay.print_asks[message.transfer_id]
    reply = PrintAnswered(message.transfer_id, message.accept, who, member.name)
    relay._to_chat(session.id, reply.to_frame())
