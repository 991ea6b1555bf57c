"""The relay's control handover rules (relay_server/screen/control_grants.py), input messages."""

from __future__ import annotations

import json

import pytest

from relay_server.screen.control_grants import (
    INPUT_BURST,
    INPUT_ERRORS_PER_S,
    ControlDesk,
    SessionControl,
)
from suite.protocol import (
    ErrorCode,
    GrantControl,
    KeyInput,
    MouseInput,
    ProtocolError,
    RequestControl,
    RevokeControl,
    decode_client_message,
)

CUSTOMER = "c0ffee000001"  # the customer_id of the session's customer in these tests


class Socket:
    """A member that records the frames sent to it; ``room`` frames fit in its queue."""

    def __init__(self, name: str, customer_id: str = CUSTOMER, room: int = 10_000) -> None:
        self.name = name
        self.customer_id = customer_id
        self.room = room
        self.frames: list[dict] = []

    def send(self, frame: str | bytes) -> None:
        self.frames.append(json.loads(frame))

    def offer(self, frame: str | bytes) -> bool:
        if self.room <= 0:
            return False
        self.room -= 1
        self.send(frame)
        return True

    def last_state(self) -> dict:
        states = [f for f in self.frames if f["type"] == "control_state"]
        assert states, f"{self.name} got no control_state"
        return {k: v for k, v in states[-1].items() if k != "type"}


NOBODY = {
    "mouse": False, "keyboard": False, "requested": False,
    "requested_by": None, "mouse_holder": None, "keyboard_holder": None,
}  # fmt: skip
MOVE = MouseInput("move", 10, 20)
CLICK = MouseInput("down", 10, 20, "left")
RELEASE = MouseInput("up", 10, 20, "left")
KEY = KeyInput("down", "Enter", "Enter")
KEY_UP = KeyInput("up", "Enter", "Enter")
TEXT = KeyInput("text", text="안녕")


def _allowed(control: SessionControl, viewer, message, now: float = 0.0) -> bool:
    try:
        control.check_input(viewer, message, now)
    except ProtocolError as error:
        assert error.code is ErrorCode.NOT_ALLOWED
        assert error.message.startswith("control not granted")
        return False
    return True


@pytest.mark.parametrize(
    ("mouse", "keyboard", "expected"),
    [
        (True, False, {"move": True, "click": True, "key": False, "text": False}),
        (False, True, {"move": False, "click": False, "key": True, "text": True}),
        (True, True, {"move": True, "click": True, "key": True, "text": True}),
    ],
)
def test_each_kind_of_input_needs_its_own_grant(mouse, keyboard, expected):
    """Mouse events need the mouse grant, keys and text the keyboard grant."""
    control, viewer = SessionControl(), Socket("viewer")
    control.grant(mouse, keyboard, [viewer], CUSTOMER)
    got = {
        name: _allowed(control, viewer, message)
        for name, message in (("move", MOVE), ("click", CLICK), ("key", KEY), ("text", TEXT))
    }
    assert got == expected


def test_nothing_passes_without_a_grant_or_after_revoke():
    """No grant: refused; grant then revoke: refused again; a pending request grants nothing."""
    control, viewer = SessionControl(), Socket("viewer")
    control.request(viewer)
    assert not _allowed(control, viewer, MOVE) and not _allowed(control, viewer, KEY)
    control.grant(True, True, [viewer], CUSTOMER)
    assert _allowed(control, viewer, MOVE) and _allowed(control, viewer, KEY)
    control.revoke(mouse=True, keyboard=False)
    assert not _allowed(control, viewer, MOVE) and _allowed(control, viewer, KEY)
    control.revoke(mouse=True, keyboard=True)
    assert not _allowed(control, viewer, KEY) and not _allowed(control, viewer, RELEASE)


