"""Which agents have a chat socket seated: kept up to date by the rooms, not walked per tick."""

from __future__ import annotations

from dataclasses import dataclass, field

from relay_server.sessions.rooms import Rooms
from suite.protocol import Channel, Role


@dataclass(eq=False)
class FakeSocket:
    role: Role
    session_id: str
    customer_id: str = ""
    name: str = ""
    channel: Channel = Channel.CHAT
    closed: list[tuple[int, str]] = field(default_factory=list)

    def send(self, frame: str | bytes) -> None:
        pass

    def offer(self, frame: str | bytes) -> bool:
        return True

    def close(self, code: int, reason: str) -> None:
        self.closed.append((code, reason))


AGENTS = {"s1": "kim", "s2": "kim", "s3": "lee"}


def test_an_agent_counts_while_one_of_its_sessions_seats_it():
    rooms = Rooms(agent_of=AGENTS.get)
    kim1, kim2 = FakeSocket(Role.AGENT, "s1"), FakeSocket(Role.AGENT, "s2")
    rooms.seat(kim1)
    rooms.seat(kim2)
    rooms.seat(FakeSocket(Role.CUSTOMER, "s3", customer_id="c1"))  # customers are no agents
    assert rooms.agents_seated() == {"kim"}
    assert rooms.leave(kim1)
    assert rooms.agents_seated() == {"kim"}  # still seated in s2
    assert rooms.leave(kim2)
    assert rooms.agents_seated() == set()


def test_a_replaced_socket_leaving_keeps_the_agent_seated():
    rooms = Rooms(agent_of=AGENTS.get)
    old, new = FakeSocket(Role.AGENT, "s3"), FakeSocket(Role.AGENT, "s3")
    rooms.seat(old)
    assert rooms.seat(new) is old
    assert not rooms.leave(old)  # it no longer held the seat
    assert rooms.agents_seated() == {"lee"}
    assert rooms.leave(new)
    assert rooms.agents_seated() == set()


def test_a_closed_room_unseats_its_agent_and_unknown_sessions_count_for_no_one():
    rooms = Rooms(agent_of=AGENTS.get)
    rooms.seat(FakeSocket(Role.AGENT, "s1"))
    rooms.seat(FakeSocket(Role.AGENT, "gone"))  # the directory knows no such session
    assert rooms.agents_seated() == {"kim"}
    rooms.close_room("s1", 4000, "session ended")
    assert rooms.agents_seated() == set()
    assert len(rooms.members()) == 1


def test_the_answer_matches_a_walk_over_every_member():
    rooms = Rooms(agent_of=lambda sid: f"agent{int(sid[1:]) % 7}")
    sockets = [FakeSocket(Role.AGENT, f"s{n}") for n in range(50)]
    for socket in sockets:
        rooms.seat(socket)
    for socket in sockets[::3]:
        rooms.leave(socket)
    for n in range(0, 50, 5):
        rooms.close_room(f"s{n}", 4000, "ended")
    walked = {f"agent{int(m.session_id[1:]) % 7}" for m in rooms.members() if m.role is Role.AGENT}
    assert rooms.agents_seated() == walked
