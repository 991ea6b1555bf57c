"""Drawing over the shared screen (P5) through a real relay: forward, late join, stop, refusals."""

from __future__ import annotations

from tests.support.chat_client import ChatClient
from tests.support.conversation import start_conversation

SCREEN = {"type": "present_start", "screen_w": 200, "screen_h": 100}


def _viewer(relay, talk) -> ChatClient:
    viewer = ChatClient(relay.ws_url, "customer", talk.session_id, talk.joined["customer_token"])
    assert viewer.connect(channel="screen")["type"] == "welcome"
    viewer.recv_type("screen_state")
    return viewer


def _presenting(relay, viewers: int = 1):
    talk = start_conversation(relay)
    presenter = ChatClient(relay.ws_url, "agent", talk.session_id, talk.token)
    assert presenter.connect(channel="screen")["type"] == "welcome"
    assert presenter.recv_type("drawing") == {"type": "drawing", "strokes": []}
    sockets = [_viewer(relay, talk) for _ in range(viewers)]
    for viewer in sockets:
        assert viewer.recv_type("drawing")["strokes"] == []
    presenter.send(SCREEN)
    for viewer in sockets:
        assert viewer.recv_type("screen_state")["state"] == "live"
    return talk, presenter, sockets


def _pen(client: ChatClient, sid: str, colour: str, points: list) -> None:
    client.send({"type": "stroke_begin", "id": sid, "tool": "pen", "color": colour, "width": 4,
                 "points": points[:1]})  # fmt: skip
    client.send({"type": "stroke_points", "id": sid, "points": points[1:-1]})
    client.send({"type": "stroke_end", "id": sid, "points": points[-1:]})


def test_strokes_go_from_a_viewer_to_the_presenter_and_the_other_viewers(relay):
    """A viewer's stroke reaches the presenter and the second viewer with its author, clamped;
    the agent's reaches both viewers."""
    talk, presenter, (first, second) = _presenting(relay, viewers=2)
    _pen(first, "c1", "#2563eb", [[10, 10], [20, 20], [300, -5]])
    begun = presenter.recv_type("stroke_begin")
    assert begun == {"type": "stroke_begin", "author": "customer", "id": "c1", "tool": "pen",
                     "color": "#2563eb", "width": 4, "points": [[10, 10]]}  # fmt: skip
    assert presenter.recv_type("stroke_points")["points"] == [[20, 20]]
    assert presenter.recv_type("stroke_end")["points"] == [[199, 0]]  # clamped to 200x100
    assert second.recv_type("stroke_end")["author"] == "customer"
    _pen(presenter, "a1", "#e11d48", [[1, 1], [2, 2], [3, 3]])
    for viewer in (first, second):
        assert viewer.recv_type("stroke_begin")["author"] == "agent"
        assert viewer.recv_type("stroke_end")["id"] == "a1"


def test_a_late_viewer_gets_the_drawing_and_undo_and_clear_reach_everyone(relay):
    """The relay keeps the drawing: a viewer who joins later gets it whole; undo removes the
    sender's newest stroke for everyone; clear removes all."""
    talk, presenter, (viewer,) = _presenting(relay)
    _pen(presenter, "a1", "#e11d48", [[1, 1], [5, 5]])
    presenter.send({"type": "stroke_begin", "id": "a2", "tool": "ellipse", "color": "#00ff00",
                    "width": 2, "points": [[10, 10]]})  # fmt: skip
    presenter.send({"type": "stroke_points", "id": "a2", "points": [[30, 20], [40, 30]]})
    assert viewer.recv_type("stroke_points")["id"] == "a2"  # two sockets: wait for the order
    _pen(viewer, "c1", "#2563eb", [[7, 7], [8, 8]])
    presenter.recv_type("stroke_end")
    late = ChatClient(relay.ws_url, "customer", talk.session_id, talk.joined["customer_token"])
    late.connect(channel="screen")
    assert late.recv_type("screen_state")["state"] == "live"
    strokes = late.recv_type("drawing")["strokes"]
    assert [(s["author"], s["id"], s["done"]) for s in strokes] == [
        ("agent", "a1", True), ("agent", "a2", False), ("customer", "c1", True),
    ]  # fmt: skip
    assert strokes[1]["points"] == [[10, 10], [40, 30]]  # a shape: start and latest

    presenter.send({"type": "undo_stroke"})
    removed = {"type": "stroke_removed", "author": "agent", "id": "a2"}
    for client in (presenter, viewer, late):
        assert client.recv_type("stroke_removed") == removed
    late.send({"type": "clear_drawing"})
    for client in (presenter, viewer, late):
        assert client.recv_type("drawing_cleared") == {"type": "drawing_cleared", "by": "customer"}
    again = ChatClient(relay.ws_url, "customer", talk.session_id, talk.joined["customer_token"])
    again.connect(channel="screen")
    assert again.recv_type("drawing")["strokes"] == []