def test_the_grant_goes_to_the_viewer_that_asked_else_to_every_viewer():
    """With a request pending only the asker gets control; unasked, all the customer's viewers."""
    tab, app = Socket("tab"), Socket("app")
    asked = SessionControl()
    asked.request(app)
    asked.grant(True, False, [tab, app], CUSTOMER)
    assert (_allowed(asked, tab, MOVE), _allowed(asked, app, MOVE)) == (False, True)
    assert asked.requester is None
    unasked = SessionControl()
    unasked.grant(True, False, [tab, app], CUSTOMER)
    assert (_allowed(unasked, tab, MOVE), _allowed(unasked, app, MOVE)) == (True, True)


def test_a_grant_without_viewers_is_refused():
    """Nobody to hand control to: not_allowed, and nothing changes."""
    control = SessionControl()
    with pytest.raises(ProtocolError) as caught:
        control.grant(True, True, [], CUSTOMER)
    assert caught.value.code is ErrorCode.NOT_ALLOWED
    assert control.agent_state() == NOBODY


def test_a_holder_that_leaves_loses_its_grant_and_request():
    """Disconnecting clears that viewer's share; another holder keeps its own."""
    tab, app = Socket("tab"), Socket("app")
    control = SessionControl()
    control.grant(True, True, [tab, app], CUSTOMER)
    assert control.viewer_left(tab) is True
    assert not _allowed(control, tab, MOVE) and _allowed(control, app, MOVE)
    assert control.viewer_left(app) is True
    assert control.agent_state() == NOBODY
    control.request(tab)
    assert control.viewer_left(tab) is True and control.requester is None
    assert control.viewer_left(tab) is False


def test_every_kind_of_input_is_rate_limited_but_the_release_of_a_press_passes():
    """Past the burst every kind is refused with rate_limited, `up` included; only the one
    release of something this viewer pressed through the relay still passes, once."""
    control, viewer = SessionControl(), Socket("viewer")
    control.grant(True, True, [viewer], CUSTOMER)
    control.check_input(viewer, CLICK, 100.0)
    control.check_input(viewer, KEY, 100.0)
    for _ in range(int(INPUT_BURST) - 2):
        control.check_input(viewer, MOVE, 100.0)
    for message in (MOVE, CLICK, KEY, TEXT, MouseInput("wheel", 1, 1, dy=1), KeyInput("up", "x")):
        with pytest.raises(ProtocolError) as caught:
            control.check_input(viewer, message, 100.0)
        assert caught.value.code is ErrorCode.RATE_LIMITED, message
    control.check_input(viewer, RELEASE, 100.0)
    control.check_input(viewer, KEY_UP, 100.0)
    for message in (RELEASE, KEY_UP):  # released already: a second one is rate-limited
        with pytest.raises(ProtocolError):
            control.check_input(viewer, message, 100.0)
    control.check_input(viewer, MOVE, 101.0)  # the bucket refills with time


def test_a_flood_of_releases_passes_only_at_the_rate():
    """2,000 `up` events at once: the burst passes, the rest is refused."""
    control, viewer = SessionControl(), Socket("viewer")
    control.grant(True, True, [viewer], CUSTOMER)
    passed = 0
    for _ in range(2000):
        try:
            control.check_input(viewer, RELEASE, 50.0)
            passed += 1
        except ProtocolError:
            pass
    assert passed == INPUT_BURST


def test_a_grant_is_bound_to_the_customer_and_the_sockets_it_was_given_to():
    """A grant goes to one customer's sockets only; a socket of another customer token in the
    same session, or one that opened after the grant, holds nothing; a request from another
    customer does not redirect a grant naming this one."""
    mine, later = Socket("mine"), Socket("later")
    old = Socket("old", customer_id="0ldc0ffee000")
    control = SessionControl()
    control.request(old)
    control.grant(True, True, [old, mine], CUSTOMER)
    assert [_allowed(control, s, MOVE) for s in (mine, old, later)] == [True, False, False]
    assert control.requester is old  # its request was not answered by this grant
    assert control.agent_state()["mouse_holder"] == {"customer_id": CUSTOMER, "name": "mine"}
    assert control.agent_state()["requested_by"] == {"customer_id": old.customer_id, "name": "old"}
    with pytest.raises(ProtocolError) as caught:
        control.grant(True, False, [old, mine], "nobody-here")
    assert caught.value.code is ErrorCode.NOT_ALLOWED
    impostor = Socket("mine")  # same name and customer id, another socket
    assert not _allowed(control, impostor, MOVE)


