"""Who is connected to which support session, and fan-out to them (pure).

A member is anything with ``send(frame)`` and ``close(code, reason)``; the websocket adapter
provides the real ones, tests provide lists. A room seats one chat socket per participant: the
agent, and each customer (several per session) under its participant id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from suite.protocol import Channel, Role


class Member(Protocol):
    role: Role
    channel: Channel
    name: str
    session_id: str
    customer_id: str  # the public id of the customer token it said hello with; "" for agents

    def send(self, frame: str | bytes) -> None: ...

    def offer(self, frame: str | bytes) -> bool:
        """Send a droppable frame if there is room now; False when it was dropped."""
        ...

    def close(self, code: int, reason: str) -> None: ...


AGENT_SEAT = "agent"  # the agent's participant id (relay_server.sessions.supports)


def participant_id(member: Member) -> str:
    """The participant id of a socket: ``"agent"``, or the customer id of its token."""
    return AGENT_SEAT if member.role is Role.AGENT else member.customer_id


@dataclass(slots=True)
class Room:
    session_id: str
    members: dict[str, Member] = field(default_factory=dict)  # by participant id

    def add(self, member: Member) -> Member | None:
        """Seat ``member``; returns the member it replaced in the same seat, if any."""
        seat = participant_id(member)
        previous = self.members.get(seat)
        self.members[seat] = member
        return previous if previous is not member else None

    def discard(self, member: Member) -> bool:
        """Remove ``member`` if it still holds its seat; True when it did."""
        seat = participant_id(member)
        if self.members.get(seat) is member:
            del self.members[seat]
            return True
        return False

    def broadcast(self, frame: str, exclude: Member | None = None) -> None:
        for member in list(self.members.values()):
            if member is not exclude:
                member.send(frame)

    def get(self, role: Role) -> Member | None:
        """The agent's chat socket (``Role.AGENT``), or the first customer's."""
        if role is Role.AGENT:
            return self.members.get(AGENT_SEAT)
        return next(iter(self.customers()), None)

    def seat(self, participant: str) -> Member | None:
        """The chat socket of one participant (``"agent"`` or a customer id)."""
        return self.members.get(participant)

    def customers(self) -> list[Member]:
        """Every customer's chat socket."""
        return [m for seat, m in self.members.items() if seat != AGENT_SEAT]

    def online(self) -> set[str]:
        """The participant ids with a chat socket now."""
        return set(self.members)

    def __len__(self) -> int:
        return len(self.members)


class Rooms:
    """The rooms by session id, and which agents have a chat socket seated.

    The relay's tick asks for those agents every second (their open socket counts as
    activity); walking every member for that was O(sockets) in one slice of the event loop
    (8-15 ms of CPU a second at 6,000 sockets, 3x that at 20,000). :meth:`seat`,
    :meth:`leave` and :meth:`close_room` keep the answer up to date instead: O(1) per change,
    O(agents) per question.
    """

    def __init__(self, agent_of: Callable[[str], str | None] = lambda _session_id: None):
        """``agent_of``: a session id's agent username (None when unknown)."""
        self._rooms: dict[str, Room] = {}
        self._agent_of = agent_of
        self._agent_seated: dict[str, str] = {}  # session id -> agent username, while seated
        self._agents: Counter[str] = Counter()  # agent username -> sessions seating it

    def seat(self, member: Member) -> Member | None:
        """Seat ``member`` in its session's room; returns the member it replaced, if any."""
        replaced = self.room(member.session_id).add(member)
        if member.role is Role.AGENT and member.session_id not in self._agent_seated:
            username = self._agent_of(member.session_id)
            if username is not None:
                self._agent_seated[member.session_id] = username
                self._agents[username] += 1
        return replaced

    def agents_seated(self) -> set[str]:
        """The usernames of the agents with a chat socket seated now."""
        return set(self._agents)

    def _agent_left(self, session_id: str) -> None:
        username = self._agent_seated.pop(session_id, None)
        if username is not None:
            self._agents[username] -= 1
            if not self._agents[username]:
                del self._agents[username]

    def room(self, session_id: str) -> Room:
        room = self._rooms.get(session_id)
        if room is None:
            room = self._rooms[session_id] = Room(session_id)
        return room

    def find(self, session_id: str) -> Room | None:
        return self._rooms.get(session_id)

    def leave(self, member: Member) -> bool:
        room = self._rooms.get(member.session_id)
        if room is None:
            return False
        left = room.discard(member)
        if left and member.role is Role.AGENT:
            self._agent_left(member.session_id)
        if not room.members:
            del self._rooms[member.session_id]
        return left

    def close_room(self, session_id: str, code: int, reason: str) -> None:
        room = self._rooms.pop(session_id, None)
        self._agent_left(session_id)
        if room is not None:
            for member in list(room.members.values()):
                member.close(code, reason)

    def members(self) -> list[Member]:
        return [m for room in self._rooms.values() for m in room.members.values()]

    def connection_count(self) -> int:
        return sum(len(room) for room in self._rooms.values())
