"""Monitor choice and switch with a real presenter on a display split into two monitors.

Xvfb 1440x600 split into two RandR monitors of different sizes (tests/support/x11_monitors.py):
a red 640x480 one on the left, a green 800x600 one on the right. The local API lists both,
starts on the one chosen, and switches while a customer's screen socket watches what the relay
forwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from tests.support.local_api import present
from tests.support.screen_socket import CanvasWatcher
from tests.support.x11_monitors import VirtualMonitors
from tests.support.x11_paint import RootPainter, add_local_xauth_entry
from tests.support.xvfb import Xvfb

RED = (255, 0, 0)
GREEN = (0, 255, 0)
LEFT, RIGHT = (0, 0, 640, 480), (640, 0, 800, 600)


@pytest.fixture(scope="module")
def display() -> Iterator[Xvfb]:
    """Two monitors side by side, red and green (overrides the one-monitor display)."""
    with Xvfb(1440, 600) as xvfb:
        add_local_xauth_entry(xvfb)
        env = xvfb.env()
        painter = RootPainter(env)
        frame = np.zeros((600, 1440, 4), dtype=np.uint8)
        frame[:, :640] = (RED[2], RED[1], RED[0], 255)  # BGRA
        frame[:, 640:] = (GREEN[2], GREEN[1], GREEN[0], 255)
        painter.paint(frame)
        painter.close()
        with VirtualMonitors(env, [LEFT, RIGHT]):
            yield xvfb


def test_monitors_listed_started_on_the_chosen_one_and_switched_live(app, conversation, relay):
    """Both monitors are listed; start shows only the chosen one, a switch only the other."""
    client, presentations, _ = app
    sid = conversation.session_id
    status, screens, _ = client.request("GET", "/local/screens")
    assert status == 200, screens
    sizes = [(m["index"], m["left"], m["width"], m["height"]) for m in screens["monitors"]]
    assert sizes[:2] == [(1, 0, 640, 480), (2, 640, 800, 600)], sizes
    status, _, _ = client.request("PUT", "/local/settings", {"remote_support": {"lossless": True}})
    assert status == 200
    watcher = CanvasWatcher(conversation, relay.url.replace("http", "ws", 1) + "/ws")
    try:
        status, body = present(client, sid, "start", monitor=2)
        assert (status, body) == (200, {"state": "live", "monitor": 2, "windows": None})
        watcher.wait_for(lambda w: w.pixel(400, 300) == GREEN, "the right monitor, green")
        assert watcher.canvas is not None and watcher.canvas.shape == (600, 800, 3)
        assert bool(np.all(watcher.canvas == GREEN)), "the whole picture is the right monitor"
        assert watcher.frames_with(RED) == 0, "nothing of the other monitor"

        status, body = present(client, sid, "monitor", monitor=1)
        assert (status, body) == (200, {"state": "live", "monitor": 1, "windows": None})
        watcher.wait_for(
            lambda w: w.canvas is not None and w.canvas.shape == (480, 640, 3)
            and w.pixel(320, 240) == RED,
            "the left monitor, red, at its own size",
        )  # fmt: skip
        assert bool(np.all(watcher.canvas == RED)), "the whole picture is the left monitor"
        sizes = [
            (t["screen_w"], t["screen_h"]) for t in watcher.texts if t.get("type") == "screen_state"
        ]
        assert sizes[-1] == (640, 480), sizes
    finally:
        present(client, sid, "stop")
        watcher.close()
