"""The XTEST sink and the hotkey on a real Xvfb display, into a real Tk window (P3)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest

from suite.control.hotkey import ControlHotkey
from suite.control.injector import XTestSink
from suite.control.input_map import InputGeometry
from suite.control.remote_control import RemoteControl
from tests.support.input_target import InputTarget
from tests.support.relay import REPO_ROOT
from tests.support.waiting import wait_until
from tests.support.x11 import pointer_position
from tests.support.x11_paint import add_local_xauth_entry
from tests.support.xvfb import Xvfb

SCREEN = (800, 600)


@pytest.fixture
def display(monkeypatch: pytest.MonkeyPatch) -> Iterator[Xvfb]:
    with Xvfb(*SCREEN) as xvfb:
        add_local_xauth_entry(xvfb)
        for name, value in xvfb.env().items():
            if name in ("DISPLAY", "XAUTHORITY"):
                monkeypatch.setenv(name, value)
        yield xvfb


@pytest.fixture
def target(display: Xvfb) -> Iterator[InputTarget]:
    window = InputTarget(display.env(), "400x300+100+100", REPO_ROOT)
    yield window
    window.close()


def pointer(display: Xvfb) -> tuple[int, int]:
    return pointer_position(display.env())


def keys_down(display: Xvfb) -> set[int]:
    """Keycodes the X server holds pressed now (XQueryKeymap)."""
    from Xlib import display as xdisplay  # noqa: PLC0415

    d = xdisplay.Display(display.display)
    try:
        keymap = d.query_keymap()
    finally:
        d.close()
    return {i * 8 + bit for i, byte in enumerate(keymap) for bit in range(8) if byte >> bit & 1}


def test_the_sink_moves_clicks_and_types_ascii_and_korean(display, target):
    """Pointer, button and text (ASCII, shifted, Latin-1 and Korean) reach the Tk window."""
    sink = XTestSink()
    gate = RemoteControl(sink, lambda: InputGeometry(0, 0, *SCREEN))
    gate.on_state({"mouse": True, "keyboard": True})
    try:
        gate.on_input({"type": "mouse_input", "action": "move", "x": 250, "y": 180})
        assert pointer(display) == (250, 180)
        gate.on_input({"type": "mouse_input", "action": "down", "x": 250, "y": 180,
                       "button": "left"})  # fmt: skip
        gate.on_input({"type": "mouse_input", "action": "up", "x": 250, "y": 180,
                       "button": "left"})  # fmt: skip
        press = target.wait_for(lambda e: e["event"] == "release")
        assert (press["num"], press["x_root"], press["y_root"]) == (1, 250, 180)
        gate.on_input({"type": "key_input", "action": "text", "text": "Hi! café 안녕하세요"})
        target.wait_for(lambda e: e["event"] == "text" and e["text"] == "Hi! café 안녕하세요")
    finally:
        gate.close()


def test_a_held_key_and_button_are_released_on_revoke(display, target):
    """XQueryKeymap shows the held key down until the grant goes; the button likewise."""
    sink = XTestSink()
    gate = RemoteControl(sink, lambda: InputGeometry(0, 0, *SCREEN))
    gate.on_state({"mouse": True, "keyboard": True})
    from Xlib import XK  # noqa: PLC0415
    from Xlib import display as xdisplay  # noqa: PLC0415

    d = xdisplay.Display(display.display)
    f5 = d.keysym_to_keycode(XK.string_to_keysym("F5"))
    try:
        gate.on_input({"type": "key_input", "action": "down", "key": "F5", "code": "F5"})
        gate.on_input({"type": "mouse_input", "action": "down", "x": 200, "y": 200,
                       "button": "left"})  # fmt: skip
        assert f5 in keys_down(display)
        assert d.screen().root.query_pointer().mask & 0x100  # Button1Mask
        gate.on_state({"mouse": False, "keyboard": False})
        assert f5 not in keys_down(display)
        assert not d.screen().root.query_pointer().mask & 0x100
    finally:
        d.close()
        gate.close()


def test_the_hotkey_fires_on_ctrl_alt_end(display):
    """Ctrl+Alt+End pressed on the display (here by xdotool) calls the hotkey's action."""
    pressed = []
    hotkey = ControlHotkey(lambda: pressed.append(time.monotonic()))
    try:
        subprocess.run(["xdotool", "key", "ctrl+alt+End"], env=display.env(), check=True)
        wait_until(lambda: pressed, "the hotkey's action", 5, 0.02)
        assert len(pressed) == 1
        subprocess.run(["xdotool", "key", "ctrl+End"], env=display.env(), check=True)
        time.sleep(0.3)
        assert len(pressed) == 1  # without Alt it is an ordinary key
    finally:
        hotkey.close()
