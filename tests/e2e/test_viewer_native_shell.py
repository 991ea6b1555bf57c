"""ui/viewer/native_shell.js in Chromium, with a recording stand-in for the program's bridge.

The viewer program (tests/e2e/test_builds.py) runs the page in WebKitGTK; here the same page
runs in Chromium with ``window.pywebview.api`` replaced by a recorder, so that each native hook
is checked on its own: the session from the fragment, the end report, full screen, Close, the
first frame, and that a browser tab (no fragment) gets none of it.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from suite.files.client import FileTransferClient
from tests.support.chat_client import end_session_as_agent
from tests.support.viewer_presenter import Presenter, sample_image, start_session, wait_for_stats
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

# The recorder pywebview's bridge would be; it announces itself the way pywebview does.
FAKE_BRIDGE = """
window.__bridgeCalls = [];
const answers = { receive_file: "/home/kim/Downloads/RemoteSales/offer.pdf" };
const record = (name) => (...args) => {
  window.__bridgeCalls.push([name, ...args]);
  return Promise.resolve(answers[name] ?? null);
};
const names = ["session_over", "close", "toggle_fullscreen", "first_frame",
  "receive_file", "open_received_folder"];
window.pywebview = { api: Object.fromEntries(names.map((name) => [name, record(name)])) };
"""


def calls(page: Page) -> list[list]:
    return page.evaluate("window.__bridgeCalls")


def open_native(browser, session, fragment: bool = True) -> Page:
    context = browser.new_context(viewport={"width": 1100, "height": 700})
    context.add_init_script(FAKE_BRIDGE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.rs_errors = errors  # type: ignore[attr-defined]
    query = urlencode(
        {
            "rs-native": "1",
            "session_id": session.session_id,
            "customer_token": session.customer_token,
        }
    )
    page.goto(f"{session.relay_url}/view/native" + (f"#{query}" if fragment else ""))
    return page


def test_the_program_gets_the_session_end_full_screen_close_and_first_frame(browser, relay) -> None:
    """With the fragment, the page joins with no sessionStorage from a chat, clears the
    fragment, and reports the first frame and the end to the program."""
    session = start_session(relay)
    page = open_native(browser, session)
    try:
        wait_for_stats(page, lambda s: s["status"] == "online")
        assert "#" not in page.url and "customer_token" not in page.url
        stored = json.loads(page.evaluate("sessionStorage.getItem('rs.customer.session')"))
        assert stored["session_id"] == session.session_id
        assert page.evaluate("document.documentElement.dataset.native") == "true"

        presenter = Presenter(session)
        try:
            presenter.start((320, 200))
            presenter.frame(1, 0, 0, sample_image(320, 200), (320, 200), "png")
            wait_for_stats(page, lambda s: s["framesPainted"] == 1)
            expect(page.get_by_test_id("viewer-state")).to_have_attribute("data-state", "live")
            assert ["first_frame"] in _wait_calls(page, lambda c: ["first_frame"] in c)

            page.get_by_test_id("viewer-fullscreen").click()
            assert ["toggle_fullscreen"] in _wait_calls(page, lambda c: ["toggle_fullscreen"] in c)
        finally:
            presenter.close()

        end_session_as_agent(relay.ws_url, session.session_id, session.agent_token)
        expect(page.get_by_test_id("viewer-overlay")).to_have_attribute("data-kind", "ended")
        assert ["session_over", "ended"] in _wait_calls(
            page, lambda c: ["session_over", "ended"] in c
        )
        page.get_by_test_id("viewer-overlay-action").click()
        assert ["close"] in _wait_calls(page, lambda c: ["close"] in c)
        assert [c for c in calls(page) if c[0] == "session_over"] == [["session_over", "ended"]]
        assert page.rs_errors == []  # type: ignore[attr-defined]
    finally:
        page.context.close()


def test_a_browser_tab_without_the_fragment_stays_a_browser_viewer(browser, relay) -> None:
    """No fragment, no earlier native visit: the shell does nothing (no bridge calls)."""
    session = start_session(relay)
    page = open_native(browser, session, fragment=False)
    try:
        expect(page.get_by_test_id("viewer-overlay")).to_have_attribute("data-kind", "no_session")
        page.wait_for_timeout(300)
        assert calls(page) == []
        assert page.evaluate("document.documentElement.dataset.native") is None
    finally:
        page.context.close()


def _wait_calls(page: Page, condition, timeout_ms: int = 5000) -> list[list]:
    """The bridge calls so far, once ``condition(calls)`` holds."""
    seen: list[list] = []

    def met() -> bool:
        seen[:] = calls(page)
        return bool(condition(seen))

    wait_until(
        met, "the native bridge calls", timeout_ms / 1000, 0.05,
        pause=lambda seconds: page.wait_for_timeout(seconds * 1000),
        detail=lambda: f"calls: {seen}",
    )  # fmt: skip
    return list(seen)


def test_download_in_the_program_is_the_programs_own_save(browser, relay, tmp_path: Path) -> None:
    """A file from the agent: Download hands the transfer to the program (which streams and
    checks it), then the row says where it went and offers Open folder; no browser download."""
    session = start_session(relay)
    page = open_native(browser, session)
    downloads: list[object] = []
    page.on("download", lambda download: downloads.append(download))
    try:
        wait_for_stats(page, lambda s: s["status"] == "online")
        source = tmp_path / "offer.pdf"
        source.write_bytes(b"%PDF-1.7 price list")
        agent = FileTransferClient(relay.url, f"Bearer {session.agent_token}")
        sent = agent.send(session.session_id, source)
        page.get_by_test_id("file-download").click()
        found = _wait_calls(page, lambda c: any(x[0] == "receive_file" for x in c))
        receive = [c for c in found if c[0] == "receive_file"]
        assert len(receive) == 1
        assert receive[0][1]["id"] == sent["id"] and receive[0][1]["sha256"] == sent["sha256"]
        expect(page.get_by_test_id("file-status")).to_have_text("Saved as offer.pdf")
        page.get_by_test_id("file-open-folder").click()
        assert ["open_received_folder"] in _wait_calls(
            page, lambda c: ["open_received_folder"] in c
        )
        assert downloads == [], "the browser engine downloaded nothing itself"
        assert page.rs_errors == []  # type: ignore[attr-defined]
    finally:
        page.context.close()
