"""The remaining remote-support settings (A8) in the real agent app under Xvfb at 1920x1080:
quality presets and the max fps reach the presenter child's command line, the text size
changes every window at once, the wallpaper is gone while presenting and back after (also
when the presenter crashes), and the lock covers every window while a support goes on.

The lock's minutes are shortened to seconds with ``REMOTESALES_TEST_LOCK_AFTER_S`` (for tests
only, not a user option). Screenshots go to test-artifacts/ (copied by tests/support/shots.py).
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from suite.agent.app.presenting_desktop import PLAIN_BACKGROUND
from suite.agent.app.settings import LocalSettings
from tests.support.agent_app import AgentApp
from tests.support.cdp import CdpPage, by_test_id, visible_js, wait_for_target
from tests.support.desktop_flow import (
    ACCESS_CODE_JS,
    SupportWithCustomer,
    Windows,
    desktop_support_with_customer,
    driving,
    keep_shot,
    main_page,
    open_support_window,
    present_whole_screen,
    sign_in,
    xauth_display,
)
from tests.support.processes import children
from tests.support.shots import reviewers_folder
from tests.support.waiting import wait_until
from tests.support.wallpaper import photo_like, root_pixels, root_pixmap_property, set_wallpaper
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test signs in, opens its own supports and customers, and
    shared_relay puts alice's account data back after it (a relay's start is seconds of a
    desktop test on a loaded machine)."""
    return shared_relay


SHOTS = reviewers_folder("support-settings")
PLAIN_BGR = [PLAIN_BACKGROUND & 0xFF, (PLAIN_BACKGROUND >> 8) & 0xFF, PLAIN_BACKGROUND >> 16]
LOCK_AFTER_S = 4


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    """A private 1920x1080 X display for this module's windows."""
    yield from xauth_display()  # python-xlib (window list, wallpaper) needs an Xauthority


@pytest.fixture
def x_environment(xvfb, monkeypatch) -> None:
    """python-xlib in this process (the wallpaper helpers) reads Xauthority from here."""
    monkeypatch.setenv("DISPLAY", xvfb.display)
    monkeypatch.setenv("XAUTHORITY", str(xvfb.xauthority))


def _shot(page: CdpPage, artifacts_dir: Path, name: str) -> None:
    path = page.screenshot(artifacts_dir / f"{name}.png")
    keep_shot(path, SHOTS)


def _choose(page: CdpPage, test_id: str, value: str) -> None:
    """Pick an option in a <select> as the keyboard would (the change event fires)."""
    page.evaluate(
        f"(() => {{ const s = document.querySelector('{by_test_id(test_id)}');"
        f" s.focus(); s.value = {json.dumps(value)};"
        " s.dispatchEvent(new Event('input', {bubbles: true}));"
        " s.dispatchEvent(new Event('change', {bubbles: true})); })()"
    )


def _open_remote_tab(main: CdpPage) -> None:
    main.click(by_test_id("settings-button"))
    main.click(by_test_id("tab-remote"))
    main.wait_for_selector(by_test_id("desk-settings"))
    main.wait_for(f"document.querySelector('{by_test_id('remote-preset')}').value !== ''")


def _presenter_command(app: AgentApp) -> list[str]:
    def found() -> list[str] | None:
        assert app.process is not None
        for pid in children(app.process.pid):
            try:
                args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except FileNotFoundError:
                continue
            if b"suite.agent.presenter" in args:
                return [pid, *[a.decode() for a in args if a]]  # type: ignore[list-item]
        return None

    return wait_until(found, "the presenter child", 20)


