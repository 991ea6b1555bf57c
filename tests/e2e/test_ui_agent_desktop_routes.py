"""Desktop-only routes behind the agent page, in Chromium against the real local API: short
messages saved through PUT /local/settings, the profile and its photo through /local/relay
(shown from a blob: URL), and the login form's TLS and protocol-version messages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from suite.protocol import PROTOCOL_VERSION
from tests.support.api import Api
from tests.support.desktop_ui import (
    CHAT_WINDOW,
    LocalApp,
    desktop_page,
    local_call,
)
from tests.support.files import png_bytes
from tests.support.relay import ALICE
from tests.support.ui_pages import PageFactory, add_short_message, by_id, screenshot

pytestmark = pytest.mark.e2e

MAIN_WINDOW = {"width": 1100, "height": 800}


def open_main(browser, app: LocalApp) -> Page:
    return desktop_page(browser, app.page_url("agent/index.html", desktop="1"), MAIN_WINDOW)


def sign_in(page: Page) -> None:
    by_id(page, "login-username").fill(ALICE.username)
    by_id(page, "login-password").fill(ALICE.password)
    by_id(page, "login-button").click()
    expect(by_id(page, "new-support-button")).to_be_visible()


def test_short_messages_move_from_the_settings_file_to_the_account(
    browser, relay, local_app: LocalApp, tmp_path: Path
) -> None:
    """Short messages an older app kept in its settings file are imported to the account at
    sign-in (and emptied there); a save goes to the relay, and a new window shows both."""
    page = open_main(browser, local_app)
    try:
        sign_in(page)
        by_id(page, "settings-button").click()
        expect(by_id(page, "short-item")).to_have_count(1)  # the fixture's /hi, imported
        with local_call(page, "PUT", "/local/relay/me/short_messages") as answer:
            add_short_message(page, "/price", "Dear {customer}, the price is 100.")
        assert answer.value.status == 200
        assert answer.value.request.post_data_json["short_messages"][-1] == {
            "key": "/price", "text": "Dear {customer}, the price is 100.",
        }  # fmt: skip
        expect(by_id(page, "short-item")).to_have_count(2)
        on_disk = json.loads((tmp_path / "config" / "settings.json").read_text())
        assert on_disk["settings"]["1"]["short_messages"] == []  # imported once, not twice
        api = Api(relay.url)
        token = api.login(ALICE.username, ALICE.password)
        stored = api.request("GET", "/api/me/short_messages", token=token)[1]["short_messages"]
        assert [message["key"] for message in stored] == ["/hi", "/price"]
        screenshot(page, "desktop-mode-short-messages")
    finally:
        page.context.close()
    again = open_main(browser, local_app)  # a new window: nothing kept in the page itself
    try:
        # The app is still signed in: the new window uses that sign-in, no second login.
        expect(by_id(again, "new-support-button")).to_be_visible()
        by_id(again, "settings-button").click()
        expect(by_id(again, "short-item")).to_have_count(2)
        expect(by_id(again, "short-item").nth(1)).to_contain_text("/price")
    finally:
        again.context.close()


def test_profile_and_photo_through_the_relay_proxy(
    browser, local_app: LocalApp, open_ui: PageFactory, tmp_path: Path
) -> None:
    """Agent info in the app goes through /local/relay; the photo is fetched back through the
    proxy into a blob: URL (an <img> cannot send the launch secret), and customers see it."""
    page = open_main(browser, local_app)
    pages = [page]
    try:
        sign_in(page)
        by_id(page, "profile-button").click()
        by_id(page, "profile-title").fill("Desk Manager")
        with local_call(page, "PUT", "/local/relay/me") as saved:
            by_id(page, "profile-save").click()
        assert saved.value.status == 200
        expect(by_id(page, "profile-message")).to_have_text("Your profile is saved.")
        photo = tmp_path / "alice.png"
        photo.write_bytes(png_bytes())
        with page.expect_response(
            lambda r: "/local/relay/agents/alice/photo?v=" in r.url and r.status == 200
        ):
            with local_call(page, "PUT", "/local/relay/me/photo") as uploaded:
                by_id(page, "photo-input").set_input_files(str(photo))
        assert uploaded.value.status == 200
        expect(by_id(page, "photo-message")).to_have_text("Photo saved.")
        avatar = by_id(page, "profile-avatar")
        expect(avatar).to_have_attribute("data-photo", "shown")
        image = avatar.locator("img")
        assert (image.get_attribute("src") or "").startswith("blob:")
        assert image.evaluate("(img) => img.naturalWidth") == 48
        expect(page.locator("#agent-me-avatar img")).to_have_attribute("src", re.compile("^blob:"))
        screenshot(page, "desktop-mode-profile")
        # A support waiting in its chat window: the relay page's icon tile shows the photo.
        by_id(page, "home-button").click()
        with local_call(page, "POST", "/local/windows/chat") as opened:
            by_id(page, "new-support-button").click()
        session_id = opened.value.request.post_data_json["session_id"]
        pages.append(
            desktop_page(
                browser, local_app.page_url("agent/index.html", session=session_id), CHAT_WINDOW
            )
        )
        expect(by_id(pages[-1], "access-code")).to_have_text(re.compile(r"^\d{9}$"))
        customer = open_ui("/")
        tile = by_id(customer, "agent-icon-photo")
        expect(tile).to_be_visible()
        tile.scroll_into_view_if_needed()
        # Visible is not loaded: wait for the image itself (the relay serves it to anyone).
        customer.wait_for_function(
            "(img) => img.complete && img.naturalWidth === 48", arg=tile.element_handle()
        )
    finally:
        for window in pages:
            window.context.close()


def test_login_form_tells_tls_failure_and_version_mismatch(
    browser, local_app: LocalApp, relay_factory, certificate, impostor
) -> None:
    """A relay with a self-signed certificate and a server of another protocol version each get
    their own message in the form, and the address field is selected to be fixed."""
    cert, key = certificate
    tls_relay = relay_factory("--tls-cert", str(cert), "--tls-key", str(key))
    answer = json.dumps({"status": "ok", "protocol_version": PROTOCOL_VERSION + 1}).encode()
    other_version = impostor(200, "application/json", answer)
    page = open_main(browser, local_app)
    try:
        address = by_id(page, "login-relay-url")
        error = by_id(page, "login-error")
        for url, code, text in (
            # A7: an untrusted certificate says to set the CA file (Settings › Network).
            (tls_relay.url, "tls_failed", "set the CA file your administrator gave you"),
            (other_version, "version_mismatch", "runs a different version of RemoteSales"),
        ):
            address.fill(url)
            by_id(page, "login-username").fill(ALICE.username)
            by_id(page, "login-password").fill(ALICE.password)
            with local_call(page, "POST", "/local/login") as login:
                by_id(page, "login-button").click()
            assert login.value.json()["error"]["code"] == code
            expect(error).to_contain_text(text)
            expect(address).to_be_focused()
            screenshot(page, f"desktop-mode-login-{code}")
        address.fill(tls_relay.url)
        by_id(page, "login-password").fill(ALICE.password)
        by_id(page, "login-button").click()
        expect(error).to_contain_text("self-signed certificate")  # the reason, in the message
        expect(by_id(page, "new-support-button")).to_be_hidden()
    finally:
        page.context.close()
