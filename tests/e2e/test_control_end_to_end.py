"""Control handover end to end (P3): Chromium viewer -> real relay -> real presenter -> X.

A private Xvfb holds a Tk window that records every key and click it gets
(tests/support/input_target.py). The real presenter CLI shares that display; the customer's
viewer page runs in Chromium; the agent's chat socket is a plain websocket client that asks
for nothing but grants and revokes. Effects are checked on the X server itself: the pointer
with ``xdotool getmouselocation``, held keys with XQueryKeymap, text in the Tk window.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from websockets.exceptions import ConnectionClosed

from tests.support.api import Api
from tests.support.chat_client import ChatClient
from tests.support.input_target import InputTarget
from tests.support.relay import REPO_ROOT
from tests.support.screen_content import SCREEN_H, SCREEN_W
from tests.support.ui_pages import close_pages, screenshot
from tests.support.viewer_presenter import PresentationSession, open_viewer, wait_for_stats
from tests.support.waiting import wait_until
from tests.support.x11 import pointer_position
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own support (``session``), presenter and
    viewers on its own display; grants and removals belong to that support alone."""
    return shared_relay


TARGET = (200, 150, 500, 300)  # x, y, w, h of the Tk window on the agent's screen
WAIT_S = 10.0
QUIET_S = 0.6  # how long "nothing happens" is watched for, where no marker can tell
# The presenter CLI just started: its imports and first capture took over 5 s (the socket's
# default wait) in a two-worker run at load ~20. The wait ends when the screen is live.
LIVE_WAIT_S = 30.0


@pytest.fixture(autouse=True)
def x_access(display: Xvfb, monkeypatch: pytest.MonkeyPatch) -> None:
    """python-xlib in this process (XQueryKeymap) finds the display's cookie."""
    monkeypatch.setenv("XAUTHORITY", str(display.xauthority))


@pytest.fixture
def target(display: Xvfb) -> Iterator[InputTarget]:
    x, y, w, h = TARGET
    window = InputTarget(display.env(), f"{w}x{h}+{x}+{y}", REPO_ROOT)
    yield window
    window.close()


@pytest.fixture
def agent(session: PresentationSession) -> Iterator[ChatClient]:
    """The agent's chat socket (what the chat window's control panel sends on)."""
    client = ChatClient(session.ws_url, "agent", session.session_id, session.agent_token)
    assert client.connect()["type"] == "welcome"
    yield client
    client.close()


def pointer(display: Xvfb) -> tuple[int, int]:
    return pointer_position(display.env())


def held(display: Xvfb) -> tuple[set[int], int]:
    """(keycodes down, pointer button mask) as the X server sees them now."""
    from Xlib import display as xdisplay  # noqa: PLC0415

    d = xdisplay.Display(display.display)
    try:
        keymap = d.query_keymap()
        mask = d.screen().root.query_pointer().mask
    finally:
        d.close()
    keys = {i * 8 + bit for i, byte in enumerate(keymap) for bit in range(8) if byte >> bit & 1}
    return keys, mask & 0x1F00  # Button1Mask..Button5Mask


def keycode(display: Xvfb, name: str) -> int:
    from Xlib import XK  # noqa: PLC0415
    from Xlib import display as xdisplay  # noqa: PLC0415

    d = xdisplay.Display(display.display)
    try:
        return d.keysym_to_keycode(XK.string_to_keysym(name))
    finally:
        d.close()


def click_screen(page: Page, x: int, y: int) -> None:
    """Click the viewer's picture where the agent's screen pixel (x, y) is shown."""
    box = page.get_by_test_id("viewer-canvas").bounding_box()
    assert box is not None
    page.mouse.click(
        box["x"] + (x + 0.5) * box["width"] / SCREEN_W,
        box["y"] + (y + 0.5) * box["height"] / SCREEN_H,
    )


def live_viewer(viewers, presenter) -> Page:
    page = viewers()
    presenter()
    wait_for_stats(page, lambda s: s["state"] == "live" and s["framesPainted"] > 0, 15)
    return page


def state_label(page: Page):
    return page.get_by_test_id("viewer-control-state")


