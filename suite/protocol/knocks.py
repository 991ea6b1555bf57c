"""Messages the agent sends to answer knocks (customers asking to join a waiting session).

The relay tells the agent who knocks with ``knocks_changed`` (built with ``encode``); the
customer's side of a knock is HTTP (``POST /api/join`` answered ``202``, then
``GET /api/knocks/<secret>``), see docs/protocol.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from suite.protocol.base import ErrorCode, MessageType, ProtocolError, _field, _NoFields

MAX_KNOCK_ID_CHARS = 64


def _knock_id(body: dict[str, Any], message_type: str) -> str:
    knock_id = _field(body, "knock_id", str, message_type)
    if not 1 <= len(knock_id) <= MAX_KNOCK_ID_CHARS:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE,
            f"'knock_id' must be 1-{MAX_KNOCK_ID_CHARS} chars",
            message_type,
        )
    return knock_id


@dataclass(frozen=True, slots=True)
class AdmitKnock:
    type: ClassVar[MessageType] = MessageType.ADMIT_KNOCK
    knock_id: str

    @classmethod
    def parse(cls, body: dict[str, Any]) -> AdmitKnock:
        return cls(knock_id=_knock_id(body, str(cls.type)))


@dataclass(frozen=True, slots=True)
class RefuseKnock:
    type: ClassVar[MessageType] = MessageType.REFUSE_KNOCK
    knock_id: str

    @classmethod
    def parse(cls, body: dict[str, Any]) -> RefuseKnock:
        return cls(knock_id=_knock_id(body, str(cls.type)))


@dataclass(frozen=True, slots=True)
class RefuseAllKnocks(_NoFields):
    type: ClassVar[MessageType] = MessageType.REFUSE_ALL_KNOCKS
