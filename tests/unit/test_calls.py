"""The call core (relay_server/calls/calls.py) and TURN credentials (calls/ice_servers.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from relay_server.calls.calls import REJOIN_GRACE_S, RING_TIMEOUT_S, SIGNAL_BURST, Calls
from relay_server.calls.ice_servers import IceConfig, turn_credentials
from suite.protocol import (
    AnswerCall,
    Channel,
    ErrorCode,
    HangUp,
    IceCandidate,
    ProtocolError,
    RejoinCall,
    Role,
    SdpOffer,
    SetCallMedia,
    StartCall,
    decode_client_message,
)

SESSION = "s" * 22
CUSTOMER = "c0ffee000001"
TURN = IceConfig(turn_urls=("turn:127.0.0.1:3478",), turn_secret="sesame", turn_ttl_s=600)


class Socket:
    """A member that records the frames sent to it."""

    def __init__(self, role: Role, customer_id: str = "", session_id: str = SESSION) -> None:
        self.role = role
        self.channel = Channel.CHAT
        self.name = str(role)
        self.customer_id = customer_id
        self.session_id = session_id
        self.frames: list[dict] = []

    def send(self, frame: str | bytes) -> None:
        self.frames.append(json.loads(frame))

    def of_type(self, message_type: str) -> list[dict]:
        return [f for f in self.frames if f["type"] == message_type]

    def state(self) -> dict:
        return self.of_type("call_state")[-1]


@pytest.fixture
def parts():
    agent = Socket(Role.AGENT)
    customer = Socket(Role.CUSTOMER, CUSTOMER)
    viewer = Socket(Role.CUSTOMER, CUSTOMER)  # the same customer's viewer page
    sockets = {SESSION: [agent, customer, viewer]}
    calls = Calls(lambda session_id: sockets.get(session_id, []), TURN)
    return calls, agent, customer, viewer, sockets


def _handle(calls: Calls, socket: Socket, message, now: float = 100.0) -> None:
    calls.handle(socket, [(CUSTOMER, "Kim")], "Agent Lee", message, now)


def _start(calls, agent, customer) -> str:
    _handle(calls, agent, StartCall("video"))
    call_id = customer.state()["call_id"]
    _handle(calls, customer, AnswerCall(call_id, True))
    return call_id


def test_a_call_rings_then_is_active_and_each_copy_names_its_receiver(parts):
    """start_call rings every socket; the page that accepts holds the call (here), the
    customer's other page is told the call is elsewhere; each copy says who receives it."""
    calls, agent, customer, viewer, _ = parts
    _handle(calls, agent, StartCall("video"))
    ringing = customer.state()
    assert ringing["state"] == "ringing" and ringing["you"] == CUSTOMER
    assert agent.state()["you"] == "agent" and agent.state()["here"] is True
    assert {p["id"]: p["state"] for p in ringing["participants"]} == {
        "agent": "joined",
        CUSTOMER: "invited",
    }
    _handle(calls, customer, AnswerCall(ringing["call_id"], True))
    assert customer.state()["state"] == "active" and customer.state()["here"] is True
    assert viewer.state()["here"] is False  # the viewer shows "the call is in the chat"


def test_signals_reach_only_the_named_peer_with_the_sender_set_by_the_relay(parts):
    """An offer goes to the peer's call socket only, with ``sender`` taken from the socket."""
    calls, agent, customer, viewer, _ = parts
    call_id = _start(calls, agent, customer)
    _handle(calls, agent, SdpOffer(call_id, CUSTOMER, "v=0 offer"))
    assert customer.of_type("sdp_offer") == [
        {"type": "sdp_offer", "call_id": call_id, "to": CUSTOMER, "sdp": "v=0 offer",
         "sender": "agent"}
    ]  # fmt: skip
    assert viewer.of_type("sdp_offer") == [] and agent.of_type("sdp_offer") == []
    _handle(
        calls, customer, IceCandidate(call_id, "agent", "candidate:1 1 udp 1 1.2.3.4 9 typ host")
    )
    assert agent.of_type("ice_candidate")[0]["sender"] == CUSTOMER


