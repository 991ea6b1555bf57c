"""Messages the agent sends to answer knocks (customers asking to join a waiting session).

The relay tells the agent who knocks with ``knocks_changed``
(:class:`suite.protocol.relay_messages.KnocksChanged`); the customer's side of a knock is HTTP
(``POST /api/join`` answered ``202``, then ``GET /api/knocks/<secret>``), see docs/protocol.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from suite.protocol.base import MessageType, WireMessage, wire

MAX_KNOCK_ID_CHARS = 64


@dataclass(frozen=True, slots=True)
class AdmitKnock(WireMessage):
    type: ClassVar[MessageType] = MessageType.ADMIT_KNOCK
    knock_id: str = wire(str, low=1, high=MAX_KNOCK_ID_CHARS)


@dataclass(frozen=True, slots=True)
class RefuseKnock(WireMessage):
    type: ClassVar[MessageType] = MessageType.REFUSE_KNOCK
    knock_id: str = wire(str, low=1, high=MAX_KNOCK_ID_CHARS)


@dataclass(frozen=True, slots=True)
class RefuseAllKnocks(WireMessage):
    type: ClassVar[MessageType] = MessageType.REFUSE_ALL_KNOCKS