def test_grant_lets_the_viewer_click_and_type_and_revoke_stops_it(
    display, target, agent, presenter, viewers
) -> None:
    """No grant: clicks and keys change nothing. Keyboard only: keys (and Korean text) reach
    the target window, clicks do not. Both: the real pointer moves and the window gets the
    click. After revoke nothing changes any more."""
    page = live_viewer(viewers, presenter)
    x, y, w, h = TARGET
    start = pointer(display)
    click_screen(page, x + 50, y + 50)
    page.keyboard.type("nope")
    # Nothing of this may reach the desktop. Input is injected in the order the viewer sent
    # it, so once the keys typed after the grant (below) have arrived alone, these are proven
    # refused: the text is exactly "Hi there", and the pointer and presses are checked then.

    page.get_by_test_id("viewer-request-control").click()
    while not agent.recv_type("control_state")["requested"]:
        pass  # the first one is the state after welcome
    expect(state_label(page)).to_have_text("Control requested…")
    agent.send({"type": "grant_control", "keyboard": True})
    expect(state_label(page)).to_have_text("You control the keyboard")
    expect(page.get_by_test_id("viewer-request-control")).to_be_hidden()
    click_screen(page, x + 100, y + 100)  # focuses the keys; the pointer stays
    page.keyboard.type("Hi there")
    target.wait_for(lambda e: e["event"] == "text" and e["text"] == "Hi there")
    page.keyboard.insert_text("안녕하세요")  # what an IME commits
    target.wait_for(lambda e: e["event"] == "text" and e["text"] == "Hi there안녕하세요")
    # An IME composing 한국 (what a Korean keyboard does): nothing is sent while composing,
    # the committed text goes at compositionend.
    cdp = page.context.new_cdp_session(page)
    for partial in ("ㅎ", "하", "한", "한ㄱ", "한구", "한국"):
        end = len(partial)
        cdp.send("Input.imeSetComposition", {"text": partial, "selectionStart": end,
                                             "selectionEnd": end})  # fmt: skip
    # Nothing is sent while composing: the text after the commit is exactly one 한국 more.
    cdp.send("Input.insertText", {"text": "한국"})
    target.wait_for(lambda e: e["event"] == "text" and e["text"] == "Hi there안녕하세요한국")
    page.keyboard.press("Enter")
    target.wait_for(lambda e: e["event"] == "key" and e["keysym"] == "Return")
    assert pointer(display) == start and target.count("press") == 0

    agent.send({"type": "grant_control", "mouse": True})
    expect(state_label(page)).to_have_text("You control mouse and keyboard")
    click_screen(page, x + 120, y + 80)
    press = target.wait_for(lambda e: e["event"] == "release")
    assert (press["num"], press["x_root"], press["y_root"]) == (1, x + 120, y + 80)
    assert pointer(display) == (x + 120, y + 80)
    screenshot(page, "e2e-control-granted")

    agent.send({"type": "revoke_control"})
    expect(state_label(page)).to_have_text("View only")
    expect(page.get_by_test_id("viewer-request-control")).to_be_visible()
    events = len(target.events)
    click_screen(page, x + 300, y + 200)
    page.keyboard.type("xyz")
    # A marker sent after them on the same path: once it has arrived, they were refused.
    agent.send({"type": "grant_control", "keyboard": True})
    expect(state_label(page)).to_have_text("You control the keyboard")
    click_screen(page, x + 300, y + 200)  # focuses the keys; the pointer stays
    page.keyboard.type("m")
    target.wait_for(lambda e: e["event"] == "text" and e["text"].endswith("m"))
    assert pointer(display) == (x + 120, y + 80)
    assert [e for e in target.events[events:] if e["event"] in ("press", "release")] == []
    assert "xyz" not in target.text()


def test_held_key_and_button_are_released_on_revoke_and_on_viewer_disconnect(
    display, target, agent, presenter, viewers
) -> None:
    """A key and a mouse button held through the viewer are let go on the X server when the
    agent revokes, and when the viewer's page goes away while holding them."""
    page = live_viewer(viewers, presenter)
    f5 = keycode(display, "F5")
    x, y, _, _ = TARGET
    for how in ("revoke", "disconnect"):
        agent.send({"type": "grant_control", "mouse": True, "keyboard": True})
        expect(state_label(page)).to_have_text("You control mouse and keyboard")
        click_screen(page, x + 10, y + 10)
        box = page.get_by_test_id("viewer-canvas").bounding_box()
        page.mouse.move(box["x"] + (x + 40) * box["width"] / SCREEN_W, box["y"] + 200)
        page.mouse.down()
        page.keyboard.down("F5")
        wait_until(
            lambda: f5 in held(display)[0] and held(display)[1], f"F5 and button down ({how})",
            WAIT_S, 0.03,
        )  # fmt: skip
        if how == "revoke":
            agent.send({"type": "revoke_control"})
        else:
            page.close()
        wait_until(
            lambda: f5 not in held(display)[0] and not held(display)[1], f"released ({how})",
            WAIT_S, 0.03,
        )  # fmt: skip
        if how == "revoke":
            expect(state_label(page)).to_have_text("View only")
            page.mouse.up()
            page.keyboard.up("F5")
    assert agent.recv_type("control_state") is not None


