"""The overlay child process on its own (P5): real X display, real windows, pixels read back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import mss
import numpy as np
import pytest

from suite.agent.overlay.link import OverlayLink
from suite.child_processes import STOP_WAIT_S
from tests.support.relay import REPO_ROOT
from tests.support.waiting import wait_until
from tests.support.x11_paint import add_local_xauth_entry
from tests.support.xvfb import Xvfb

WAIT_S = 10.0
RED = (0x48, 0x1D, 0xE1)  # #e11d48 as mss's BGR


@pytest.fixture
def display(monkeypatch: pytest.MonkeyPatch) -> Iterator[Xvfb]:
    with Xvfb(400, 300) as xvfb:
        add_local_xauth_entry(xvfb)
        monkeypatch.setenv("XAUTHORITY", str(xvfb.xauthority))
        yield xvfb


def bgr(display: Xvfb, x: int, y: int) -> tuple[int, ...]:
    with mss.MSS(display=display.display) as grabber:
        shot = grabber.grab(grabber.monitors[0])
        pixels = np.asarray(shot, np.uint8).reshape(shot.height, shot.width, 4)
    return tuple(int(c) for c in pixels[y, x, :3])


def wait_bgr(display: Xvfb, x: int, y: int, expected: tuple[int, ...]) -> None:
    wait_until(
        lambda: bgr(display, x, y) == expected, f"({x}, {y}) to be {expected}", WAIT_S, 0.03,
        detail=lambda: f"it is {bgr(display, x, y)}",
    )  # fmt: skip


def test_without_a_display_the_overlay_says_why_and_the_link_reports_it():
    """No DISPLAY: one overlay_unavailable line, exit status 3; the presenter's link keeps the
    reason (the agent app shows it) and sending to it is harmless."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [sys.executable, "-m", "suite.agent.overlay"], cwd=REPO_ROOT, env=env,
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 3
    assert json.loads(result.stdout) == {
        "type": "overlay_unavailable",
        "reason": "no X11 display (the overlay needs X11 with Shape)",
    }
    sent: list[dict] = []
    link = OverlayLink(1, sent.append, env)
    link.start()
    assert link.ready.wait(WAIT_S)
    assert link.unavailable is not None and "no X11 display" in link.unavailable
    link.deliver({"type": "drawing_cleared", "by": "relay"})
    link.set_tool("pen")
    link.stop()
    assert sent == []


def test_the_overlay_follows_a_monitor_switch(display: Xvfb):
    """A geometry command moves the overlay; its strokes are then drawn relative to the new
    monitor's corner, and nothing is left where it was."""
    link_out: list[dict] = []
    link = OverlayLink(1, link_out.append, display.env())
    link.start()
    assert link.ready.wait(WAIT_S) and link.unavailable is None
    stroke = {"type": "stroke_begin", "author": "customer", "id": "c1", "tool": "rectangle",
              "color": "#e11d48", "width": 4, "points": [[10, 10]]}  # fmt: skip
    link.deliver(stroke)
    link.deliver({"type": "stroke_end", "author": "customer", "id": "c1", "points": [[60, 40]]})
    wait_bgr(display, 30, 10, RED)
    link.move_to({"left": 100, "top": 50, "width": 300, "height": 250})
    wait_bgr(display, 130, 60, RED)  # the same stroke, 100 right and 50 down
    assert bgr(display, 30, 10) == (0, 0, 0)  # the root's own background again
    link.stop()


def test_stopping_an_overlay_that_is_still_starting_is_quick(display: Xvfb, tmp_path):
    """An overlay child still starting (it reads no end-of-file yet) is stopped within a
    second, well inside the app's wait for the whole presenter (STOP_WAIT_S)."""
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text("import time\ntime.sleep(20)\n")  # a slow start
    env = {**display.env(), "PYTHONPATH": f"{slow}{os.pathsep}{REPO_ROOT}"}
    link = OverlayLink(1, lambda message: None, env=env)
    link.start()
    process = link._process
    assert process is not None
    began = time.monotonic()
    link.stop()
    took = time.monotonic() - began
    assert process.poll() is not None
    assert took < 1.5, f"stopping the overlay took {took:.2f} s (the app waits {STOP_WAIT_S} s)"