def _flag(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def _present(support, windows: Windows) -> None:
    """The customer accepts a presentation of the whole screen and sees it."""
    # The customer sees the screen: the app's presenter runs.
    present_whole_screen(support.chat, support.customer, windows, timeout_ms=20_000)


def test_presets_text_size_and_wallpaper_in_the_real_app(
    xvfb, x_environment, relay, tmp_path, browser, artifacts_dir: Path
) -> None:
    """Sharp text starts the presenter with --quality 90 --max-fps 10 (moving a slider makes it
    Custom); 130 % text reaches the chat window at once; the wallpaper is plain while
    presenting, back after a stop, when the presenter is killed and when the app quits."""
    from tests.support.ui_pages import customer_join, open_page

    env = xvfb.env()
    wallpaper = set_wallpaper(env, photo_like(1920, 1080))
    desktop_before = root_pixels(env)
    settings = LocalSettings(tmp_path / "config")
    settings.update({"received_files_folder": str(tmp_path / "in")})
    settings.close()
    app = AgentApp(xvfb, tmp_path, relay_url=relay.url).start()
    with driving(app, artifacts_dir, "desktop-a8") as windows:
        main = main_page(app)
        windows.pages.append(main)
        sign_in(main)
        _open_remote_tab(main)
        assert main.evaluate(f"document.querySelector('{by_test_id('remote-preset')}').value") == (
            "balanced"
        )
        _shot(main, artifacts_dir, "settings-remote-en-100")

        _choose(main, "remote-preset", "sharp_text")
        assert main.evaluate(
            f"[document.querySelector('{by_test_id('remote-quality')}').value,"
            f" document.querySelector('{by_test_id('remote-fps')}').value]"
        ) == ["90", "10"]
        main.evaluate(
            f"(() => {{ const r = document.querySelector('{by_test_id('remote-fps')}');"
            " r.value = '25'; r.dispatchEvent(new Event('input', {bubbles: true})); })()"
        )
        assert (
            main.evaluate(f"document.querySelector('{by_test_id('remote-preset')}').value")
            == "custom"
        )
        _choose(main, "remote-preset", "sharp_text")
        main.click(by_test_id("remote-save"))
        main.wait_for(f"document.querySelector('{by_test_id('remote-status')}').dataset.state"
                      " === 'saved'")  # fmt: skip

        # Text size: this window at once, remembered; every size shot at the default size.
        for percent in ("90", "115", "130"):
            _choose(main, "desk-text-size", percent)
            main.wait_for(f"document.documentElement.dataset.textSize === '{percent}'")
            main.wait_for(f"document.querySelector('{by_test_id('desk-status')}')"
                          ".dataset.state === 'saved'")  # fmt: skip
            main.evaluate(f"document.querySelector('{by_test_id('desk-settings')}')"
                          ".scrollIntoView({block: 'center'})")  # fmt: skip
            _shot(main, artifacts_dir, f"settings-desk-en-{percent}")
            overflow = main.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{percent} %: {overflow} px wider than the window"

        _choose(main, "language-select", "ko")
        main.wait_for(f"document.querySelector('{by_test_id('tab-remote')}').textContent"
                      ".trim() !== 'Remote support'")  # fmt: skip
        _shot(main, artifacts_dir, "settings-desk-ko-130")
        _choose(main, "desk-text-size", "100")
        main.evaluate(f"document.querySelector('{by_test_id('remote-preset')}')"
                      ".scrollIntoView({block: 'center'})")  # fmt: skip
        _shot(main, artifacts_dir, "settings-remote-ko-100")
        _choose(main, "desk-text-size", "130")
        _choose(main, "language-select", "en")
        main.click(by_test_id("home-button"))
        chat = open_support_window(app, main, windows.pages)
        code = chat.wait_for(ACCESS_CODE_JS)
        assert chat.evaluate("document.documentElement.dataset.textSize") == "130"
        customer = open_page(browser, relay.url + "/")
        windows.customers.append(customer)
        customer_join(customer, code, name="Soyeon Choi")
        chat.wait_for_selector(by_test_id("chat-input"))
        support = SupportWithCustomer(main, chat, customer)
        _choose(main, "desk-text-size", "100")
        support.chat.wait_for("document.documentElement.dataset.textSize === '100'")

        # Presenting: Sharp text's flags; the wallpaper is plain until the stop.
        _present(support, windows)
        pid, *command = _presenter_command(app)
        assert (_flag(command, "--quality"), _flag(command, "--max-fps")) == ("90", "10")
        during = root_pixels(env)
        assert (during[..., :3] == PLAIN_BGR).mean() > 0.5, "the wallpaper is still shown"
        assert root_pixmap_property(env) is None
        support.chat.click(by_test_id("present-stop"))
        wait_until(lambda: not Path(f"/proc/{pid}").exists(), "the presenter stopped", 15)
        wait_until(lambda: root_pixmap_property(env) == wallpaper, "the wallpaper back", 15)

        # A presenter that crashes: the app puts the wallpaper back by itself. (The customer's
        # viewer is open already: the request is accepted there, no new window.)
        support.chat.click(by_test_id("present-request"))
        support.customer.get_by_test_id("presentation-accept").click()
        pid, *_ = _presenter_command(app)
        wait_until(lambda: root_pixmap_property(env) is None, "the wallpaper gone again", 15)
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: root_pixmap_property(env) == wallpaper, "the wallpaper back", 15)
        after = root_pixels(env)
        # Where no window covers it, the desktop is the wallpaper again.
        same = np.all(after[..., :3] == desktop_before[..., :3], axis=-1)
        assert same.mean() > 0.3, f"only {same.mean():.0%} of the screen is the wallpaper again"

        # The app quits while presenting: the wallpaper is back when it has exited.
        support.chat.click(by_test_id("present-request"))
        support.customer.get_by_test_id("presentation-accept").click()
        _presenter_command(app)
        wait_until(lambda: root_pixmap_property(env) is None, "the wallpaper gone again", 15)
        windows.close()
        assert app.stop() == 0
        assert root_pixmap_property(env) == wallpaper


