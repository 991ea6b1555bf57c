"""Calls in the real desktop agent app under Xvfb (CH9): the camera and microphone gate of its
QtWebEngine windows and the system-browser fallback, signed in to the same support.

The app runs with fake media devices (QTWEBENGINE_CHROMIUM_FLAGS
``--use-fake-device-for-media-stream``, tests only) and never with a fake permission UI: every
camera request goes through the app's own permission handler (web_permissions.py). $BROWSER is
a tiny script that records the URL the app hands to the system browser; the test opens that
URL in Playwright's Chromium, as the agent's browser would.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.agent_app import AgentApp
from tests.support.cdp import CdpPage, by_test_id, visible_js, wait_for_target
from tests.support.desktop_flow import (
    desktop_support_with_customer,
    driving,
    local_call_js,
    private_display,
)
from tests.support.waiting import wait_until
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test signs in, opens its own supports and customers, and
    shared_relay puts alice's account data back after it (a relay's start is seconds of a
    desktop test on a loaded machine)."""
    return shared_relay


SHOTS = Path(os.environ.get("RS_SHOTS_DIR", "")) if os.environ.get("RS_SHOTS_DIR") else None
FAKE_MEDIA = "--use-fake-device-for-media-stream"
# getUserMedia in a window of the app: "granted: <kinds>" or "refused: <name>" (QtWebEngine
# reports a refusal as AbortError "Invalid state").
GET_MEDIA_JS = """navigator.mediaDevices.getUserMedia({audio: true, video: true}).then(
  (stream) => { const kinds = stream.getTracks().map((t) => t.kind).sort().join(",");
                stream.getTracks().forEach((t) => t.stop()); return "granted: " + kinds; },
  (error) => "refused: " + error.name)"""


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    """A private 1920x1080 X display for this module's windows."""
    yield from private_display()