def test_stopping_the_presentation_clears_the_drawing(relay):
    """present_stop: everyone hears drawing_cleared from the relay; drawing is refused until a
    presentation starts again, and the next one starts blank."""
    talk, presenter, (viewer,) = _presenting(relay)
    _pen(viewer, "c1", "#2563eb", [[1, 1], [2, 2]])
    presenter.recv_type("stroke_end")
    presenter.send({"type": "present_stop"})
    assert viewer.recv_type("drawing_cleared") == {"type": "drawing_cleared", "by": "relay"}
    assert presenter.recv_type("drawing_cleared")["by"] == "relay"
    _pen(viewer, "c2", "#2563eb", [[1, 1], [2, 2]])
    refused = viewer.recv_type("error")
    assert refused["code"] == "not_allowed" and refused["in_reply_to"] == "stroke_begin"
    presenter.send(SCREEN)
    late = _viewer(relay, talk)
    assert late.recv_type("drawing")["strokes"] == []


def test_malformed_foreign_and_oversized_drawing_messages_are_refused(relay):
    """Each bad message gets an error naming it; nothing is forwarded and the socket stays up."""
    talk, presenter, (viewer,) = _presenting(relay)
    bad = [
        ({"type": "stroke_begin", "id": "x", "tool": "spray", "color": "#000000", "width": 3,
          "points": [[1, 1]]}, "bad_message"),
        ({"type": "stroke_begin", "id": "x", "tool": "pen", "color": "#000000", "width": 3,
          "points": [[1, 1]] * 501}, "bad_message"),
        ({"type": "stroke_points", "id": "nobody", "points": [[1, 1]]}, "bad_message"),
        ({"type": "stroke_end", "id": 5}, "bad_message"),
    ]  # fmt: skip
    for message, code in bad:
        viewer.send(message)
        error = viewer.recv_type("error")
        assert (error["code"], error["in_reply_to"]) == (code, message["type"]), error
    _pen(presenter, "a1", "#e11d48", [[1, 1], [2, 2]])  # the presenter's stroke, not the viewer's
    viewer.recv_type("stroke_end")
    viewer.send({"type": "stroke_points", "id": "a1", "points": [[3, 3]]})
    assert "no stroke 'a1' of yours" in viewer.recv_type("error")["message"]
    viewer.send("x" * 300_000)  # over the chat limit, under the screen channel's 4 MiB
    assert viewer.recv_type("error")["code"] == "bad_json"
    # Nothing of the above reached the presenter; the viewer's socket still works.
    _pen(viewer, "ok", "#2563eb", [[4, 4], [5, 5]])
    assert presenter.recv_type("stroke_begin")["id"] == "ok"
    assert not [m for m in presenter.received if m.get("author") == "customer" and m["id"] != "ok"]


def test_a_flood_of_drawing_messages_is_rate_limited(relay):
    """Past the burst, the relay answers rate_limited and does not forward."""
    talk, presenter, (viewer,) = _presenting(relay)
    for _ in range(200):
        viewer.send({"type": "undo_stroke"})
    assert viewer.recv_type("error")["code"] == "rate_limited"
