"""The relay's /agent page opened with the desktop app's one-time sign-in link (CH9): a bad,
used or expired link says so on the sign-in form, in English and Korean, and the ticket never
stays in the address. (The good link, from the real app, is in test_desktop_calls.py.)"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.api import Api
from tests.support.chat_client import end_session_as_agent
from tests.support.relay import ALICE
from tests.support.ui_pages import close_pages, open_page
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ["RS_SHOTS_DIR"]) if os.environ.get("RS_SHOTS_DIR") else None
BROWSER_SIZE = {"width": 1280, "height": 800}


def test_bad_and_expired_links_say_so_in_the_agents_language(
    browser, relay_factory, request, artifacts_dir: Path
):
    """An unknown ticket reads "not valid", an expired one (a 1 s lifetime here) "expired",
    in Korean in a Korean browser, one of a support that has ended since "has ended"; each
    time the page is at the sign-in form, the address has no fragment left, and nobody is
    signed in."""
    relay = relay_factory("--handoff-lifetime", "1")
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    session_id = api.new_support(token)["session_id"]
    pages = []
    try:
        unknown = open_page(browser, f"{relay.url}/agent#handoff={'A' * 43}", BROWSER_SIZE)
        pages.append(unknown)
        expect(unknown.get_by_test_id("login-error")).to_contain_text(
            "This sign-in link is not valid. Open the call again from the RemoteSales app."
        )
        assert unknown.evaluate("location.hash") == ""
        assert unknown.evaluate("sessionStorage.getItem('rs.agent.auth')") in (None, "null")

        status, issued, _ = api.request("POST", "/api/handoffs", {"session_id": session_id}, token)
        assert status == 201
        wait_until(lambda: time.time() > issued["expires_at"] + 0.05, "the link's expiry", 5, 0.05)
        for locale, text in (
            ("en-US", "This sign-in link has expired: it works for one minute."),
            ("ko-KR", "로그인 링크가 만료되었습니다(1분 동안만 유효)."),
        ):
            page = open_page(browser, issued["url"], BROWSER_SIZE, locale=locale)
            pages.append(page)
            expect(page.get_by_test_id("login-error")).to_contain_text(text)
            assert page.evaluate("location.hash") == ""
            for folder in filter(None, (artifacts_dir, SHOTS)):
                lang = locale[:2]
                page.screenshot(path=str(folder / f"browser-link-expired-{lang}-1280x800.png"))

        # A link to a support that has ended since says so (and works no more).
        relay_token = api.login(ALICE.username, ALICE.password)
        live_id = api.new_support(relay_token)["session_id"]
        status, fresh, _ = api.request("POST", "/api/handoffs", {"session_id": live_id}, token)
        assert status == 201
        end_session_as_agent(relay.ws_url, live_id, relay_token)
        over = open_page(browser, fresh["url"], BROWSER_SIZE)
        pages.append(over)
        expect(over.get_by_test_id("login-error")).to_contain_text(
            "The support of this sign-in link has ended."
        )
    finally:
        close_pages(pages, request)


def test_the_call_support_probe_says_where_a_call_can_run(open_ui) -> None:
    """call_support.js (pure): a call runs here with WebRTC, getUserMedia and the app's media
    permissions; otherwise the reason, in this order: the agent's setting, no WebRTC, no
    getUserMedia, no camera access (with the app's detail); a browser tab asks no app."""
    page = open_ui("/agent")
    result = page.evaluate(
        """async () => {
            const { callSupport } = await import("/ui/agent/call_support.js");
            const full = { RTCPeerConnection: function () {},
                           navigator: { mediaDevices: { getUserMedia() {} } } };
            const app = (available, inBrowser = false) => ({
                media: { available, reason: available ? null : "not wired here" },
                open_in_browser: inBrowser });
            return {
                tab: callSupport(window),
                app: callSupport(full, app(true)),
                setting: callSupport(full, app(true, true)).reason,
                noRtc: callSupport({ navigator: full.navigator }, app(true)).reason,
                noMedia: callSupport({ RTCPeerConnection: full.RTCPeerConnection,
                                       navigator: {} }, app(true)).reason,
                noAccess: callSupport(full, app(false)),
            };
        }"""
    )
    assert result["tab"]["here"] is True and result["tab"]["reason"] is None
    assert result["app"] == {"webrtc": True, "getUserMedia": True, "permission": True,
                             "here": True, "reason": None, "detail": None}  # fmt: skip
    assert (result["setting"], result["noRtc"], result["noMedia"]) == (
        "setting", "no_webrtc", "no_media",
    )  # fmt: skip
    assert result["noAccess"]["here"] is False
    assert result["noAccess"]["reason"] == "no_camera_access"
    assert result["noAccess"]["detail"] == "not wired here"