@pytest.mark.parametrize(
    "who, message, why",
    [
        ("viewer", lambda c: SdpOffer(c, "agent", "x"), "this page is not in the call"),
        ("customer", lambda c: SdpOffer(c, CUSTOMER, "x"), "that participant is not in this call"),
        ("customer", lambda c: SdpOffer(c, "nobody", "x"), "that participant is not in this call"),
        ("customer", lambda c: SdpOffer("old-call", "agent", "x"), "no such call"),
        ("customer", lambda c: StartCall("audio"), "only the agent starts a call"),
        ("agent", lambda c: StartCall("audio"), "a call is already on"),
        ("viewer", lambda c: SetCallMedia(c, True, False), "this page is not in the call"),
    ],
)
def test_signalling_that_is_not_allowed_is_refused(parts, who, message, why):
    """Frames from a page not in the call, to a peer not in it, or of another call are refused."""
    calls, agent, customer, viewer, _ = parts
    call_id = _start(calls, agent, customer)
    sender = {"agent": agent, "customer": customer, "viewer": viewer}[who]
    with pytest.raises(ProtocolError) as refused:
        _handle(calls, sender, message(call_id))
    assert refused.value.code is ErrorCode.NOT_ALLOWED and refused.value.message == why


def test_a_socket_of_another_session_reaches_nobody(parts):
    """A stranger in another session naming this session's call and participants is refused."""
    calls, agent, customer, _, sockets = parts
    call_id = _start(calls, agent, customer)
    stranger = Socket(Role.AGENT, session_id="t" * 22)
    sockets[stranger.session_id] = [stranger]
    with pytest.raises(ProtocolError, match="no such call"):
        _handle(calls, stranger, SdpOffer(call_id, CUSTOMER, "v=0 evil"))
    assert customer.of_type("sdp_offer") == []


def test_declining_ends_the_call_and_hanging_up_ends_it_for_both(parts):
    """A decline ends a one-customer call (declined); the agent hanging up ends it (hung_up)."""
    calls, agent, customer, _, _ = parts
    _handle(calls, agent, StartCall("audio"))
    _handle(calls, customer, AnswerCall(customer.state()["call_id"], False))
    assert agent.state()["state"] == "ended" and agent.state()["reason"] == "declined"
    call_id = _start(calls, agent, customer)
    _handle(calls, agent, HangUp(call_id))
    assert customer.state() == {**customer.state(), "state": "ended", "reason": "hung_up"}
    assert customer.state()["ice_servers"] == [] and calls.call_of(SESSION) is None


def test_the_call_socket_closing_leaves_the_call_and_no_answer_ends_it(parts):
    """The customer's call page closing makes them away; not back within the grace, they have
    left and the two-party call ends; unanswered calls time out."""
    calls, agent, customer, _, _ = parts
    _start(calls, agent, customer)
    calls.left(customer, 101.0)
    assert agent.state()["state"] == "active"
    assert _states(agent)[CUSTOMER] == "away"
    calls.expire(101.0 + REJOIN_GRACE_S - 1)
    assert agent.state()["state"] == "active"
    calls.expire(101.0 + REJOIN_GRACE_S)
    assert agent.state()["state"] == "ended" and agent.state()["reason"] == "hung_up"
    _handle(calls, agent, StartCall("audio"), now=200.0)
    calls.expire(200.0 + RING_TIMEOUT_S - 1)
    assert agent.state()["state"] == "ringing"
    calls.expire(200.0 + RING_TIMEOUT_S)
    assert agent.state()["reason"] == "no_answer"


def _states(socket: Socket) -> dict[str, str]:
    return {p["id"]: p["state"] for p in socket.state()["participants"]}


def _seats(socket: Socket) -> dict[str, int]:
    return {p["id"]: p["seat"] for p in socket.state()["participants"]}