@pytest.fixture
def browser_log(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """$BROWSER: a script that records each URL it is given (one a line) and exits 0."""
    log = tmp_path / "browser-urls.txt"
    script = tmp_path / "record-browser.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{log}"\n')
    script.chmod(0o755)
    return {"BROWSER": str(script)}, log


def shot(page, name: str, artifacts_dir: Path) -> None:
    """Keep a screenshot in the test artifacts (and the shots folder when asked for)."""
    for folder in filter(None, (artifacts_dir, SHOTS)):
        if isinstance(page, CdpPage):
            page.screenshot(folder / f"{name}.png")
        else:
            page.screenshot(path=str(folder / f"{name}.png"))


def test_camera_gate_and_the_call_in_the_system_browser(
    xvfb, relay, tmp_path, browser, browser_log, artifacts_dir: Path
):
    """Outside a call no window of the app gets the camera or microphone (the main window is
    refused); a chat window whose support is in a call gets them (fake devices). With "Open calls
    in my web browser" the notice's Call says why and opens the support in the system browser
    ($BROWSER) through a one-time link: that browser is signed in, in the same support, and
    the chat window says where the support went; the call starts there; the link works once."""
    from playwright.sync_api import expect

    from tests.support.calls import wait_call
    from tests.support.ui_pages import open_page, rs_state

    env, urls = browser_log
    flags = f"{os.environ.get('QTWEBENGINE_CHROMIUM_FLAGS', '')} {FAKE_MEDIA}".strip()
    app = AgentApp(
        xvfb, tmp_path, relay_url=relay.url, extra_env={**env, "QTWEBENGINE_CHROMIUM_FLAGS": flags}
    ).start()
    with driving(app, artifacts_dir, "desktop-calls") as windows:
        support = desktop_support_with_customer(app, windows, browser, relay.url)
        main, chat, customer = support.main, support.chat, support.customer
        session_id = chat.evaluate("window.__rsTest.state().sessionId")

        # -- the gate: no call, no camera; a call in this support: its window only -----------
        # (pywebview's own flag used to grant every page of every origin without asking.)
        assert main.evaluate(GET_MEDIA_JS) == "refused: AbortError"
        start = {"session_id": session_id, "action": "start"}
        assert chat.evaluate(local_call_js("POST", "/local/calls", start)) == 200
        assert chat.evaluate(GET_MEDIA_JS) == "granted: audio,video", app.log()
        end = {"session_id": session_id, "action": "end"}
        assert chat.evaluate(local_call_js("POST", "/local/calls", end)) == 200
        log = app.log()
        assert "page permission MediaAudioVideoCapture" in log and ": refused" in log, log
        assert ": granted" in log

        # -- the system-browser fallback from the notice's Call ------------------------------
        # Settings › Remote support: "Open calls in my web browser", saved when ticked.
        main.click(by_test_id("settings-button"))
        main.click(by_test_id("tab-remote"))
        main.click(by_test_id("call-in-browser"))
        main.wait_for(
            f"document.querySelector('{by_test_id('call-settings')}')"
            ".querySelector('[role=status]').textContent === 'Saved.'"
        )
        main.evaluate(f"document.querySelector('{by_test_id('call-settings')}').scrollIntoView()")
        shot(main, "desktop-settings-calls-en-1100x760", artifacts_dir)
        notice = CdpPage(wait_for_target(app.devtools_port, lambda t: "notice.html" in t["url"]))
        windows.pages.append(notice)
        notice.wait_for(visible_js(by_test_id("notice-call")))
        shot(notice, "desktop-notice-call-en-380x300", artifacts_dir)
        notice.click(by_test_id("notice-call"))
        chat.wait_for(
            f"document.querySelector('{by_test_id('deskcall-bar')}')?.dataset.step === 'opened'"
        )
        assert "chose to have calls in your web browser" in chat.text(by_test_id("deskcall-why"))
        shot(chat, "desktop-chat-call-in-browser-en-960x720", artifacts_dir)
        use_korean(chat)
        assert "웹 브라우저" in chat.text(by_test_id("deskcall-why"))
        shot(chat, "desktop-chat-call-in-browser-ko-960x720", artifacts_dir)
        url = wait_until(lambda: urls.exists() and urls.read_text().strip(), "the browser's URL")
        assert url.startswith(f"{relay.url}/agent#handoff=") and url.endswith("&call=video"), url
        ticket = url.split("#handoff=")[1].split("&")[0]
        assert ticket not in app.log() and ticket not in relay.log_text()

        agent_browser = open_page(browser, url)
        windows.customers.append(agent_browser)
        wait_until(
            lambda: (
                rs_state(agent_browser).get("sessionId") == session_id
                and rs_state(agent_browser).get("status") == "online"
            ),
            "the browser in the support, online",
        )
        assert agent_browser.evaluate("location.hash") == ""  # the ticket left the address
        assert agent_browser.evaluate("window.__rsTest.state().mode") == "browser"
        agent_browser.get_by_test_id("chat-input").wait_for()
        # The link works once: opened again, it signs nobody in. (Checked before the call
        # connects: a page opened beside a two-way video call loads 2-4 times slower.)
        again = open_page(browser, url)
        windows.customers.append(again)
        expect(again.get_by_test_id("login-error")).to_contain_text("already used")
        shot(again, "browser-link-used-en-1280x720", artifacts_dir)
        # The call the notice asked for starts there: the customer is rung and answers.
        expect(customer.get_by_test_id("call-prompt")).to_be_visible(timeout=15_000)
        customer.get_by_test_id("call-accept").click()
        wait_call(agent_browser, CONNECTED)
        wait_call(customer, CONNECTED)
        expect(agent_browser.get_by_test_id("chat-notice").first).to_be_visible()
        shot(agent_browser, "browser-opened-from-app-in-call-en-1280x720", artifacts_dir)
        # The browser took the agent's place in the support: the window says where it went.
        chat.wait_for(
            "document.querySelector('#home-error')?.dataset.i18n"
            " === 'deskcall.continued_in_browser'"
        )
        chat.wait_for(visible_js(by_test_id("home-action")))
        shot(chat, "desktop-chat-continued-in-browser-ko-960x720", artifacts_dir)

        # "Use here": the chat window takes the support back from the browser.
        chat.click(by_test_id("home-action"))
        chat.wait_for_selector(by_test_id("chat-input"))
        # The account's language is Korean now (picked in the chat window above): check the key.
        expect(agent_browser.get_by_test_id("home-error")).to_have_attribute(
            "data-i18n", "agent.replaced"
        )
        windows.close()
        assert app.stop() == 0


# getStats() of the chat window's link to the customer, sampled twice a second apart.
FLOWING_JS = """(async () => {
  const sample = async () => Object.values(await window.__rsTest.callStats())[0];
  const deadline = performance.now() + 15000;
  let a = await sample();
  while (performance.now() < deadline) {
    await new Promise((done) => setTimeout(done, 1000));
    const b = await sample();
    if (a && b && b.framesDecoded > a.framesDecoded && b.audioPackets > a.audioPackets) {
      return {a, b};
    }
    a = b;
  }
  throw new Error("no frames: " + JSON.stringify(a));
})()"""
CONNECTED = (
    "call.phase === 'active' && "
    "Object.values(call.links).some((s) => s === 'connected' || s === 'relaying')"
)
CONNECTED_JS = (
    "(() => { const call = window.__rsTest.call(); return call && call.phase === 'active' &&"
    " Object.values(call.links).some((s) => s === 'connected' || s === 'relaying'); })()"
)


def use_korean(page: CdpPage) -> None:
    """Switch a window to Korean as the agent does (the language menu; the notice has none,
    so there the remembered choice and a reload)."""
    if page.evaluate("Boolean(document.getElementById('language-select'))"):
        page.evaluate(
            "(() => { const s = document.getElementById('language-select'); s.value = 'ko';"
            " s.dispatchEvent(new Event('change')); })()"
        )
    else:
        page.evaluate("localStorage.setItem('rs.language', 'ko'); location.reload()")
    page.wait_for("document.documentElement.lang === 'ko'")


def drag(page: CdpPage, selector: str, dx: int, dy: int) -> None:
    """Drag the element's middle by (dx, dy) with real mouse events."""
    box = page.evaluate(
        f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
        ".getBoundingClientRect(); return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()"
    )
    x, y = box["x"], box["y"]
    page.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y, button="none")
    page.send("Input.dispatchMouseEvent", type="mousePressed", x=x, y=y, button="left",
              clickCount=1)  # fmt: skip
    for step in range(1, 6):
        page.send("Input.dispatchMouseEvent", type="mouseMoved", x=x + dx * step / 5,
                  y=y + dy * step / 5, button="left", buttons=1)  # fmt: skip
    page.send("Input.dispatchMouseEvent", type="mouseReleased", x=x + dx, y=y + dy,
              button="left", clickCount=1)  # fmt: skip


