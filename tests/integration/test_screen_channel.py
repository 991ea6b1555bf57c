"""The screen channel through a real relay: fan-out, late join, acks, credits, refusals."""

from __future__ import annotations

from tests.support.chat_client import ChatClient
from tests.support.conversation import start_conversation
from tests.support.region_frames import region
from tests.support.screen_socket import screen_sockets


def test_region_frames_reach_every_viewer_and_acks_bring_credit(relay_factory):
    relay = relay_factory("--health-details")  # its screen counters, read below
    talk = start_conversation(relay)
    presenter, viewers = screen_sockets(relay, talk, viewers=2)
    presenter.send({"type": "present_start", "screen_w": 64, "screen_h": 32})
    for viewer in viewers:
        assert viewer.recv_type("screen_state") == {
            "type": "screen_state", "state": "live", "screen_w": 64, "screen_h": 32,
            "control": True,
        }  # fmt: skip
    assert presenter.recv_type("capture_credit") == {"type": "capture_credit", "frames": 1}
    frame = region(1, 0, 0, 64, 32)
    presenter.send(frame)
    assert [v.recv_binary() for v in viewers] == [frame, frame]
    viewers[0].send({"type": "screen_ack", "seq": 1})
    assert presenter.recv_type("capture_credit")["frames"] == 1
    presenter.send({"type": "cursor", "x": 10, "y": 20, "visible": True, "shape": "text"})
    cursor = viewers[1].recv_type("cursor")
    assert (cursor["x"], cursor["y"], cursor["shape"]) == (10, 20, "text")
    screen = talk.api.request("GET", "/health")[1]["screen"]
    assert (screen["presentations"], screen["viewers"], screen["frames_in"]) == (1, 2, 1)


def test_a_late_viewer_gets_the_current_picture_from_the_relay(relay):
    talk = start_conversation(relay)
    presenter, (first,) = screen_sockets(relay, talk)
    presenter.send({"type": "present_start", "screen_w": 64, "screen_h": 32})
    frames = [region(1, 0, 0, 32, 32), region(2, 32, 0, 32, 32), region(3, 0, 0, 32, 32)]
    for frame in frames:
        presenter.send(frame)
    assert [first.recv_binary() for _ in frames] == frames
    late = ChatClient(relay.ws_url, "customer", talk.session_id, talk.joined["customer_token"])
    late.connect(channel="screen")
    assert late.recv_type("screen_state")["state"] == "live"
    assert [late.recv_binary(), late.recv_binary()] == [frames[1], frames[2]]


def test_pause_keeps_the_picture_and_bad_frames_are_refused(relay):
    talk = start_conversation(relay)
    presenter, (viewer,) = screen_sockets(relay, talk)
    presenter.send(region(1, 0, 0, 16, 16))
    assert presenter.recv_type("error")["message"] == "send present_start before region frames"
    presenter.send({"type": "present_start", "screen_w": 64, "screen_h": 32})
    presenter.send(b"RS\x01")
    assert "the header alone is 32" in presenter.recv_type("error")["message"]
    presenter.send({"type": "screen_ack", "seq": 1})
    assert presenter.recv_type("error")["code"] == "not_allowed"
    viewer.send(region(1, 0, 0, 16, 16))
    assert viewer.recv_type("error")["code"] == "not_allowed"
    viewer.send({"type": "present_pause"})
    assert viewer.recv_type("error")["code"] == "not_allowed"
    viewer.send({"type": "answer_presentation", "accept": True})  # a chat-channel message
    assert viewer.recv_type("error")["code"] == "not_allowed"
    presenter.send({"type": "present_pause"})
    assert viewer.recv_type("screen_state")["state"] == "paused"
    presenter.send({"type": "present_resume"})
    assert viewer.recv_type("screen_state")["state"] == "live"


def test_presentation_request_and_answer_in_the_chat(relay):
    talk = start_conversation(relay)
    talk.agent.send({"type": "request_presentation"})
    assert talk.customer.recv_type("presentation_requested")["agent_name"] == "Alice Kim"
    talk.customer.send({"type": "answer_presentation", "accept": True})
    assert talk.agent.recv_type("presentation_answered")["accept"] is True
    assert talk.customer.recv_type("presentation_answered")["accept"] is True
    talk.customer.send({"type": "request_presentation"})
    assert talk.customer.recv_type("error")["code"] == "not_allowed"


def test_ending_the_session_closes_the_screen_sockets(relay):
    talk = start_conversation(relay)
    presenter, (viewer,) = screen_sockets(relay, talk)
    talk.agent.send({"type": "end_session"})
    assert viewer.close_code() == 4000 and presenter.close_code() == 4000
