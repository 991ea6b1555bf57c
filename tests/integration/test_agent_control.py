"""``GET/POST /local/control``: the connection notice sees who controls the desktop and takes it
back, through the real presenter child (which holds the screen socket) and a real relay."""

from __future__ import annotations

import json

from tests.support.local_api import present
from tests.support.screen_socket import ScreenWatcher
from tests.support.waiting import wait_until


def control_of(client, session_id: str) -> dict[str, bool]:
    status, body, _ = client.request("GET", f"/local/control?session_id={session_id}")
    assert status == 200, body
    return body


def wait_control(client, session_id: str, expected: dict[str, bool]) -> None:
    wait_until(lambda: control_of(client, session_id) == expected, f"control to be {expected}")


def test_the_app_sees_the_grant_and_takes_it_back(app, conversation, relay):
    """The customer's grant shows in GET /local/control; revoke takes it back through the
    presenter, and the relay tells the viewer and the agent."""
    client, _, _ = app
    sid = conversation.session_id
    assert control_of(client, sid) == {"mouse": False, "keyboard": False}  # not presenting
    status, body, _ = client.request(
        "POST", "/local/control", {"session_id": sid, "action": "revoke"}
    )
    assert (status, body["error"]["code"]) == (409, "not_presenting")
    viewer = ScreenWatcher(conversation, relay.url.replace("http", "ws", 1) + "/ws")
    try:
        assert present(client, sid, "start")[0] == 200
        viewer.ws.send(json.dumps({"type": "request_control"}))
        conversation.agent.send({"type": "grant_control", "mouse": True, "keyboard": True})
        wait_control(client, sid, {"mouse": True, "keyboard": True})

        status, body, _ = client.request(
            "POST", "/local/control", {"session_id": sid, "action": "give"}
        )
        assert (status, body["error"]["code"]) == (400, "bad_request")
        viewer.wait_for(
            lambda w: any(t.get("type") == "control_state" and t["mouse"] for t in w.texts),
            "the viewer holding the mouse",
        )
        before = len(viewer.texts)
        status, body, _ = client.request(
            "POST", "/local/control", {"session_id": sid, "action": "revoke"}
        )
        assert (status, body) == (200, {"mouse": False, "keyboard": False})
        # The relay heard it from the presenter: the viewer holds nothing any more.
        viewer.wait_for(
            lambda w: any(
                t.get("type") == "control_state" and not t["mouse"] and not t["keyboard"]
                for t in w.texts[before:]
            ),
            "control_state without mouse and keyboard",
        )
        conversation.agent.recv_type("control_state")
        wait_control(client, sid, {"mouse": False, "keyboard": False})
    finally:
        present(client, sid, "stop")
        viewer.close()


def test_the_notice_takes_back_one_kind_and_leaves_the_other(app, conversation, relay):
    """``revoke`` with ``keyboard: false`` takes only the mouse back: the relay tells the viewer
    it keeps the keyboard; then the keyboard alone; neither named at all is refused."""
    client, _, _ = app
    sid = conversation.session_id
    viewer = ScreenWatcher(conversation, relay.url.replace("http", "ws", 1) + "/ws")
    try:
        assert present(client, sid, "start")[0] == 200
        viewer.ws.send(json.dumps({"type": "request_control"}))
        conversation.agent.send({"type": "grant_control", "mouse": True, "keyboard": True})
        wait_control(client, sid, {"mouse": True, "keyboard": True})
        status, body, _ = client.request(
            "POST", "/local/control",
            {"session_id": sid, "action": "revoke", "mouse": False, "keyboard": False},
        )  # fmt: skip
        assert (status, body["error"]["code"]) == (400, "bad_request")

        before = len(viewer.texts)
        status, body, _ = client.request(
            "POST", "/local/control", {"session_id": sid, "action": "revoke", "keyboard": False}
        )
        assert (status, body) == (200, {"mouse": False, "keyboard": True})
        viewer.wait_for(
            lambda w: any(
                t.get("type") == "control_state" and not t["mouse"] and t["keyboard"]
                for t in w.texts[before:]
            ),
            "control_state: the keyboard only",
        )
        wait_control(client, sid, {"mouse": False, "keyboard": True})

        before = len(viewer.texts)
        status, body, _ = client.request(
            "POST", "/local/control", {"session_id": sid, "action": "revoke", "mouse": False}
        )
        assert (status, body) == (200, {"mouse": False, "keyboard": False})
        viewer.wait_for(
            lambda w: any(
                t.get("type") == "control_state" and not t["mouse"] and not t["keyboard"]
                for t in w.texts[before:]
            ),
            "control_state without mouse and keyboard",
        )
        wait_control(client, sid, {"mouse": False, "keyboard": False})
    finally:
        present(client, sid, "stop")
        viewer.close()