def test_a_reloaded_page_rejoins_its_place_on_a_new_seat(parts):
    """The page that held the call comes back on a new socket (a reload) and rejoin_call takes
    the place again with its media state; its seat grows (peers open a fresh connection); a
    second rejoin of the same socket changes nothing; signals reach the new socket only."""
    calls, agent, customer, _, sockets = parts
    call_id = _start(calls, agent, customer)
    before = _seats(agent)[CUSTOMER]
    calls.left(customer, 101.0)
    reloaded = Socket(Role.CUSTOMER, CUSTOMER)
    sockets[SESSION] = [agent, reloaded]
    calls.entered(reloaded, "Kim", 102.0)
    assert reloaded.state()["here"] is False and _states(reloaded)[CUSTOMER] == "away"
    _handle(calls, reloaded, RejoinCall(call_id, "video", True, False), now=102.5)
    assert reloaded.state()["here"] is True and _states(agent)[CUSTOMER] == "joined"
    assert _seats(agent)[CUSTOMER] == before + 1
    assert {p["id"]: p["muted"] for p in agent.state()["participants"]}[CUSTOMER] is True
    frames = len(agent.frames)
    _handle(calls, reloaded, RejoinCall(call_id, "video", True, False), now=103.0)
    assert len(agent.frames) == frames  # the same page again: nothing to tell
    _handle(calls, agent, SdpOffer(call_id, CUSTOMER, "v=0 fresh"), now=103.0)
    assert reloaded.of_type("sdp_offer")[0]["sdp"] == "v=0 fresh"
    assert customer.of_type("sdp_offer") == []


def test_the_agent_away_keeps_the_call_until_the_grace_ends(parts):
    """The agent's page reloading no longer ends the call at once: the agent is away, rejoins
    and the call goes on; away past the grace, the call ends for everyone."""
    calls, agent, customer, _, sockets = parts
    call_id = _start(calls, agent, customer)
    calls.left(agent, 101.0)
    assert customer.state()["state"] == "active" and _states(customer)["agent"] == "away"
    again = Socket(Role.AGENT)
    sockets[SESSION] = [again, customer]
    _handle(calls, again, RejoinCall(call_id, "video", False, False), now=102.0)
    assert _states(customer)["agent"] == "joined" and again.state()["here"] is True
    calls.left(again, 110.0)
    calls.expire(110.0 + REJOIN_GRACE_S)
    assert customer.state()["state"] == "ended" and calls.call_of(SESSION) is None


def test_after_a_relay_restart_the_agents_rejoin_sets_the_call_up_again(parts):
    """A fresh relay knows no call: a customer's rejoin is refused ("no such call") until the
    agent's rejoin sets the call up again as it was (same id and media, customers away); then
    the customer's rejoin joins it; a customer away past the grace has left."""
    _, agent, customer, _, sockets = parts
    calls = Calls(lambda session_id: sockets.get(session_id, []), TURN)  # the restarted relay
    with pytest.raises(ProtocolError, match="no such call"):
        _handle(calls, customer, RejoinCall("the-old-call", "video", False, False))
    _handle(calls, agent, RejoinCall("the-old-call", "video", False, True))
    state = customer.state()
    assert (state["call_id"], state["media"], state["state"]) == ("the-old-call", "video", "active")
    assert _states(customer) == {"agent": "joined", CUSTOMER: "away"}
    _handle(calls, customer, RejoinCall("the-old-call", "video", False, False), now=101.0)
    assert _states(agent) == {"agent": "joined", CUSTOMER: "joined"}
    assert customer.state()["here"] is True
    calls.left(customer, 102.0)
    calls.expire(102.0 + REJOIN_GRACE_S)
    assert agent.state()["state"] == "ended"


def test_a_rejoin_that_is_not_allowed_is_refused(parts):
    """Who declined cannot rejoin (answer_call is the way in), and nobody rejoins a call that
    is not the session's call."""
    calls, agent, customer, _, sockets = parts
    call_id = _start(calls, agent, customer)
    late = Socket(Role.CUSTOMER, "0123456789ab")
    sockets[SESSION].append(late)
    calls.entered(late, "Lee", 101.0)
    _handle(calls, late, HangUp(call_id))  # Lee declines
    with pytest.raises(ProtocolError, match="you are not in this call"):
        _handle(calls, late, RejoinCall(call_id, "video", False, False))
    with pytest.raises(ProtocolError, match="no such call"):
        _handle(calls, customer, RejoinCall("not-this-call", "video", False, False))


