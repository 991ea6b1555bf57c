"""The presenter's input gate (suite/control/remote_control.py) and the coordinate map."""

from __future__ import annotations

import threading

import pytest

from suite.agent.presenter.control import INPUT_QUEUE_EVENTS, PresenterControl
from suite.control.input_map import InputGeometry
from suite.control.remote_control import RemoteControl, keysym_name
from suite.screen.masks import WindowMask
from suite.screen.regions import Rect


class RecordingSink:
    """The edge fake: records what would have been injected."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.closed = False

    def move(self, x: int, y: int) -> None:
        self.calls.append(("move", x, y))

    def button(self, button: str, down: bool) -> None:
        self.calls.append(("button", button, down))

    def scroll(self, dx: int, dy: int) -> None:
        self.calls.append(("scroll", dx, dy))

    def key(self, name: str, down: bool) -> None:
        self.calls.append(("key", name, down))

    def type_text(self, text: str) -> None:
        self.calls.append(("text", text))

    def close(self) -> None:
        self.closed = True


SECOND_MONITOR = InputGeometry(1920, 0, 1280, 720)


@pytest.mark.parametrize(
    ("geometry", "point", "expected"),
    [
        (InputGeometry(0, 0, 800, 600), (10, 20), (10, 20)),
        (SECOND_MONITOR, (0, 0), (1920, 0)),  # the monitor origin is added
        (SECOND_MONITOR, (1279, 719), (3199, 719)),
        (SECOND_MONITOR, (5000, 9000), (3199, 719)),  # clamped to the shared monitor
        (InputGeometry(-1280, 100, 1280, 1024), (-3, 5), (-1280, 105)),  # left of primary
        (InputGeometry(0, 0, 800, 600, WindowMask([Rect(100, 100, 50, 50)], 800, 600)),
         (120, 130), (120, 130)),  # inside a shared window
        (InputGeometry(0, 0, 800, 600, WindowMask([Rect(100, 100, 50, 50)], 800, 600)),
         (99, 130), None),  # outside every shared window: ignored
        (InputGeometry(0, 0, 800, 600, WindowMask([], 800, 600)), (1, 1), None),
        (InputGeometry(0, 0, 0, 0), (1, 1), None),  # nothing captured yet
    ],
)  # fmt: skip
def test_points_map_to_the_desktop(geometry, point, expected):
    """Monitor origin, clamping and shared windows decide where (and whether) input lands."""
    assert geometry.to_desktop(*point) == expected


def _gate(mouse=True, keyboard=True, geometry=SECOND_MONITOR):
    sink = RecordingSink()
    gate = RemoteControl(sink, lambda: geometry)
    gate.on_state({"type": "control_state", "mouse": mouse, "keyboard": keyboard})
    sink.calls.clear()
    return gate, sink


def test_the_presenter_refuses_input_without_its_own_grant():
    """Even if the relay forwarded it, input without the presenter's grant injects nothing."""
    gate, sink = _gate(mouse=False, keyboard=False)
    assert not gate.on_input({"type": "mouse_input", "action": "move", "x": 1, "y": 1})
    assert not gate.on_input({"type": "key_input", "action": "text", "text": "rm -rf"})
    gate2, sink2 = _gate(mouse=False, keyboard=True)
    assert not gate2.on_input(
        {"type": "mouse_input", "action": "down", "x": 1, "y": 1, "button": "left"}
    )
    assert gate2.on_input({"type": "key_input", "action": "text", "text": "ok"})
    assert sink.calls == [] and sink2.calls == [("text", "ok")]
    assert (gate.stats.refused, gate2.stats.refused) == (2, 1)


def test_malformed_input_from_the_relay_is_ignored():
    """The presenter parses input again with the protocol's parsers."""
    gate, sink = _gate()
    for body in (
        {"type": "mouse_input", "action": "move", "x": "1", "y": 1},
        {"type": "mouse_input", "action": "down", "x": 1, "y": 1, "button": "thumb"},
        {"type": "key_input", "action": "text", "text": "\x1b"},
        {"type": "key_input", "action": "down"},
    ):
        assert not gate.on_input(body)
    assert sink.calls == [] and gate.stats.refused == 4


def test_clicks_wheel_and_keys_are_injected_mapped():
    """A click lands at the mapped point; a shortcut presses its modifiers around the key."""
    gate, sink = _gate()
    gate.on_input({"type": "mouse_input", "action": "down", "x": 10, "y": 20, "button": "right"})
    gate.on_input({"type": "mouse_input", "action": "up", "x": 10, "y": 20, "button": "right"})
    gate.on_input({"type": "mouse_input", "action": "wheel", "x": 10, "y": 20, "dy": 3})
    gate.on_input(
        {"type": "key_input", "action": "down", "key": "C", "code": "KeyC",
         "modifiers": ["ctrl", "shift"]}
    )  # fmt: skip
    gate.on_input({"type": "key_input", "action": "up", "key": "C", "code": "KeyC"})
    gate.on_input({"type": "key_input", "action": "down", "key": "Shift", "code": "ShiftLeft"})
    gate.on_input({"type": "key_input", "action": "text", "text": "안녕하세요"})
    assert sink.calls == [
        ("move", 1930, 20), ("button", "right", True), ("button", "right", False),
        ("move", 1930, 20), ("scroll", 0, 3),
        ("key", "Shift_L", True), ("key", "Control_L", True), ("key", "c", True),
        ("key", "c", False), ("key", "Control_L", False), ("key", "Shift_L", False),
        ("text", "안녕하세요"),
    ]  # fmt: skip
    assert gate.held == {"keys": [], "modifiers": [], "buttons": []}


