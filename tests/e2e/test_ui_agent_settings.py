"""Settings › Remote support (A8, P4): the desktop app's screen options and received folder.

The real local API (routes, guard, settings file) behind a Chromium page in desktop mode; what
the tab saves is read back from the settings file and turned into the presenter's options.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from suite.agent.app.local_api import build_app
from suite.agent.app.local_guard import guard
from suite.agent.app.local_server import LocalServer
from suite.agent.app.presentations import presenter_options
from suite.agent.app.settings import LocalSettings
from tests.support.desktop_ui import LocalApp, RecordedWindows, desktop_page
from tests.support.relay import ALICE
from tests.support.ui_pages import by_id, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_and_settings(relay, tmp_path) -> Iterator[tuple[LocalApp, LocalSettings]]:
    settings = LocalSettings(tmp_path / "config")
    settings.update({"relay_url": relay.url})
    server = LocalServer()
    secret = secrets.token_urlsafe(32)
    windows = RecordedWindows()
    server.start(guard(build_app(settings, windows), secret, server.port))
    yield LocalApp(server.url, secret, windows), settings
    server.stop()
    settings.close()


def open_remote_tab(page: Page) -> None:
    by_id(page, "login-username").fill(ALICE.username)
    by_id(page, "login-password").fill(ALICE.password)
    by_id(page, "login-button").click()
    by_id(page, "settings-button").click()
    by_id(page, "tab-remote").click()


def test_remote_support_tab_saves_what_the_next_presenter_starts_with(
    browser, app_and_settings, tmp_path
) -> None:
    """The tab shows the defaults, refuses a relative folder, saves moved options as "Custom"
    (the presenter's options follow), drops "Saved." when an option moves again, saves the
    high-speed network as lossless and shows what was saved when reopened."""
    app, settings = app_and_settings
    page = desktop_page(
        browser, app.page_url("agent/index.html", desktop="1"), {"width": 1100, "height": 900}
    )
    try:
        open_remote_tab(page)
        form = by_id(page, "remote-settings")
        expect(form).to_be_visible()
        # Defaults: a normal network at quality 70, JPEG, full colour, the default folder shown.
        expect(by_id(page, "remote-network-normal")).to_be_checked()
        expect(by_id(page, "remote-quality")).to_have_value("70")
        expect(by_id(page, "remote-quality-value")).to_have_text("70")
        expect(by_id(page, "remote-codec")).to_have_value("jpeg")
        expect(by_id(page, "remote-colors")).to_have_value("full")
        placeholder = by_id(page, "remote-folder").get_attribute("placeholder") or ""
        assert placeholder.endswith("RemoteSales/Received Files"), placeholder

        by_id(page, "remote-quality").fill("85")
        expect(by_id(page, "remote-quality-value")).to_have_text("85")
        by_id(page, "remote-codec").select_option("webp")
        by_id(page, "remote-colors").select_option("256")
        by_id(page, "remote-folder").fill("Received")  # relative: refused, nothing saved
        by_id(page, "remote-save").click()
        expect(by_id(page, "remote-status")).to_contain_text("must be a full path")
        assert settings.get()["remote_support"] == {}

        folder = tmp_path / "received here"
        by_id(page, "remote-folder").fill(str(folder))
        by_id(page, "remote-save").click()
        expect(by_id(page, "remote-status")).to_have_text(
            "Saved. The next presentation uses these settings."
        )
        saved = settings.get()
        # Moved by hand: the preset is "Custom", saved with every option (the frame rate too).
        assert saved["remote_support"] == {
            "preset": "custom", "lossless": False, "quality": 85, "codec": "webp",
            "colors": "256", "max_fps": 30,
        }  # fmt: skip
        assert saved["received_files_folder"] == str(folder)
        assert presenter_options(saved["remote_support"]) == [
            "--quality", "85", "--codec", "webp", "--colors", "256", "--max-fps", "30",
        ]  # fmt: skip

        # High-speed network: exact pixels, so quality and format no longer apply. "Saved."
        # goes with the change (it is no longer true), so the wait below ends on this save.
        by_id(page, "remote-network-fast").check()
        expect(by_id(page, "remote-quality")).to_be_disabled()
        expect(by_id(page, "remote-codec")).to_be_disabled()
        assert by_id(page, "remote-status").get_attribute("data-state") == ""  # at once
        expect(by_id(page, "remote-status")).to_have_text("")
        by_id(page, "remote-save").click()
        expect(by_id(page, "remote-status")).to_have_attribute("data-state", "saved")
        assert "--lossless" in presenter_options(settings.get()["remote_support"])
        screenshot(page, "agent-settings-remote")

        # Reopened, the tab shows what was saved.
        page.reload()  # still signed in (the app keeps the login): straight to the settings
        by_id(page, "settings-button").click()
        by_id(page, "tab-remote").click()
        expect(by_id(page, "remote-network-fast")).to_be_checked()
        expect(by_id(page, "remote-colors")).to_have_value("256")
        expect(by_id(page, "remote-folder")).to_have_value(str(folder))
    finally:
        page.context.close()


def test_remote_support_tab_in_a_browser_says_it_is_the_desktop_apps(agent_page: Page) -> None:
    by_id(agent_page, "settings-button").click()
    by_id(agent_page, "tab-remote").click()
    expect(agent_page.locator("#tabpanel-remote")).to_contain_text("RemoteSales desktop app")
    expect(by_id(agent_page, "remote-settings")).to_have_count(0)
