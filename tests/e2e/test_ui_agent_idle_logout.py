"""Automatic logout after the idle time (A4), in Chromium: the rule, the desktop app's windows
(against the real local API) and the relay's /agent page.

The setting is in minutes; the tests shorten it to seconds through the page's test hook
(``window.__rsTest.idleSeconds``), which runs the very timer the setting starts.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.api import Api
from tests.support.desktop_ui import (
    CHAT_WINDOW,
    MAIN_WINDOW,
    NOTICE_WINDOW,
    LocalApp,
    desktop_page,
    local_call,
)
from tests.support.relay import ALICE, ROOT
from tests.support.ui_pages import (
    PageFactory,
    by_id,
    customer_join,
    open_page,
    screenshot,
    start_support,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

SIGNED_OUT = "Signed out after 30 minutes without activity"


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test signs in on its own pages (alice's idle time is put
    back after each); the admin's-limit test starts a relay of its own."""
    return shared_relay


def test_idle_rule_and_timer_with_a_fake_clock(open_ui: PageFactory) -> None:
    """idleDecision() in every case; the timer asks the app only once its own time is up, keeps
    a live support signed in (restarting the count), and signs out once, with the minutes."""
    page = open_ui("/")
    result = page.evaluate(
        """async () => {
            const m = await import("/ui/agent/idle_logout.js");
            const d = (timeoutMs, ownIdleMs, appIdleS, live) =>
                m.idleDecision({ timeoutMs, ownIdleMs, appIdleS, live });
            const rule = [
                d(0, 1e9, null, false), d(60000, 1e9, null, true), d(60000, 59999, null, false),
                d(60000, 60000, null, false), d(60000, 1e9, 10, false), d(60000, 1e9, 60, false),
                d(60000, 5000, 999, false),
            ];
            const valid = [0, 30, 1440, -1, 1441, 2.5, "30", null].map(m.validIdleMinutes);
            let now = 0;
            const ticks = [];
            const clock = { now: () => now, every: (ms, fn) => {
                ticks.push(fn);
                return () => ticks.splice(ticks.indexOf(fn), 1);
            } };
            const target = new EventTarget();
            const state = {
                live: false, app: { idle_s: null, live: false }, asked: 0, expired: [],
            };
            const idle = new m.IdleLogout({
                isLive: () => state.live,
                appActivity: async () => { state.asked += 1; return state.app; },
                onExpire: (minutes) => state.expired.push(minutes),
                target, clock,
            });
            idle.start(2);
            const steps = [];
            const at = async (t) => { now = t; steps.push([t, await idle.check(), state.asked]); };
            await at(60000);                                  // own idle 1 min: no call
            target.dispatchEvent(new Event("keydown"));       // input at 60 s
            await at(179999);                                 // 1:59.999 since: no call
            state.app = { idle_s: 30, live: false };          // a chat window was used 30 s ago
            await at(180000);                                 // asks; the app's input wins
            state.app = { idle_s: null, live: true };         // a chat window waits for a customer
            await at(400000);
            state.app = { idle_s: null, live: false };        // it ended: the count restarted
            await at(519999);
            await at(520000);
            const running = idle.running;
            await at(900000);                                 // stopped: nothing more
            return { rule, valid, steps, expired: state.expired, running, ticks: ticks.length };
        }"""
    )
    assert result["rule"] == ["off", "live", "active", "logout", "active", "logout", "active"]
    assert result["valid"] == [True, True, True, False, False, False, False, False]
    assert result["steps"] == [
        [60000, "active", 0],
        [179999, "active", 0],
        [180000, "active", 1],
        [400000, "live", 2],
        [519999, "active", 2],
        [520000, "logout", 3],
        [900000, "off", 3],
    ]
    assert result["expired"] == [2] and not result["running"] and result["ticks"] == 0


