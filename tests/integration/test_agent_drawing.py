"""``POST /local/drawing`` (P5): the chat window's drawing tools reach the real overlay.

The real local API, a real relay, a real presenter child with its overlay child on a private
Xvfb display; a real pointer drag (xdotool) on the overlay; a customer screen socket checks
what the relay forwards.
"""

from __future__ import annotations

import subprocess

from tests.support.local_api import present
from tests.support.processes import children, gone, wait_gone
from tests.support.screen_socket import ScreenWatcher
from tests.support.waiting import wait_until
from tests.support.x11 import wait_for_input_catcher


def drawing(client, session_id: str, **body) -> tuple[int, dict]:
    status, answer, _ = client.request("POST", "/local/drawing", {"session_id": session_id, **body})
    return status, answer


def test_a_tool_from_the_chat_window_draws_on_the_overlay_and_reaches_the_customer(
    app, conversation, relay, display
):
    """tool -> the overlay takes a real drag -> the customer gets the agent's stroke; Escape
    puts the tool down (GET /local/drawing follows); undo removes the stroke; stopping the
    presentation ends the overlay child too."""
    client, presentations, _ = app
    sid = conversation.session_id
    watcher = ScreenWatcher(conversation, relay.url.replace("http", "ws", 1) + "/ws")
    assert present(client, sid, "start")[0] == 200
    watcher.wait_for(lambda w: "live" in w.states(), "live")
    pid = presentations.pid(sid)
    assert pid is not None
    wait_until(lambda: len(children(pid)) == 1, "the overlay child")
    overlay_pid = children(pid)[0]

    status, body = drawing(client, sid, action="tool", tool="arrow", color="#10b981", width=5)
    assert (status, body) == (200, {"tool": "arrow", "overlay_error": None})
    env = display.env()
    wait_for_input_catcher(env)
    subprocess.run(
        ["xdotool", "mousemove", "100", "100", "mousedown", "1", "mousemove", "150", "120",
         "mousemove", "200", "150", "mouseup", "1"],
        env=env, check=True,
    )  # fmt: skip
    watcher.wait_for(
        lambda w: any(t["type"] == "stroke_end" for t in w.texts), "the agent's stroke_end"
    )
    begun = next(t for t in watcher.texts if t["type"] == "stroke_begin")
    assert (begun["author"], begun["tool"], begun["color"], begun["width"]) == (
        "agent", "arrow", "#10b981", 5,
    )  # fmt: skip
    assert begun["points"] == [[100, 100]]
    ended = [t for t in watcher.texts if t["type"] in ("stroke_points", "stroke_end")]
    assert [200, 150] in [p for t in ended for p in t["points"]]

    status, body, _ = client.request("GET", f"/local/drawing?session_id={sid}")
    assert (status, body) == (200, {"tool": "arrow", "overlay_error": None})
    subprocess.run(["xdotool", "key", "Escape"], env=env, check=True)
    wait_until(
        lambda: client.request("GET", f"/local/drawing?session_id={sid}")[1]["tool"] is None,
        "the tool put down by Escape",
    )

    assert drawing(client, sid, action="undo") == (200, {"tool": None, "overlay_error": None})
    watcher.wait_for(lambda w: any(t["type"] == "stroke_removed" for t in w.texts), "undo")
    removed = next(t for t in watcher.texts if t["type"] == "stroke_removed")
    assert removed == {"type": "stroke_removed", "author": "agent", "id": begun["id"]}

    assert present(client, sid, "stop")[0] == 200
    assert gone(pid)
    wait_gone(overlay_pid)
    watcher.close()


def test_drawing_requests_are_checked(app, conversation):
    """Bad actions, tools, colours and widths are 400 with a message; no presenter is 409."""
    client, _, _ = app
    sid = conversation.session_id
    for body, fragment in [
        ({"action": "paint"}, "'action'"),
        ({"action": "tool", "tool": "spray"}, "'tool'"),
        ({"action": "tool", "tool": "pen", "color": "red"}, "'color'"),
        ({"action": "tool", "tool": "pen", "width": 100}, "'width'"),
        ({"action": "tool", "tool": "pen", "width": True}, "'width'"),
    ]:
        status, answer = drawing(client, sid, **body)
        assert status == 400 and fragment in answer["error"]["message"], answer
    status, answer = drawing(client, sid, action="clear")
    assert (status, answer["error"]["code"]) == (409, "not_presenting")
    status, answer, _ = client.request("GET", f"/local/drawing?session_id={sid}")
    assert (status, answer) == (200, {"tool": None, "overlay_error": None})