def test_a_video_call_in_the_desktop_chat_window(
    xvfb, relay, tmp_path, browser, artifacts_dir: Path
):
    """The agent calls from the chat window of the real app (QtWebEngine, fake devices) and a
    Chromium customer answers: each side decodes the other's video frames and audio packets
    (getStats); the tile moves by its top bar; the customer's hang-up ends both. A second call
    from the notice's Call works the same and the agent's hang-up ends both; the app lets the
    window use the devices only while a call is on."""
    from playwright.sync_api import expect

    from tests.support.calls import REMOTE_VIDEO_PLAYS, wait_call, wait_stats
    from tests.support.ui_pages import by_id

    flags = f"{os.environ.get('QTWEBENGINE_CHROMIUM_FLAGS', '')} {FAKE_MEDIA}".strip()
    app = AgentApp(
        xvfb, tmp_path, relay_url=relay.url, extra_env={"QTWEBENGINE_CHROMIUM_FLAGS": flags}
    ).start()
    with driving(app, artifacts_dir, "desktop-call") as windows:
        support = desktop_support_with_customer(app, windows, browser, relay.url)
        chat, customer = support.chat, support.customer

        def answer_and_check_media() -> None:
            expect(by_id(customer, "call-prompt")).to_be_visible(timeout=15_000)
            accepted = time.monotonic()
            by_id(customer, "call-accept").click()
            wait_call(customer, "call.phase === 'active'")
            chat.wait_for(CONNECTED_JS, timeout_s=20)
            customer.wait_for_function(REMOTE_VIDEO_PLAYS, timeout=15_000)
            # For the record (not a goal here: the machine is shared): accept -> playing.
            print(f"desktop call: accept to the customer's remote video playing "
                  f"{time.monotonic() - accepted:.2f} s")  # fmt: skip
            flowing = chat.evaluate(FLOWING_JS, timeout_s=20)
            assert flowing["b"]["framesDecoded"] > flowing["a"]["framesDecoded"], flowing
            wait_stats(customer, "agent", "b.framesDecoded > a.framesDecoded && "
                       "b.audioPackets > a.audioPackets")  # fmt: skip
            assert chat.evaluate(local_call_js("GET", "/local/calls")) == 200

        # 1. From the chat window's own Video call button.
        chat.wait_for(f"!document.querySelector('{by_test_id('call-start-video')}').disabled")
        chat.click(by_test_id("call-start-video"))
        answer_and_check_media()
        shot(chat, "desktop-chat-in-call-en-960x720", artifacts_dir)
        shot(customer, "customer-in-call-with-desktop-en-1280x720", artifacts_dir)
        tile = by_test_id("call-tile")
        before = chat.evaluate(f"document.querySelector('{tile}').getBoundingClientRect().top")
        drag(chat, f"{tile} .rs-call__grip", -300, -250)
        after = chat.evaluate(f"document.querySelector('{tile}').getBoundingClientRect().top")
        assert after < before - 100, (before, after)
        shot(chat, "desktop-chat-in-call-tile-moved-en-960x720", artifacts_dir)
        by_id(customer, "call-hangup").click()
        chat.wait_for(
            "(() => { const c = window.__rsTest.call(); return c && c.phase !== 'active'"
            " && c.localTracks.length === 0; })()"
        )
        wait_until(lambda: "call ended in" in app.log(), "the app to close the devices again")

        # 2. From the connection notice's Call: the chat window calls, the agent hangs up.
        # (In Korean this time, for the screenshots.)
        notice = CdpPage(wait_for_target(app.devtools_port, lambda t: "notice.html" in t["url"]))
        windows.pages.append(notice)
        use_korean(notice)
        use_korean(chat)
        notice.wait_for(visible_js(by_test_id("notice-call")))
        shot(notice, "desktop-notice-call-ko-380x300", artifacts_dir)
        notice.click(by_test_id("notice-call"))
        answer_and_check_media()
        shot(chat, "desktop-chat-in-call-ko-960x720", artifacts_dir)
        chat.click(by_test_id("call-hangup"))
        wait_call(customer, "call.phase === 'ended' && call.localTracks.length === 0")
        chat.wait_for("window.__rsTest.call().localTracks.length === 0")
        # The app logs the end once the window gave the devices back: a moment after the page.
        wait_until(lambda: app.log().count("call ended in") == 2, "the second call's end logged")
        log = app.log()
        assert log.count("call started in") == 2 and log.count("call ended in") == 2, log
        assert "MediaAudioVideoCapture" in log and ": granted" in log
        windows.close()
        assert app.stop() == 0