def test_input_the_presenter_has_no_room_for_is_dropped_not_forced():
    """Forwarded input is offered to the presenter: what does not fit is counted as dropped,
    and the sender hears nothing (the presenter is never closed for it)."""
    viewer, presenter = Socket("viewer"), Socket("presenter", customer_id="", room=3)
    desk = ControlDesk()
    desk.handle("s", None, GrantControl(True, True), presenter, [viewer], True, 0.0, CUSTOMER)
    presenter.room = 3
    for _ in range(10):
        desk.handle("s", viewer, MOVE, presenter, [viewer], False, 0.0)
    assert (desk.forwarded, desk.dropped) == (3, 7)


def test_the_desk_tells_each_side_its_own_view_and_forwards_only_granted_input():
    """control_state: a viewer sees its own grant, the agent and presenter see the session's;
    granted input reaches the presenter re-encoded, refused input does not."""
    chat, presenter, tab, other = Socket("chat"), Socket("presenter"), Socket("tab"), Socket("o")
    desk = ControlDesk(agent_chat=lambda session_id: chat)
    viewers = [tab, other]

    def handle(member, message, is_agent=False):
        desk.handle("s1", member, message, presenter, viewers, is_agent, 0.0, CUSTOMER)

    handle(tab, RequestControl())
    tab_who = {"customer_id": CUSTOMER, "name": "tab"}
    assert chat.last_state() == {**NOBODY, "requested": True, "requested_by": tab_who}
    assert tab.last_state()["requested"] is True and other.last_state()["requested"] is False
    with pytest.raises(ProtocolError):
        handle(tab, GrantControl(True, True))  # a viewer cannot grant itself
    handle(chat, GrantControl(mouse=False, keyboard=True), is_agent=True)
    assert tab.last_state() == {"mouse": False, "keyboard": True, "requested": False}
    assert other.last_state() == {"mouse": False, "keyboard": False, "requested": False}
    assert presenter.last_state() == {**NOBODY, "keyboard": True, "keyboard_holder": tab_who}
    handle(tab, KEY)
    assert presenter.frames[-1] == {
        "type": "key_input", "action": "down", "key": "Enter", "code": "Enter", "modifiers": [],
    }  # fmt: skip
    for sender, message in ((tab, CLICK), (other, KEY)):
        with pytest.raises(ProtocolError) as caught:
            handle(sender, message)
        assert caught.value.code is ErrorCode.NOT_ALLOWED
    with pytest.raises(ProtocolError):
        handle(presenter, KEY, is_agent=True)  # the agent side never sends input
    assert [f["type"] for f in presenter.frames].count("key_input") == 1
    assert (desk.forwarded, desk.refused) == (1, 2)
    desk.clear("s1", presenter, viewers)  # present_pause / present_stop
    assert chat.last_state() == NOBODY
    assert tab.last_state()["keyboard"] is False