def test_the_agents_hotkey_takes_control_back(display, target, agent, presenter, viewers):
    """Ctrl+Alt+End on the agent's desktop revokes: the viewer and the agent's chat are told."""
    page = live_viewer(viewers, presenter)
    agent.send({"type": "grant_control", "mouse": True, "keyboard": True})
    expect(state_label(page)).to_have_text("You control mouse and keyboard")
    while not agent.recv_type("control_state")["mouse"]:
        pass  # the state after welcome comes first
    subprocess.run(["xdotool", "key", "ctrl+alt+End"], env=display.env(), check=True)
    expect(state_label(page)).to_have_text("View only")
    state = agent.recv_type("control_state")
    assert (state["mouse"], state["keyboard"]) == (False, False)


@pytest.mark.parametrize("mode", ["fit", "actual"])
def test_clicks_land_on_the_right_pixel_when_scaled_or_panned(
    display, target, agent, presenter, browser, session, request, mode
) -> None:
    """In a small window the picture is scaled down (fit) or panned by the navigator (1:1);
    either way a click on a shown pixel moves the agent's pointer to exactly that pixel."""
    page = open_viewer(browser, session, viewport={"width": 640, "height": 420})
    try:
        presenter()
        wait_for_stats(page, lambda s: s["state"] == "live" and s["framesPainted"] > 0, 15)
        page.evaluate(f"window.__rsViewer.setMode({mode!r})")
        x, y, _, _ = TARGET
        spot = (x + 333, y + 222)
        if mode == "actual":
            page.evaluate(f"window.__rsViewer.panTo({spot[0]}, {spot[1]})")
            stats = wait_for_stats(page, lambda s: s["navigatorVisible"])
            assert stats["scale"] == 1
        else:
            stats = wait_for_stats(page, lambda s: s["scale"] < 0.7)
        agent.send({"type": "grant_control", "mouse": True})
        expect(state_label(page)).to_have_text("You control the mouse")
        if mode == "fit":  # moves are coalesced to at most ~60 a second
            box = page.get_by_test_id("viewer-canvas").bounding_box()
            started = time.monotonic()
            page.mouse.move(box["x"] + 5, box["y"] + 5)
            page.mouse.move(box["x"] + box["width"] - 5, box["y"] + box["height"] - 5, steps=200)
            elapsed_s = time.monotonic() - started
            page.wait_for_timeout(100)
            sent = page.evaluate("window.__rsViewer.stats().control.sent.mouse")
            assert 1 <= sent <= elapsed_s * 60 + 3, (sent, elapsed_s)
        click_screen(page, *spot)
        press = target.wait_for(lambda e: e["event"] == "release")
        assert (press["x_root"], press["y_root"]) == spot
        assert pointer(display) == spot
        screenshot(page, f"e2e-control-{mode}")
    finally:
        close_pages([page], request, "viewer")


