"""Files in the real agent desktop app (P4) under Xvfb: a customer's file lands on disk.

The customer drops a file into the viewer in Chromium; the app's chat window (QtWebEngine,
driven over DevTools) sees it ready and has Python stream it into the received-files folder
from the settings, checked and never overwriting; the window's row says where it went, and
the connection notice offers "Received files".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from suite.agent.app.settings import LocalSettings
from suite.files.client import sha256_of
from tests.support.agent_app import AgentApp
from tests.support.cdp import CdpPage, by_test_id, wait_for_target
from tests.support.desktop_flow import (
    desktop_support_with_customer,
    driving,
    private_display,
)
from tests.support.files import make_file
from tests.support.shots import keep_shot, reviewers_folder
from tests.support.waiting import wait_until
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test signs in, opens its own supports and customers, and
    shared_relay puts alice's account data back after it (a relay's start is seconds of a
    desktop test on a loaded machine)."""
    return shared_relay


MIB = 1024 * 1024


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    yield from private_display()


def test_a_customers_file_lands_in_the_received_folder(
    xvfb, relay, tmp_path, browser, artifacts_dir: Path
):
    """Viewer drop → relay → the desktop app saves it as `report (1).pdf` next to an older one."""
    from playwright.sync_api import expect

    folder = tmp_path / "Documents" / "RemoteSales" / "Received Files"
    folder.mkdir(parents=True)
    (folder / "report.pdf").write_bytes(b"an older report")
    settings = LocalSettings(tmp_path / "config")
    settings.update({"received_files_folder": str(folder)})
    settings.close()
    app = AgentApp(xvfb, tmp_path, relay_url=relay.url).start()
    with driving(app, artifacts_dir, "desktop-files") as windows:
        pages = windows.pages
        support = desktop_support_with_customer(app, windows, browser, relay.url)
        chat, customer = support.chat, support.customer
        chat.wait_for_selector(by_test_id("file-send"))
        chat.wait_for_selector(by_test_id("file-open-folder"))

        customer.goto(relay.url + "/view")
        source = tmp_path / "report.pdf"
        sha = make_file(source, 20 * MIB)
        customer.get_by_test_id("file-input").set_input_files(str(source))
        chat.wait_for(
            "document.querySelector('[data-testid=file-status]')?.textContent"
            " === 'Saved as report (1).pdf'",
            timeout_s=60,
        )
        saved = folder / "report (1).pdf"
        assert sha256_of(saved) == sha
        assert (folder / "report.pdf").read_bytes() == b"an older report"
        assert not list(folder.glob("*.part"))
        expect(customer.get_by_test_id("file-row").first).to_have_attribute(
            "data-state", "received"
        )
        notice = CdpPage(wait_for_target(app.devtools_port, lambda t: "notice.html" in t["url"]))
        pages.append(notice)
        notice.wait_for_selector(by_test_id("notice-open-folder"))
        chat.screenshot(artifacts_dir / "desktop-files-chat.png")
        windows.close()
        assert app.stop() == 0


def test_the_chat_window_shows_files_in_the_conversation_and_opens_links_outside(
    xvfb, relay, tmp_path, browser, artifacts_dir: Path
):
    """In the desktop chat window a customer's file is an item between the messages, and a
    link in a message opens in the system browser ($BROWSER), not inside the app's window."""
    from playwright.sync_api import expect

    opened = tmp_path / "opened-urls.txt"
    browser_command = tmp_path / "system-browser"
    browser_command.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser_command.chmod(0o755)
    settings = LocalSettings(tmp_path / "config")
    settings.update({"received_files_folder": str(tmp_path / "Received Files")})
    settings.close()
    # Python's webbrowser runs $BROWSER with the URL: a recording stand-in for the browser.
    app = AgentApp(xvfb, tmp_path, relay_url=relay.url, extra_env={"BROWSER": str(browser_command)})
    app.start()
    with driving(app, artifacts_dir, "desktop-files-chat") as windows:
        support = desktop_support_with_customer(app, windows, browser, relay.url)
        chat, customer = support.chat, support.customer
        customer.get_by_test_id("chat-input").fill("My requirements are attached.")
        customer.get_by_test_id("chat-input").press("Enter")
        source = tmp_path / "requirements.xlsx"
        make_file(source, 200 * 1024)
        customer.get_by_test_id("file-input").set_input_files(str(source))
        delivered = customer.locator('[data-testid="file-row"][data-state="received"]')
        expect(delivered).to_have_count(1, timeout=20_000)
        expect(customer.get_by_test_id("file-row")).to_have_count(1)  # the local card went
        url = "https://prices.example/plan"
        customer.get_by_test_id("chat-input").fill(f"And our budget page: {url}.")
        customer.get_by_test_id("chat-input").press("Enter")
        link = by_test_id("chat-link")
        chat.wait_for_selector(link)
        order = chat.evaluate(
            """[...document.querySelectorAll('[data-testid="chat-transcript"] > .rs-msg')]
                .map((li) => li.dataset.kind || "text")"""
        )
        assert order == ["text", "file", "text"]
        assert chat.text(by_test_id("file-name")) == "requirements.xlsx"
        page_url = chat.evaluate("location.href")
        keep_shot(
            chat.screenshot(artifacts_dir / "desktop-chat-file-in-conversation.png"),
            reviewers_folder("files-chat"),
            "after_desktop_chat_960x720_file_in_conversation.png",
        )
        chat.click(link)
        wait_until(lambda: opened.exists() and opened.read_text().strip(), "the system browser")
        assert opened.read_text().split() == [url]
        assert chat.evaluate("location.href") == page_url
        # Through the app's checked route (POST /local/open_link), not only pywebview's Qt
        # new-window handler, which opens any scheme and exists on Qt alone.
        assert f"opening {url} in the system browser" in app.log()