def test_activity_reporter_throttles_and_sends_live_changes(open_ui: PageFactory) -> None:
    """A chat window reports input at most once per 30 s, a live support at once and then as a
    heartbeat, and its end once; with nothing new it sends nothing."""
    page = open_ui("/")
    sent = page.evaluate(
        """async () => {
            const m = await import("/ui/agent/idle_logout.js");
            let now = 0;
            const timers = [];
            const clock = { now: () => now, every: (ms, fn) => {
                timers.push([ms, fn]);
                return () => {};
            } };
            const tick = (ms) => timers.filter(([every]) => every === ms).forEach(([, fn]) => fn());
            const target = new EventTarget();
            const sent = [];
            let live = false;
            new m.ActivityReporter({ source: "s1", target, clock, isLive: () => live,
                report: async (r) => sent.push([now, r.input, r.live]) }).start();
            const key = () => target.dispatchEvent(new Event("keydown"));
            now = 1000; key();             // first input: sent at once
            now = 2000; key(); key();      // within 30 s: held back
            now = 30000; tick(30000);      // the heartbeat carries it
            now = 45000; tick(30000);      // nothing new: nothing sent
            live = true; now = 46000; tick(1000);   // a customer: at once
            now = 47000; tick(1000);                // no change: nothing
            now = 76000; tick(30000);               // heartbeat while live
            live = false; now = 77000; tick(1000);  // the end, once
            now = 106000; tick(30000);
            return sent;
        }"""
    )
    assert sent == [
        [1000, True, False],
        [30000, True, False],
        [46000, False, True],
        [76000, False, True],
        [77000, False, False],
    ]


def _login(page: Page, relay_url: str | None = None) -> str:
    """Sign in (remembering the ID) and return the relay token the page holds."""
    if relay_url is not None:
        by_id(page, "login-relay-url").fill(relay_url)
    by_id(page, "login-username").fill(ALICE.username)
    by_id(page, "login-password").fill(ALICE.password)
    by_id(page, "login-remember").check()
    by_id(page, "login-button").click()
    expect(by_id(page, "new-support-button")).to_be_visible()
    return page.evaluate("JSON.parse(sessionStorage.getItem('rs.agent.auth')).token")


def test_desktop_idle_logout_revokes_the_token_and_keeps_the_remembered_id(
    browser, relay, local_app: LocalApp
) -> None:
    """No input anywhere for the idle time: the main window logs out as its Log out button
    does (POST /local/logout, the relay token revoked) and the form says why, ID kept."""
    main = desktop_page(browser, local_app.page_url("agent/index.html", desktop="1"), MAIN_WINDOW)
    try:
        token = _login(main)
        assert Api(relay.url).request("GET", "/api/me", token=token)[0] == 200
        with local_call(main, "POST", "/local/logout") as answer:
            main.evaluate("window.__rsTest.idleSeconds(1.5)")
        assert answer.value.status == 204
        expect(by_id(main, "login-error")).to_have_text(f"{SIGNED_OUT}. Sign in again to continue.")
        expect(by_id(main, "login-username")).to_have_value(ALICE.username)
        expect(by_id(main, "login-password")).to_have_value("")
        expect(by_id(main, "agent-toolbar")).to_be_hidden()
        assert Api(relay.url).request("GET", "/api/me", token=token)[0] == 401
        screenshot(main, "agent-idle-signed-out")
    finally:
        main.context.close()