def test_the_lock_covers_every_window_while_the_support_goes_on(
    xvfb, relay, tmp_path, browser, artifacts_dir: Path
) -> None:
    """Idle with a live support, every window is covered (no customer name in the title);
    a wrong password is refused with the tries left; the customer's message sent meanwhile
    is in the chat after the right password uncovers every window."""
    from tests.support.relay import ALICE
    from tests.support.ui_pages import send_chat

    app = AgentApp(
        xvfb, tmp_path, relay_url=relay.url,
        extra_env={"REMOTESALES_TEST_LOCK_AFTER_S": str(LOCK_AFTER_S)},
    )  # fmt: skip
    app.start()
    covered = f"{visible_js(by_test_id('lock-cover'))}"
    with driving(app, artifacts_dir, "desktop-lock") as windows:
        support = desktop_support_with_customer(app, windows, browser, relay.url, "Soyeon Choi")
        notice = CdpPage(wait_for_target(app.devtools_port, lambda t: "notice.html" in t["url"]))
        windows.pages.append(notice)
        for page in (support.main, support.chat, notice):  # the notice names the customer too
            page.wait_for(covered, timeout_s=30)
        assert "Soyeon" not in support.chat.evaluate("document.title")
        assert support.chat.evaluate("document.querySelector('main, #app, body > div')?.inert")
        send_chat(support.customer, "Are you still there?")

        support.chat.fill(by_test_id("lock-password"), "not-my-password")
        support.chat.press("Enter")
        support.chat.wait_for(
            f"document.querySelector('{by_test_id('lock-status')}').textContent"
            ".includes('4 more wrong tries')"
        )
        _shot(support.chat, artifacts_dir, "lock-cover-chat-en")
        _shot(support.main, artifacts_dir, "lock-cover-main-en")
        _shot(notice, artifacts_dir, "lock-cover-notice-en")
        for page in (support.main, support.chat, notice):  # as a language picked elsewhere
            page.evaluate("window.rsAppEvents.receive({kind: 'language', language: 'ko'})")
        support.chat.wait_for(
            f"document.querySelector('{by_test_id('lock-unlock')}').textContent === '잠금 해제'"
        )
        _shot(support.chat, artifacts_dir, "lock-cover-chat-ko")
        support.chat.fill(by_test_id("lock-password"), ALICE.password)
        support.chat.press("Enter")
        for page in (support.chat, support.main, notice):
            page.wait_for(f"!({covered})", timeout_s=15)
        support.chat.wait_for(
            "[...document.querySelectorAll('[data-testid=chat-message]')]"
            ".some((m) => m.textContent.includes('Are you still there?'))"
        )
        windows.close()
        assert app.stop() == 0


def test_lock_rule_and_timer_with_a_fake_clock(open_ui) -> None:
    """lockDecision() locks only with a live support after the idle time; the timer asks the
    app only once its own window is idle long enough, takes the other windows' input, and
    rests while paused (the cover shows)."""
    page = open_ui("/")
    result = page.evaluate(
        """async () => {
            const m = await import("/ui/agent/desk.js");
            const rule = [
                [0, 1e9, true], [60000, 1e9, false], [60000, 59999, true], [60000, 60000, true],
            ].map(([timeoutMs, idleMs, live]) => m.lockDecision({ timeoutMs, idleMs, live }));
            let now = 0;
            const ticks = [];
            const clock = { now: () => now, every: (ms, fn) => {
                ticks.push(fn); return () => ticks.splice(ticks.indexOf(fn), 1); } };
            const target = new EventTarget();
            const state = { app: { idle_s: null, live: true }, asked: 0, locks: 0 };
            const timer = new m.IdleLock({
                appActivity: async () => { state.asked += 1; return state.app; },
                onLock: () => { state.locks += 1; }, target, clock,
            });
            timer.start(60);
            const steps = [];
            const at = async (t) => { now = t; steps.push([await timer.check(), state.asked]); };
            await at(30000);                               // own idle 30 s: no call
            state.app = { idle_s: 10, live: true };        // a chat window typed 10 s ago
            await at(60000);                               // asks; the chat's input wins
            state.app = { idle_s: null, live: false };     // no live support
            await at(120000);
            state.app = { idle_s: null, live: true };
            await at(121000);                              // locks
            timer.paused = true;
            await at(200000);                              // paused: nothing
            timer.paused = false; timer.reset();
            target.dispatchEvent(new Event("keydown"));
            await at(230000);
            const sizes = [90, 130, 120].map((p) => {
                const el = document.createElement("div");
                m.applyTextSize(p, el);
                return [el.style.fontSize, el.dataset.textSize];
            });
            return { rule, steps, locks: state.locks, sizes };
        }"""
    )
    assert result["rule"] == ["off", "quiet", "active", "lock"]
    assert result["steps"] == [
        ["active", 0], ["active", 1], ["quiet", 2], ["lock", 3], ["off", 3], ["active", 3],
    ]  # fmt: skip
    assert result["locks"] == 1
    assert result["sizes"] == [["90%", "90"], ["130%", "130"], ["", "100"]]