def test_input_without_a_presenter_is_refused():
    """A granted viewer whose agent is not presenting gets not_allowed."""
    viewer = Socket("viewer")
    desk = ControlDesk()
    desk.handle("s", None, GrantControl(True, True), None, [viewer], True, 0.0, CUSTOMER)
    with pytest.raises(ProtocolError) as caught:
        desk.handle("s", viewer, MOVE, None, [viewer], False, 0.0)
    assert caught.value.message == "the agent is not presenting"


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ({"type": "mouse_input", "action": "jump", "x": 1, "y": 1}, "'action' of mouse_input"),
        ({"type": "mouse_input", "action": "move", "x": "1", "y": 1}, "'x' of mouse_input"),
        ({"type": "mouse_input", "action": "move", "x": -1, "y": 1}, "on the screen"),
        ({"type": "mouse_input", "action": "move", "x": 1, "y": 99999}, "on the screen"),
        ({"type": "mouse_input", "action": "down", "x": 1, "y": 1}, "requires 'button'"),
        ({"type": "mouse_input", "action": "down", "x": 1, "y": 1, "button": "x"}, "'button'"),
        ({"type": "mouse_input", "action": "wheel", "x": 1, "y": 1, "dy": 500}, "limited"),
        ({"type": "mouse_input", "action": "move", "x": True, "y": 1}, "must be int"),
        ({"type": "key_input", "action": "press", "key": "a"}, "'action' of key_input"),
        ({"type": "key_input", "action": "down"}, "requires 'key'"),
        ({"type": "key_input", "action": "down", "key": "x" * 33}, "1-32 chars"),
        ({"type": "key_input", "action": "down", "key": "a", "modifiers": ["hyper"]}, "modifiers"),
        ({"type": "key_input", "action": "down", "key": "a", "modifiers": "ctrl"}, "must be list"),
        ({"type": "key_input", "action": "text", "text": ""}, "1-256 chars"),
        ({"type": "key_input", "action": "text", "text": "a" * 257}, "1-256 chars"),
        ({"type": "key_input", "action": "text", "text": "a\x1b[2J"}, "control characters"),
        ({"type": "grant_control"}, "grants nothing"),
        ({"type": "grant_control", "mouse": "yes"}, "must be bool"),
        ({"type": "grant_control", "mouse": True, "customer_id": ""}, "1-64 chars"),
        ({"type": "grant_control", "mouse": True, "customer_id": "c" * 65}, "1-64 chars"),
        ({"type": "grant_control", "mouse": True, "customer_id": 7}, "must be str"),
        ({"type": "revoke_control", "keyboard": 1}, "must be bool"),
    ],
)
def test_malformed_control_messages_are_refused_with_a_clear_error(frame, message):
    """Every malformed control or input frame raises bad_message naming the problem."""
    with pytest.raises(ProtocolError) as caught:
        decode_client_message(json.dumps(frame))
    assert caught.value.code is ErrorCode.BAD_MESSAGE
    assert message in caught.value.message


def test_input_messages_parse_and_reencode_to_what_the_presenter_reads():
    """Defaults are filled in, modifiers ordered, unknown fields dropped on the way on."""
    wheel = decode_client_message(
        '{"type":"mouse_input","action":"wheel","x":5,"y":6,"dy":-3,"evil":1}'
    )
    assert json.loads(wheel.to_frame()) == {
        "type": "mouse_input", "action": "wheel", "x": 5, "y": 6, "dx": 0, "dy": -3,
    }  # fmt: skip
    key = decode_client_message(
        '{"type":"key_input","action":"down","key":"c","code":"KeyC","modifiers":["alt","ctrl"]}'
    )
    assert key == KeyInput("down", "c", "KeyC", ("ctrl", "alt"))
    text = decode_client_message('{"type":"key_input","action":"text","text":"한글 ok\\n"}')
    typed = {"type": "key_input", "action": "text", "text": "한글 ok\n"}
    assert json.loads(text.to_frame()) == typed
    assert decode_client_message('{"type":"revoke_control"}') == RevokeControl(True, True)
    assert decode_client_message('{"type":"grant_control","mouse":true}') == GrantControl(
        True, False
    )


def test_refused_input_is_answered_at_most_ten_times_a_second():
    """A viewer flooding refused input gets a few errors; the rest is dropped silently."""
    viewer, presenter = Socket("viewer"), Socket("presenter")
    desk = ControlDesk()
    answered = 0
    for _ in range(100):
        try:
            desk.handle("s", viewer, MOVE, presenter, [viewer], False, 5.0)
        except ProtocolError:
            answered += 1
    assert answered == INPUT_ERRORS_PER_S and desk.refused == 100
    assert presenter.frames == []
    with pytest.raises(ProtocolError):
        desk.handle("s", viewer, MOVE, presenter, [viewer], False, 6.0)  # a second later