def test_desktop_live_support_and_other_windows_keep_the_app_signed_in(
    browser, relay, local_app: LocalApp, open_ui: PageFactory
) -> None:
    """A support waiting or chatting in its own window keeps the app signed in whatever the
    idle time; input in another window (the notice) counts; once the support ends, the idle
    time signs out."""
    main = desktop_page(browser, local_app.page_url("agent/index.html", desktop="1"), MAIN_WINDOW)
    pages = [main]
    try:
        token = _login(main)
        # An idle time of 1 ms checked only by hand: each decision is read without acting.
        main.evaluate("window.__rsTest.idleSeconds(0.001, 3600000)")
        assert main.evaluate("window.__rsTest.idleDecision()") == "logout"
        with local_call(main, "POST", "/local/windows/chat") as opened:
            by_id(main, "new-support-button").click()
        session_id = opened.value.request.post_data_json["session_id"]
        chat = desktop_page(
            browser, local_app.page_url("agent/index.html", session=session_id), CHAT_WINDOW
        )
        pages.append(chat)
        code = by_id(chat, "access-code")
        expect(code).to_have_text(re.compile(r"^\d{9}$"))
        # Waiting: the chat window tells the app (within a second), so the main window waits.
        main.wait_for_function(
            "async () => (await window.__rsTest.idleDecision()) === 'live'", polling=200
        )
        customer = open_ui("/")
        customer_join(customer, code.text_content() or "", name="Chris Park")
        assert main.evaluate("window.__rsTest.idleDecision()") == "live"
        by_id(chat, "end-button").click()
        by_id(chat, "end-confirm").click()
        expect(by_id(chat, "end-screen")).to_be_visible()
        main.wait_for_function(
            "async () => (await window.__rsTest.idleDecision()) !== 'live'", polling=200
        )

        # Input in the notice window reaches the app: its idle time restarts there.
        notice = desktop_page(browser, local_app.page_url("agent/notice.html"), NOTICE_WINDOW)
        pages.append(notice)
        with local_call(notice, "POST", "/local/activity"):
            notice.mouse.click(10, 10)
        help_window = desktop_page(browser, local_app.page_url("agent/help.html"), NOTICE_WINDOW)
        pages.append(help_window)
        with local_call(help_window, "POST", "/local/activity") as reported:
            help_window.mouse.wheel(0, 200)
        assert reported.value.request.post_data_json == {
            "source": "help", "input": True, "live": False,
        }  # fmt: skip
        activity = main.evaluate(
            """async () => (await fetch("/local/activity", { headers: {
                "X-RemoteSales-Token": JSON.parse(sessionStorage.getItem("rs.desktop")).token,
            } })).json()"""
        )
        assert activity["live"] is False and 0 <= activity["idle_s"] < 5, activity
        # 1 ms is long past both for this window and for the notice's click: sign out now.
        with local_call(main, "POST", "/local/logout"):
            main.evaluate("window.__rsTest.idleSeconds(0.001, 100)")
        expect(by_id(main, "login-error")).to_contain_text(SIGNED_OUT)
        assert Api(relay.url).request("GET", "/api/me", token=token)[0] == 401
    finally:
        for page in pages:
            page.context.close()


def test_browser_idle_logout_waits_for_the_support_then_signs_out(
    open_ui: PageFactory, relay
) -> None:
    """The relay's /agent page: a waiting support keeps it signed in; after it is cancelled the
    idle time signs out through /api/logout (token revoked), saying why, ID remembered."""
    page = open_ui("/agent")
    token = _login(page)
    page.evaluate("window.__rsTest.idleSeconds(0.001, 3600000)")
    start_support(page)
    assert page.evaluate("window.__rsTest.idleDecision()") == "live"
    by_id(page, "cancel-support").click()
    by_id(page, "end-confirm").click()
    expect(by_id(page, "end-screen")).to_be_visible()
    with page.expect_response(lambda r: r.url.endswith("/api/logout")) as answer:
        page.evaluate("window.__rsTest.idleSeconds(1, 100)")
    assert answer.value.status in (200, 204)
    expect(by_id(page, "login-error")).to_contain_text(SIGNED_OUT)
    expect(by_id(page, "login-username")).to_have_value(ALICE.username)
    assert Api(relay.url).request("GET", "/api/me", token=token)[0] == 401