def test_input_outside_the_shared_windows_is_ignored():
    """With application sharing on, a click outside the shared windows does nothing."""
    mask = WindowMask([Rect(0, 0, 100, 100)], 800, 600)
    gate, sink = _gate(geometry=InputGeometry(0, 0, 800, 600, mask))
    gate.on_input({"type": "mouse_input", "action": "down", "x": 300, "y": 300, "button": "left"})
    gate.on_input({"type": "mouse_input", "action": "up", "x": 300, "y": 300, "button": "left"})
    assert sink.calls == [] and gate.stats.outside == 1
    gate.on_input({"type": "mouse_input", "action": "move", "x": 50, "y": 50})
    assert sink.calls == [("move", 50, 50)]


@pytest.mark.parametrize("how", ["revoke", "state_change", "close"])
def test_held_keys_and_buttons_are_released_when_control_changes(how):
    """Whatever the customer holds is let go on revoke (hotkey), on any control_state (a
    holder left, the grant moved) and when the presenter stops."""
    gate, sink = _gate()
    gate.on_input({"type": "mouse_input", "action": "down", "x": 1, "y": 1, "button": "left"})
    gate.on_input(
        {"type": "key_input", "action": "down", "key": "ArrowDown", "modifiers": ["shift"]}
    )
    assert gate.held == {"keys": ["Down"], "modifiers": ["Shift_L"], "buttons": ["left"]}
    sink.calls.clear()
    if how == "revoke":
        gate.revoke()
    elif how == "state_change":
        gate.on_state({"type": "control_state", "mouse": True, "keyboard": True})
    else:
        gate.close()
    assert sorted(sink.calls) == [
        ("button", "left", False), ("key", "Down", False), ("key", "Shift_L", False),
    ]  # fmt: skip
    assert gate.held == {"keys": [], "modifiers": [], "buttons": []}
    assert sink.closed is (how == "close")
    sink.calls.clear()
    gate.on_input({"type": "key_input", "action": "up", "key": "ArrowDown"})
    assert sink.calls == []  # a late release of something no longer held does nothing


def test_dom_key_names_become_keysym_names():
    """Named keys are translated, letters lower-cased, bare modifiers never injected."""
    names = ["Enter", "ArrowLeft", "PageDown", "F12", " ", "a", "Z", "/", "Shift", "Meta", "Dead"]
    assert [keysym_name(n) for n in names] == [
        "Return", "Left", "Next", "F12", "space", "a", "z", "/", None, None, None,
    ]  # fmt: skip


class StuckSink(RecordingSink):
    """A desktop that takes input only when the test lets it (a slow X server)."""

    def __init__(self) -> None:
        super().__init__()
        self.go = threading.Event()

    def type_text(self, text: str) -> None:
        self.go.wait(10)
        super().type_text(text)


def test_a_full_input_queue_drops_input_and_a_state_change_drops_what_is_queued():
    """The presenter's reader only queues: 2,000 inputs against a stuck desktop fill the
    bounded queue and the rest is dropped and counted (nothing raises, nothing closes); a
    control_state drops what is queued; input after it is injected."""
    sink = StuckSink()
    remote = PresenterControl(hotkey=False, open_sink=lambda: sink)
    try:
        remote.on_message({"type": "control_state", "mouse": False, "keyboard": True})
        for n in range(2000):
            remote.on_message({"type": "key_input", "action": "text", "text": f"t{n}"})
        assert INPUT_QUEUE_EVENTS <= 2000 - remote.dropped <= INPUT_QUEUE_EVENTS + 1
        remote.on_message({"type": "control_state", "mouse": False, "keyboard": True})
        assert remote.dropped >= 2000 - 1
        sink.go.set()
        remote.on_message({"type": "key_input", "action": "text", "text": "after"})
        assert remote.wait_idle(5)
        assert [c for c in sink.calls if c[0] == "text"][-1] == ("text", "after")
        assert len([c for c in sink.calls if c[0] == "text"]) <= 2
    finally:
        sink.go.set()
        remote.close()


def test_taking_back_the_mouse_alone_leaves_the_keyboard():
    """The notice's "Take back mouse": mouse input stops at once, keys still go in."""
    gate, sink = _gate()
    gate.on_state({"type": "control_state", "mouse": True, "keyboard": True})
    gate.revoke(mouse=True, keyboard=False)
    assert (gate.mouse, gate.keyboard) == (False, True)
    sink.calls.clear()
    assert not gate.on_input({"type": "mouse_input", "action": "move", "x": 2, "y": 2})
    assert gate.on_input({"type": "key_input", "action": "down", "key": "a"})
    gate.revoke(mouse=False, keyboard=True)
    assert (gate.mouse, gate.keyboard) == (False, False)
