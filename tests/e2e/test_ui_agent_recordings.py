"""Settings › Remote support › Recording (P9): the agent's setting within the admin's policy
and the list of recordings, in the desktop app's page over the real local API and relay."""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import numpy as np
import pytest
from playwright.sync_api import expect

from suite.agent.app.local_api import build_app
from suite.agent.app.local_guard import TOKEN_HEADER, guard
from suite.agent.app.local_recordings import recording_options
from suite.agent.app.local_server import LocalServer
from suite.agent.app.settings import LocalSettings
from suite.recording.recorder import Recorder
from tests.support.api import Api
from tests.support.chat_client import end_session_as_agent
from tests.support.desktop_ui import LocalApp, RecordedWindows, desktop_page
from tests.support.recordings import set_recording_policy
from tests.support.relay import ALICE, ROOT
from tests.support.ui_pages import by_id, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture
def setup(relay_factory, tmp_path) -> Iterator[tuple]:
    relay = relay_factory(agents=(ROOT,))
    root = Api(relay.url).login(ROOT.username, ROOT.password)
    folder = tmp_path / "Recordings"
    folder.mkdir()
    recorder = Recorder(folder / "Kim Customer 2026-12-05 10.00.00.webm",
                        {"title": "Kim Customer", "session_id": "s1"})  # fmt: skip
    frame = np.full((360, 640, 4), 255, np.uint8)
    recorder.offer(frame, True)
    time.sleep(0.3)  # noqa: TID251 - two pictures 0.3 s apart make a file with a length
    frame[100:200, 100:300] = 0
    recorder.offer(frame, True)
    recorder.stop()
    settings = LocalSettings(tmp_path / "config")
    recording = {"automatic": False, "folder": str(folder)}
    settings.update({"relay_url": relay.url, "recording": recording})
    server = LocalServer()
    secret = secrets.token_urlsafe(32)
    server.start(guard(build_app(settings, RecordedWindows()), secret, server.port))
    yield relay, root, LocalApp(server.url, secret, RecordedWindows()), settings, folder
    server.stop()
    settings.close()


def open_tab(page) -> None:
    by_id(page, "login-username").fill(ALICE.username)
    by_id(page, "login-password").fill(ALICE.password)
    by_id(page, "login-button").click()
    by_id(page, "settings-button").click()
    by_id(page, "tab-remote").click()


@pytest.mark.parametrize("locale", ["en", "ko"])
def test_the_recording_setting_follows_the_policy_and_lists_recordings(browser, setup, locale):
    """agent_choice: the agent ticks "Record automatically" and the next presenter gets
    --record; always: ticked and locked; off: not offered. The list shows the customer,
    length and size of each recording on this computer."""
    relay, root, app, settings, folder = setup
    set_recording_policy(relay.url, root, "agent_choice")
    page = desktop_page(
        browser, app.page_url("agent/index.html", desktop="1", lang=locale),
        {"width": 1100, "height": 900},
    )  # fmt: skip
    try:
        page.evaluate(f"localStorage.setItem('rs.language', '{locale}')")
        open_tab(page)
        box = by_id(page, "record-automatic")
        expect(box).to_be_enabled()
        expect(box).not_to_be_checked()
        row = by_id(page, "recording-row")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Kim Customer")
        expect(row).to_contain_text("0:0")
        box.check()
        expect(box).to_be_checked()
        page.wait_for_function(
            "() => document.querySelector('[data-testid=recording-settings] [role=status]')"
            ".textContent.length > 0"
        )
        assert settings.get()["recording"]["automatic"] is True
        assert "--record" in recording_options(settings)
        by_id(page, "recording-settings").scroll_into_view_if_needed()
        screenshot(page, f"agent-recordings-{locale}")

        set_recording_policy(relay.url, root, "always")
        page.reload()
        by_id(page, "settings-button").click()
        by_id(page, "tab-remote").click()
        expect(by_id(page, "record-automatic")).to_be_checked()
        expect(by_id(page, "record-automatic")).to_be_disabled()

        set_recording_policy(relay.url, root, "off")
        page.reload()
        by_id(page, "settings-button").click()
        by_id(page, "tab-remote").click()
        expect(by_id(page, "record-automatic")).to_be_hidden()
        expect(by_id(page, "record-policy")).to_be_visible()
    finally:
        page.context.close()


def test_only_a_listed_recording_opens(setup):
    """Open takes only the name of a recording in the folder: another name or a path is
    refused before anything is started."""
    _, _, app, _, _ = setup
    for name in ("../../etc/passwd.webm", "other.webm", "notes.txt", 7):
        request = urllib.request.Request(
            f"{app.url}/local/recordings/open", data=json.dumps({"name": name}).encode(),
            headers={TOKEN_HEADER: app.secret, "Content-Type": "application/json"},
            method="POST",
        )  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code in (400, 404), name


def test_the_history_detail_lists_this_pcs_recordings_of_the_session(browser, setup):
    """An ended session's detail in the desktop app shows Open for the recordings this PC made
    of it (matched by the session id in the file's tags); the relay itself lists none."""
    relay, _, app, _, folder = setup
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    support = api.new_support(token)
    api.join(code=support["code"], name="Lee Customer")
    end_session_as_agent(relay.url.replace("http", "ws", 1) + "/ws", support["session_id"], token)
    recorder = Recorder(folder / "Lee Customer 2026-12-05 11.00.00.webm",
                        {"title": "Lee Customer", "session_id": support["session_id"]})  # fmt: skip
    recorder.offer(np.full((360, 640, 4), 200, np.uint8), True)
    recorder.stop()
    page = desktop_page(
        browser, app.page_url("agent/index.html", desktop="1"), {"width": 1100, "height": 900}
    )
    try:
        by_id(page, "login-username").fill(ALICE.username)
        by_id(page, "login-password").fill(ALICE.password)
        by_id(page, "login-button").click()
        by_id(page, "history-button").click()
        row = by_id(page, "history-row")
        expect(row).to_have_count(1)
        row.locator("button").first.click()
        opener = by_id(page, "history-recording-open")
        expect(opener).to_have_count(1)
        expect(by_id(page, "history-recording")).to_contain_text("Lee Customer 2026-12-05")
        by_id(page, "history-recording").scroll_into_view_if_needed()
        screenshot(page, "agent-history-recording")
    finally:
        page.context.close()