def test_idle_setting_is_saved_validated_and_applied(
    browser, relay, local_app: LocalApp, tmp_path
) -> None:
    """Settings › Network: a bad number is refused in the page; a good one is saved with the
    account on the relay (read back on reopening); 0 turns the timer off."""
    main = desktop_page(browser, local_app.page_url("agent/index.html", desktop="1"), MAIN_WINDOW)
    try:
        _login(main)
        by_id(main, "settings-button").click()
        by_id(main, "tab-network").click()
        minutes = by_id(main, "idle-minutes")
        expect(minutes).to_have_value("30")
        minutes.fill("2.5")
        by_id(main, "idle-save").click()
        expect(by_id(main, "idle-status")).to_contain_text("whole number of minutes from 0 to 1440")
        minutes.fill("45")
        by_id(main, "idle-save").click()
        expect(by_id(main, "idle-status")).to_contain_text("after 45 minutes without activity")
        token = main.evaluate("JSON.parse(sessionStorage.getItem('rs.agent.auth')).token")
        prefs = Api(relay.url).request("GET", "/api/me/preferences", token=token)[1]
        assert prefs["preferences"]["idle_logout_minutes"] == 45  # with the account
        screenshot(main, "agent-settings-idle")
        minutes.fill("0")
        by_id(main, "idle-save").click()
        expect(by_id(main, "idle-status")).to_have_text("Saved. Automatic sign-out is off.")
        # The timer restarts after the save answers (and after reading the admin's limit).
        wait_until(
            lambda: main.evaluate("window.__rsTest.idleDecision()") == "off", "the timer off"
        )
        main.reload()
        by_id(main, "settings-button").click()
        by_id(main, "tab-network").click()
        expect(by_id(main, "idle-minutes")).to_have_value("0")
    finally:
        main.context.close()


def test_the_admins_idle_limit_bounds_the_page_and_applies_without_a_reload(
    browser, relay_factory
) -> None:
    """AD4: the admin's idle sign-out for every agent bounds the page's own idle time (30
    minutes): 5 once the admin sets it; a change is read again after the agent's input, with
    no reload and no call while the agent is idle; 0 (none) leaves the agent's own time."""
    relay = relay_factory(agents=(ROOT,))
    api = Api(relay.url)
    root = api.login(ROOT.username, ROOT.password)

    def admin_limit(minutes: int) -> None:
        values = {"values": {"agents.idle_timeout_minutes": minutes}}
        status, body, _ = api.request("PUT", "/api/admin/options", json=values, token=root)
        assert status == 200, body

    admin_limit(5)
    page = open_page(browser, relay.url + "/agent")
    try:
        _login(page)
        wait_until(lambda: page.evaluate("window.__rsTest.idleMinutes()") == 5, "5 minutes")
        page.evaluate("window.__rsTest.idleRefreshMs(200)")
        reads: list[str] = []
        page.on(
            "request", lambda r: reads.append(r.url) if "/api/me/preferences" in r.url else None
        )
        admin_limit(12)
        page.wait_for_timeout(800)  # four refresh ticks without input: nothing is asked
        assert reads == [] and page.evaluate("window.__rsTest.idleMinutes()") == 5
        page.mouse.move(200, 200)
        page.mouse.move(300, 250)
        wait_until(lambda: page.evaluate("window.__rsTest.idleMinutes()") == 12, "12 minutes")
        # Settings › Network says so, beside the agent's own time.
        by_id(page, "settings-button").click()
        by_id(page, "tab-network").click()
        expect(by_id(page, "idle-admin-limit")).to_have_text(
            "Your administrator signs every agent out after 12 minutes without activity;"
            " the shorter time applies."
        )
        screenshot(page, "agent-settings-idle-admin-limit")
        admin_limit(0)
        page.mouse.move(100, 100)
        wait_until(lambda: page.evaluate("window.__rsTest.idleMinutes()") == 30, "the agent's 30")
        by_id(page, "home-button").click()
        by_id(page, "settings-button").click()
        by_id(page, "tab-network").click()
        expect(by_id(page, "idle-minutes")).to_have_value("30")
        expect(by_id(page, "idle-admin-limit")).to_be_hidden()
    finally:
        page.context.close()
