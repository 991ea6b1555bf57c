"""Messages a client sends on the chat channel.

Hello, chat, typing, read marks, ending or renewing the session, the presentation request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from suite.protocol.base import (
    MAX_CHAT_CHARS,
    MAX_CLIENT_ID_CHARS,
    MAX_TOKEN_CHARS,
    Channel,
    ErrorCode,
    MessageType,
    ProtocolError,
    Role,
    WireMessage,
    _field,
    wire,
)
from suite.protocol.control import MAX_CUSTOMER_ID_CHARS


@dataclass(frozen=True, slots=True)
class Hello(WireMessage):
    type: ClassVar[MessageType] = MessageType.HELLO
    protocol_version: int = wire(int)
    role: Role = wire(str, choices=tuple(Role))
    session_id: str = wire(str)
    token: str = wire(str)
    last_seen_id: int = wire(int, optional=True)
    channel: Channel = wire(str, optional=True, choices=tuple(Channel), default=Channel.CHAT)

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Hello:
        t = str(cls.type)
        role = _field(body, "role", str, t)
        if role not in (Role.AGENT, Role.CUSTOMER):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "'role' must be 'agent' or 'customer'", t)
        channel = _field(body, "channel", str, t, required=False) or Channel.CHAT
        if channel not in (Channel.CHAT, Channel.SCREEN):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "'channel' must be 'chat' or 'screen'", t)
        session_id, token = _field(body, "session_id", str, t), _field(body, "token", str, t)
        if len(session_id) > MAX_TOKEN_CHARS or len(token) > MAX_TOKEN_CHARS:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                f"'session_id' and 'token' are {MAX_TOKEN_CHARS} chars at most",
                t,
            )
        return cls(
            channel=Channel(channel),
            protocol_version=_field(body, "protocol_version", int, t),
            role=Role(role),
            session_id=session_id,
            token=token,
            last_seen_id=_field(body, "last_seen_id", int, t, required=False) or 0,
        )


@dataclass(frozen=True, slots=True)
class SendChat(WireMessage):
    type: ClassVar[MessageType] = MessageType.SEND_CHAT
    client_id: str = wire(str, low=1, high=MAX_CLIENT_ID_CHARS)
    text: str = wire(str, low=1, high=MAX_CHAT_CHARS)

    @classmethod
    def parse(cls, body: dict[str, Any]) -> SendChat:
        t = str(cls.type)
        client_id = _field(body, "client_id", str, t)
        text = _field(body, "text", str, t)
        if not 1 <= len(client_id) <= MAX_CLIENT_ID_CHARS:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE, f"'client_id' must be 1-{MAX_CLIENT_ID_CHARS} chars", t
            )
        if not text.strip():
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "'text' must not be empty", t)
        if len(text) > MAX_CHAT_CHARS:
            raise ProtocolError(
                ErrorCode.TEXT_TOO_LONG, f"chat text is limited to {MAX_CHAT_CHARS} characters", t
            )
        return cls(client_id=client_id, text=text)


@dataclass(frozen=True, slots=True)
class Typing(WireMessage):
    type: ClassVar[MessageType] = MessageType.TYPING
    active: bool = wire(bool)


@dataclass(frozen=True, slots=True)
class MarkRead(WireMessage):
    type: ClassVar[MessageType] = MessageType.MARK_READ
    up_to_id: int = wire(int)


@dataclass(frozen=True, slots=True)
class EndSession(WireMessage):
    type: ClassVar[MessageType] = MessageType.END_SESSION


@dataclass(frozen=True, slots=True)
class RemoveCustomer(WireMessage):
    """The agent removes one customer (``customer_id``; None: the only one seated)."""

    type: ClassVar[MessageType] = MessageType.REMOVE_CUSTOMER
    customer_id: str | None = wire(
        str, optional=True, low=1, high=MAX_CUSTOMER_ID_CHARS, default=None
    )


@dataclass(frozen=True, slots=True)
class RenewCode(WireMessage):
    type: ClassVar[MessageType] = MessageType.RENEW_CODE


@dataclass(frozen=True, slots=True)
class RequestPresentation(WireMessage):
    type: ClassVar[MessageType] = MessageType.REQUEST_PRESENTATION


@dataclass(frozen=True, slots=True)
class AnswerPresentation(WireMessage):
    type: ClassVar[MessageType] = MessageType.ANSWER_PRESENTATION
    accept: bool = wire(bool)