def test_media_state_and_the_signal_rate_limit(parts):
    """set_call_media shows on every copy; signalling beyond the burst is rate_limited."""
    calls, agent, customer, _, _ = parts
    call_id = _start(calls, agent, customer)
    _handle(calls, customer, SetCallMedia(call_id, True, True))
    shown = {p["id"]: p for p in agent.state()["participants"]}[CUSTOMER]
    assert (shown["muted"], shown["camera_off"]) == (True, True)
    with pytest.raises(ProtocolError) as refused:
        for _ in range(int(SIGNAL_BURST) + 1):
            _handle(calls, agent, IceCandidate(call_id, CUSTOMER, "candidate:x"))
    assert refused.value.code is ErrorCode.RATE_LIMITED


def test_each_participant_gets_its_own_turn_credentials(parts):
    """ice_servers carry coturn's REST credentials: <expiry>:<label>, HMAC-SHA1 of the secret."""
    calls, agent, customer, _, _ = parts
    _start(calls, agent, customer)
    servers = customer.state()["ice_servers"]
    assert servers[0]["urls"] == ["turn:127.0.0.1:3478"]
    username = servers[0]["username"]
    expiry, label = username.split(":")
    assert int(expiry) == 100 + 600 and label == f"{SESSION[:8]}.{CUSTOMER}"
    expected = base64.b64encode(hmac.new(b"sesame", username.encode(), hashlib.sha1).digest())
    assert servers[0]["credential"] == expected.decode()
    assert agent.state()["ice_servers"][0]["username"].endswith(".agent")


@pytest.mark.parametrize(
    "config, problem",
    [
        ({"turn_urls": ("turn:x",)}, "needs --turn-secret"),
        ({"turn_urls": ("http://x",), "turn_secret": "s"}, "not a STUN or TURN URL"),
        ({"stun_urls": ("turn:x",)}, "--stun-url takes"),
        ({"turn_urls": ("turn:x",), "turn_secret": "s", "turn_ttl_s": 5}, "at least 60"),
    ],
)
def test_bad_ice_options_are_refused_with_a_clear_message(config, problem):
    """Relay options that cannot work are refused at start-up, saying which."""
    with pytest.raises(ValueError, match=problem):
        IceConfig(**config)


def test_no_stun_or_turn_means_host_candidates_only():
    """Without servers a participant gets an empty list; credentials follow the REST scheme."""
    assert IceConfig().servers_for("agent", 0.0) == []
    assert turn_credentials("k", "p", 10.0, 50)[0] == "60:p"


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "sdp_offer", "call_id": "c", "to": "agent", "sdp": "x" * 32769},
        {"type": "ice_candidate", "call_id": "c", "to": "agent", "candidate": "x" * 1025},
        {
            "type": "ice_candidate",
            "call_id": "c",
            "to": "a",
            "candidate": "x",
            "sdp_m_line_index": 256,
        },
        {"type": "start_call", "media": "screen"},
        {"type": "answer_call", "call_id": "c", "accept": 1},
        {
            "type": "rejoin_call",
            "call_id": "c",
            "media": "screen",
            "muted": False,
            "camera_off": False,
        },
        {
            "type": "rejoin_call",
            "call_id": "",
            "media": "audio",
            "muted": False,
            "camera_off": False,
        },
    ],
)
def test_oversized_or_mistyped_call_frames_are_bad_messages(frame):
    """The SDP and candidate caps and the field types are checked before anything is routed."""
    with pytest.raises(ProtocolError) as refused:
        decode_client_message(json.dumps(frame))
    assert refused.value.code is ErrorCode.BAD_MESSAGE


def test_a_removed_customer_is_out_and_a_new_one_is_invited(parts):
    """remove_participant takes a customer out (a two-party call ends); a customer who says
    hello while a call is on is invited to it (several customers per session)."""
    calls, agent, customer, _, sockets = parts
    _start(calls, agent, customer)
    late = Socket(Role.CUSTOMER, "0123456789ab")
    sockets[SESSION].append(late)
    calls.entered(late, "Lee", 101.0)
    invited = {p["id"]: p["state"] for p in late.state()["participants"]}
    assert invited["0123456789ab"] == "invited" and late.state()["state"] == "active"
    calls.remove_participant(SESSION, CUSTOMER, 102.0)
    assert CUSTOMER not in {p["id"] for p in agent.state()["participants"]}
    assert agent.state()["state"] == "active"  # Lee is still ringing
    _handle(calls, late, HangUp(late.state()["call_id"]))  # Lee declines
    assert agent.state()["state"] == "ended"
