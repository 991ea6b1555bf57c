"""Messages a client sends to share the agent's favourites in the chat (CH7) and to ask the
customer to print a document (remote print).

``send_link`` puts a favourite link in the conversation as a card (title and host); the relay
checks the URL as the chat's linkify does. ``request_print`` asks the customers to print a
file the agent sent in the session (a PDF or an image); ``answer_print`` is a customer's
Accept or Decline: nothing prints without that click.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Any, ClassVar

from suite.protocol.base import (
    MAX_CLIENT_ID_CHARS,
    ErrorCode,
    MessageType,
    ProtocolError,
    WireMessage,
    parse_fields,
    wire,
)

MAX_LINK_TITLE_CHARS = 120
MAX_LINK_URL_CHARS = 2048  # ui/common/chat/linkify.js MAX_URL_CHARS
MAX_TRANSFER_ID_CHARS = 64
# What a customer's browser prints (remote print): PDF and the images every browser shows.
PRINTABLE_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
_URL_STOP = re.compile(r"[\s<>\"'`\x00-\x1f\x7f\u00a0\u3000]")


def link_problem(url: str) -> str | None:
    """Why ``url`` may not be a link card (None: it may): the rules of linkify.js's safeHref."""
    if not re.match(r"^https?://", url, re.IGNORECASE) or _URL_STOP.search(url):
        return "'url' must start with http:// or https:// and have no spaces"
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "'url' is not a valid address"
    if not host:
        return "'url' has no host name"
    if parts.username is not None or parts.password is not None:
        return "'url' must not hold a user name"
    return None


def printable_type(name: str) -> str | None:
    """The MIME type a browser prints a file of this name as, or None (not printable)."""
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    return PRINTABLE_TYPES.get(extension)


@dataclass(frozen=True, slots=True)
class SendLink(WireMessage):
    type: ClassVar[MessageType] = MessageType.SEND_LINK
    client_id: str = wire(str, low=1, high=MAX_CLIENT_ID_CHARS)
    title: str = wire(str, low=1, high=MAX_LINK_TITLE_CHARS)
    url: str = wire(str, low=1, high=MAX_LINK_URL_CHARS)

    @classmethod
    def parse(cls, body: dict[str, Any]) -> SendLink:
        message = cls(**parse_fields(cls, body))
        t = str(cls.type)
        if not message.title.strip() or any(ord(c) < 32 for c in message.title):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "'title' must be one line of text", t)
        problem = link_problem(message.url)
        if problem:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, problem, t)
        return message


@dataclass(frozen=True, slots=True)
class RequestPrint(WireMessage):
    type: ClassVar[MessageType] = MessageType.REQUEST_PRINT
    transfer_id: str = wire(str, low=1, high=MAX_TRANSFER_ID_CHARS)


@dataclass(frozen=True, slots=True)
class AnswerPrint(WireMessage):
    type: ClassVar[MessageType] = MessageType.ANSWER_PRINT
    transfer_id: str = wire(str, low=1, high=MAX_TRANSFER_ID_CHARS)
    accept: bool = wire(bool)