def test_with_application_sharing_input_outside_the_shared_window_is_ignored(
    display, target, agent, presenter, viewers
) -> None:
    """--windows: a click on the shared window lands; a click outside it moves nothing."""
    found = subprocess.run(
        ["xdotool", "search", "--name", "rs-input-target"], env=display.env(),
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    page = viewers()
    presenter("--windows", ",".join(hex(int(w)) for w in found))
    wait_for_stats(page, lambda s: s["state"] == "live" and s["framesPainted"] > 0, 15)
    agent.send({"type": "grant_control", "mouse": True})
    expect(state_label(page)).to_have_text("You control the mouse")
    x, y, w, h = TARGET
    inside = (x + 30, y + 40)

    def landed() -> bool:  # the presenter learns the window's place on a capture
        if pointer(display) == inside:
            return True
        click_screen(page, *inside)
        return False

    wait_until(landed, "a click inside the shared window to land", WAIT_S, 0.2)
    presses = target.count("press")
    click_screen(page, x + w + 100, y + h + 50)  # on the agent's desktop, not shared
    click_screen(page, 5, 5)
    # A click outside the window would land on the bare root, where nothing reports it: only
    # the pointer's place tells, so this one absence is watched for a while.
    time.sleep(QUIET_S)
    assert pointer(display) == inside
    assert target.count("press") == presses


def test_a_raw_client_without_a_grant_moves_nothing_on_the_agents_screen(
    display, target, agent, presenter, viewers, session
) -> None:
    """A customer socket that skips the viewer and sends input itself is refused by the relay:
    the real pointer and the target window stay as they are."""
    page = live_viewer(viewers, presenter)
    raw = ChatClient(session.ws_url, "customer", session.session_id, session.customer_token)
    assert raw.connect(channel="screen")["type"] == "welcome"
    start = pointer(display)
    x, y, _, _ = TARGET
    raw.send({"type": "mouse_input", "action": "move", "x": x + 9, "y": y + 9})
    raw.send({"type": "mouse_input", "action": "down", "x": x + 9, "y": y + 9, "button": "left"})
    raw.send({"type": "key_input", "action": "text", "text": "owned"})
    raw.send({"type": "grant_control", "mouse": True, "keyboard": True})
    refused = 0
    while refused < 4:
        frame = raw.ws.recv(timeout=WAIT_S)
        if isinstance(frame, str) and '"not_allowed"' in frame:
            refused += 1
    expect(state_label(page)).to_have_text("View only")
    # A marker through the relay after the refusals: the viewer, granted now, types one key.
    # Once it has arrived, whatever the raw socket sent before has been dealt with.
    agent.send({"type": "grant_control", "keyboard": True})
    expect(state_label(page)).to_have_text("You control the keyboard")
    click_screen(page, x + 100, y + 100)  # focuses the keys; the pointer stays
    page.keyboard.type("m")
    target.wait_for(lambda e: e["event"] == "text" and e["text"] == "m")
    assert pointer(display) == start
    assert target.count("press") == 0
    raw.close()


def _screen_socket(session: PresentationSession, token: str) -> ChatClient:
    """A customer's viewer socket as a raw client (what an attacker holding the token has)."""
    client = ChatClient(session.ws_url, "customer", session.session_id, token)
    assert client.connect(channel="screen")["type"] == "welcome"
    deadline = time.monotonic() + LIVE_WAIT_S
    while True:
        left_s = max(0.01, deadline - time.monotonic())
        if client.recv_type("screen_state", left_s)["state"] == "live":
            break
    return client


def _attempt(client: ChatClient, message: dict) -> None:
    try:
        client.send(message)
    except ConnectionClosed:
        pass  # the relay closed it: exactly what should happen to a removed customer


def test_a_removed_customer_injects_nothing_into_the_agents_desktop(
    display, target, agent, session, presenter
) -> None:
    """After remove_customer the old token's viewer socket asks for control, clicks and types;
    the agent grants control to the next customer who asked: the real presenter injects none
    of the old customer's input (no press, no key, no text) and the new customer's click."""
    x, y, _, _ = TARGET
    presenter()
    old = _screen_socket(session, session.customer_token)
    agent.send({"type": "remove_customer"})
    code = agent.recv_type("customer_removed")["session"]["code"]
    assert old.close_code(timeout=1.0) == 4004
    _attempt(old, {"type": "request_control"})
    joined = Api(session.relay_url).join(code=code, name="Lee Newcomer")
    new = _screen_socket(session, joined["customer_token"])
    new.send({"type": "request_control"})
    state = agent.recv_type("control_state")
    while not state["requested"]:
        state = agent.recv_type("control_state")
    assert state["requested_by"]["name"] == "Lee Newcomer"
    agent.send({"type": "grant_control", "mouse": True, "keyboard": True,
                "customer_id": state["requested_by"]["customer_id"]})  # fmt: skip
    while not new.recv_type("control_state")["mouse"]:
        pass
    for n in range(50):
        _attempt(old, {"type": "mouse_input", "action": "down", "x": x + 50 + n, "y": y + 50,
                       "button": "left"})  # fmt: skip
        _attempt(old, {"type": "mouse_input", "action": "up", "x": x + 50 + n, "y": y + 50,
                       "button": "left"})  # fmt: skip
        _attempt(old, {"type": "key_input", "action": "text", "text": "evil"})
    new.send({"type": "mouse_input", "action": "down", "x": x + 120, "y": y + 80,
              "button": "left"})  # fmt: skip
    new.send({"type": "mouse_input", "action": "up", "x": x + 120, "y": y + 80,
              "button": "left"})  # fmt: skip
    release = target.wait_for(lambda e: e["event"] == "release")
    assert (release["x_root"], release["y_root"]) == (x + 120, y + 80)
    assert target.count("press") == 1 and target.count("key") == 0
    assert "evil" not in target.text()
    new.close()
