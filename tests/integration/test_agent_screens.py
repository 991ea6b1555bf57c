"""``GET /local/screens`` and live monitor / window switches of a running presenter (P2, P6).

The real local API, a real relay, a real presenter child on a private Xvfb display with a
painted root and one green top-level window, and a customer screen socket that rebuilds the
screen from the (lossless) frames it receives.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest

from tests.support.local_api import present
from tests.support.screen_socket import CanvasWatcher
from tests.support.x11_paint import RootPainter

WINDOW = (100, 80, 200, 150)  # x, y, width, height on the 640x480 display
GREEN = (0, 255, 0)
RED = (255, 0, 0)


@pytest.fixture
def green_window(display) -> Iterator[int]:
    """A mapped, named top-level window with a green background on a red root."""
    from Xlib import X, Xutil  # noqa: PLC0415
    from Xlib import display as xdisplay  # noqa: PLC0415

    env = display.env()
    painter = RootPainter(env)
    frame = np.zeros((480, 640, 4), dtype=np.uint8)
    frame[:, :] = (RED[2], RED[1], RED[0], 255)  # BGRA
    painter.paint(frame)
    saved = os.environ.get("XAUTHORITY")
    os.environ["XAUTHORITY"] = env["XAUTHORITY"]
    try:
        conn = xdisplay.Display(env["DISPLAY"])
    finally:
        if saved is None:
            del os.environ["XAUTHORITY"]
        else:
            os.environ["XAUTHORITY"] = saved
    root = conn.screen().root
    x, y, w, h = WINDOW
    window = root.create_window(
        x, y, w, h, 0, conn.screen().root_depth, X.InputOutput, X.CopyFromParent,
        background_pixel=0x00FF00, override_redirect=True,
    )  # fmt: skip
    window.set_wm_name("RS green window")
    window.set_wm_normal_hints(flags=Xutil.PPosition | Xutil.PSize, x=x, y=y, width=w, height=h)
    window.map()
    window.clear_area()
    conn.sync()
    yield window.id
    window.destroy()
    conn.sync()
    conn.close()
    painter.paint(np.zeros((480, 640, 4), dtype=np.uint8))
    painter.close()


def test_screens_lists_the_monitor_and_the_window(app, green_window):
    """GET /local/screens lists the display's one monitor and the named top-level window."""
    client, _, _ = app
    status, body, _ = client.request("GET", "/local/screens")
    assert status == 200, body
    assert body["monitors"] == [{"index": 1, "width": 640, "height": 480, "left": 0, "top": 0}]
    assert body["windows_supported"] is True
    x, y, w, h = WINDOW
    assert {"id": green_window, "title": "RS green window", "x": x, "y": y, "width": w,
            "height": h} in body["windows"]  # fmt: skip


def test_windows_sharing_masks_the_rest_and_bad_monitor(app, conversation, relay, green_window):
    """Sharing one window blacks out the rest, sharing all brings it back; a monitor that does
    not exist and malformed window lists are 400; without a presenter both are 409."""
    client, presentations, _ = app
    sid = conversation.session_id
    status, _, _ = client.request("PUT", "/local/settings", {"remote_support": {"lossless": True}})
    assert status == 200
    watcher = CanvasWatcher(conversation, relay.url.replace("http", "ws", 1) + "/ws")
    inside = (WINDOW[0] + 50, WINDOW[1] + 50)
    outside = (20, 20)
    try:
        assert present(client, sid, "start") == (
            200, {"state": "live", "monitor": 1, "windows": None},
        )  # fmt: skip
        watcher.wait_for(lambda w: w.pixel(*outside) == RED, "the red root")
        assert watcher.pixel(*inside) == GREEN

        status, body = present(client, sid, "windows", window_ids=[green_window])
        assert (status, body) == (200, {"state": "live", "monitor": 1, "windows": [green_window]})
        watcher.wait_for(lambda w: w.pixel(*outside) == (0, 0, 0), "black outside the window")
        assert watcher.pixel(*inside) == GREEN
        status, body, _ = client.request("GET", f"/local/presentation?session_id={sid}")
        assert body["windows"] == [green_window]

        status, body = present(client, sid, "windows", window_ids=None)
        assert (status, body["windows"]) == (200, None)
        watcher.wait_for(lambda w: w.pixel(*outside) == RED, "the whole screen again")

        status, body = present(client, sid, "monitor", monitor=2)
        assert (status, body["error"]["code"]) == (400, "bad_request"), body
        assert body["error"]["message"] == "no monitor 2: this display has 1"
        assert present(client, sid, "monitor", monitor=1) == (
            200, {"state": "live", "monitor": 1, "windows": None},
        )  # fmt: skip
        for bad in ([], ["x"], [True], [0], "1"):
            assert present(client, sid, "windows", window_ids=bad)[0] == 400, bad
        assert present(client, sid, "windows")[0] == 400
        assert presentations.status(sid)["state"] == "live"
    finally:
        present(client, sid, "stop")
        watcher.close()
    status, body = present(client, sid, "monitor", monitor=1)
    assert (status, body["error"]["code"]) == (409, "not_presenting")
    status, body = present(client, sid, "windows", window_ids=None)
    assert (status, body["error"]["code"]) == (409, "not_presenting")


def test_windows_chosen_before_start_are_masked(app, conversation, relay, green_window):
    """The agent picks the windows before the customer accepts: "start" carries them, and not
    one frame the relay forwards shows what is outside them."""
    client, presentations, _ = app
    sid = conversation.session_id
    status, _, _ = client.request("PUT", "/local/settings", {"remote_support": {"lossless": True}})
    assert status == 200
    watcher = CanvasWatcher(conversation, relay.url.replace("http", "ws", 1) + "/ws")
    inside = (WINDOW[0] + 50, WINDOW[1] + 50)
    outside = (20, 20)
    seen_outside: list[tuple[int, ...] | None] = []
    try:
        status, body = present(client, sid, "start", window_ids=[green_window])
        assert (status, body) == (200, {"state": "live", "monitor": 1, "windows": [green_window]})
        watcher.wait_for(lambda w: w.pixel(*inside) == GREEN, "the shared window")
        seen_outside.append(watcher.pixel(*outside))
        assert seen_outside == [(0, 0, 0)], "outside the chosen window is masked from the start"
        assert watcher.frames_with(RED) == 0
        status, body = present(client, sid, "start", window_ids=[0])
        assert status == 400, body
    finally:
        present(client, sid, "stop")
        watcher.close()
