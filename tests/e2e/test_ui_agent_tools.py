"""The agent's toolbar in browser mode: agent info with a photo the customer sees (A2, C1),
short messages (A9, CH4), consultation notes (CH5) and the help page (A5)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.api import Api
from tests.support.files import png_bytes
from tests.support.relay import ALICE
from tests.support.ui_pages import (
    PageFactory,
    add_short_message,
    agent_login,
    bubble_with_text,
    by_id,
    customer_join,
    screenshot,
    send_chat,
    start_support,
)

pytestmark = pytest.mark.e2e

CHAT_WINDOW = {"width": 420, "height": 640}
ALICE_PROFILE = {"name": ALICE.name, "title": ALICE.title or "", "phone": "", "email": ""}


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own support and customer."""
    return shared_relay


def open_profile(agent: Page) -> None:
    by_id(agent, "profile-button").click()
    expect(by_id(agent, "profile-name")).to_be_focused()


def notes_of(api: Api, session_id: str) -> str:
    token = api.login("alice", "alice-password-1")
    status, body, _ = api.request("GET", f"/api/sessions/{session_id}/notes", token=token)
    assert status == 200, body
    return body["notes"]


def session_id(page: Page) -> str:
    return page.evaluate("window.__rsTest.state().sessionId")


def test_profile_edit_and_photo_reach_the_customer(
    agent_page: Page, open_ui: PageFactory, tmp_path: Path
) -> None:
    """Edited profile and an uploaded PNG show on the icon tile and in the customer's chat."""
    open_profile(agent_page)
    expect(by_id(agent_page, "profile-name")).to_have_value("Alice Kim")
    by_id(agent_page, "profile-title").fill("Senior Sales Manager")
    by_id(agent_page, "profile-phone").fill("+82 2 555 0100")
    by_id(agent_page, "profile-email").fill("not-an-address")
    by_id(agent_page, "profile-save").click()
    expect(by_id(agent_page, "profile-message")).to_contain_text("valid e-mail")
    by_id(agent_page, "profile-email").fill("alice@example.com")
    by_id(agent_page, "profile-save").click()
    expect(by_id(agent_page, "profile-message")).to_have_text("Your profile is saved.")

    not_an_image = tmp_path / "notes.png"
    not_an_image.write_bytes(b"this is text, not a picture")
    by_id(agent_page, "photo-input").set_input_files(str(not_an_image))
    expect(by_id(agent_page, "photo-message")).to_contain_text("not a photo we can use")
    huge = tmp_path / "huge.png"
    huge.write_bytes(png_bytes() + b"\x00" * (1024 * 1024))
    by_id(agent_page, "photo-input").set_input_files(str(huge))
    expect(by_id(agent_page, "photo-message")).to_contain_text("too large")

    photo = tmp_path / "alice.png"
    photo.write_bytes(png_bytes())
    by_id(agent_page, "photo-input").set_input_files(str(photo))
    expect(by_id(agent_page, "photo-message")).to_have_text("Photo saved.")
    expect(by_id(agent_page, "profile-avatar")).to_have_attribute("data-photo", "shown")
    expect(by_id(agent_page, "photo-remove")).to_be_visible()
    screenshot(agent_page, "agent-profile")

    by_id(agent_page, "home-button").click()
    code = start_support(agent_page)
    customer = open_ui("/")
    tile_photo = by_id(customer, "agent-icon-photo")
    expect(tile_photo).to_be_visible()
    tile_photo.scroll_into_view_if_needed()
    assert customer.evaluate("(img) => img.naturalWidth", tile_photo.element_handle()) == 48
    screenshot(customer, "customer-icons-with-photo")
    customer_join(customer, code)
    avatar = customer.locator("#agent-avatar")
    expect(avatar).to_have_attribute("data-photo", "shown")
    expect(customer.locator("#agent-role")).to_have_text("Senior Sales Manager · Acme")
    screenshot(customer, "customer-chat-with-photo")


def test_removed_photo_falls_back_to_initials(agent_page: Page, tmp_path: Path) -> None:
    """Remove photo deletes it on the relay; the avatar shows the initials again."""
    open_profile(agent_page)
    photo = tmp_path / "alice.png"
    photo.write_bytes(png_bytes())
    by_id(agent_page, "photo-input").set_input_files(str(photo))
    expect(by_id(agent_page, "profile-avatar")).to_have_attribute("data-photo", "shown")
    by_id(agent_page, "photo-remove").click()
    expect(by_id(agent_page, "profile-avatar")).to_have_attribute("data-photo", "none")
    expect(by_id(agent_page, "profile-avatar")).to_have_text("AK")
    expect(by_id(agent_page, "photo-remove")).to_be_hidden()


def test_short_messages_expand_by_key_and_by_picker(agent_page: Page, open_ui: PageFactory) -> None:
    """Keys are validated; in the chat a key + space/Tab expands and the picker inserts."""
    by_id(agent_page, "settings-button").click()
    expect(by_id(agent_page, "tab-short")).to_be_focused()
    add_short_message(agent_page, "price", "no slash")
    expect(by_id(agent_page, "short-error")).to_contain_text("starts with /")
    add_short_message(agent_page, "/price", "Dear {customer}, {company}'s price is 100.")
    expect(by_id(agent_page, "short-item")).to_have_count(1)
    add_short_message(agent_page, "/PRICE", "again")
    expect(by_id(agent_page, "short-error")).to_contain_text("already used")
    add_short_message(agent_page, "/bye", "Thank you, {agent}")
    expect(by_id(agent_page, "short-item")).to_have_count(2)
    by_id(agent_page, "short-edit").nth(1).click()
    expect(by_id(agent_page, "short-text")).to_be_focused()
    by_id(agent_page, "short-text").fill("Thank you! Regards, {agent}")
    by_id(agent_page, "short-save").click()
    expect(by_id(agent_page, "short-item").nth(1)).to_contain_text("Regards, {agent}")
    # The tabs follow the keyboard pattern. In a browser the Network tab holds the automatic
    # sign-out only (the connection settings are the desktop app's: the browser's network).
    by_id(agent_page, "tab-short").focus()
    agent_page.keyboard.press("ArrowRight")
    expect(by_id(agent_page, "tab-alerts")).to_be_focused()
    agent_page.keyboard.press("ArrowRight")
    expect(by_id(agent_page, "tab-network")).to_be_focused()
    expect(agent_page.locator("#tabpanel-network")).to_contain_text("Automatic sign-out")
    expect(agent_page.locator("#tabpanel-network")).not_to_contain_text("coming soon")
    screenshot(agent_page, "agent-settings-network")
    agent_page.keyboard.press("ArrowLeft")
    agent_page.keyboard.press("ArrowLeft")
    screenshot(agent_page, "agent-settings-short")

    agent_page.reload()  # kept in this browser's storage
    by_id(agent_page, "settings-button").click()
    expect(by_id(agent_page, "short-item")).to_have_count(2)
    by_id(agent_page, "home-button").click()

    code = start_support(agent_page)
    customer = open_ui("/")
    customer_join(customer, code, name="Chris Park")
    box = by_id(agent_page, "chat-input")
    box.click()
    box.type("/price ")
    expect(box).to_have_value("Dear Chris Park, Acme's price is 100. ")
    box.press("Enter")
    expect(bubble_with_text(customer, "Dear Chris Park, Acme's price is 100.")).to_be_visible()

    box.type("/price")
    box.press("Enter")  # expands and sends at once
    expect(bubble_with_text(customer, "Dear Chris Park, Acme's price is 100.")).to_have_count(2)
    expect(box).to_have_value("")

    box.type("Note: /bye")
    box.press("Tab")
    expect(box).to_have_value("Note: Thank you! Regards, Alice Kim")
    expect(box).to_be_focused()
    box.fill("")

    by_id(agent_page, "short-picker-button").click()
    expect(by_id(agent_page, "short-option")).to_have_count(2)
    screenshot(agent_page, "agent-short-picker")
    agent_page.keyboard.press("ArrowDown")
    agent_page.keyboard.press("Enter")
    expect(box).to_be_focused()
    expect(box).to_have_value("Thank you! Regards, Alice Kim")
    box.press("Enter")
    expect(bubble_with_text(customer, "Thank you! Regards, Alice Kim")).to_be_visible()

    by_id(agent_page, "short-picker-button").click()
    agent_page.keyboard.press("Escape")
    expect(by_id(agent_page, "short-picker")).to_be_hidden()
    expect(by_id(agent_page, "short-picker-button")).to_be_focused()


def test_notes_autosave_retry_and_edit_after_the_end(
    chat_pages: tuple[Page, Page], api: Api
) -> None:
    """Notes autosave, survive a failed save (kept, retried) and stay editable after the end."""
    agent, customer = chat_pages
    sid = session_id(agent)
    notes = by_id(agent, "notes-input")
    expect(notes).to_be_editable()
    notes.fill("Wants the premium plan.")
    expect(by_id(agent, "notes-status")).to_contain_text("Saved at")
    assert notes_of(api, sid) == "Wants the premium plan."
    screenshot(agent, "agent-chat-with-notes")

    # The relay cannot be reached for a while: the text stays and is saved once it can.
    agent.route(re.compile(r".*/notes$"), lambda route: route.abort())
    notes.fill("Wants the premium plan. Call back on Monday.")
    by_id(agent, "notes-save").click()
    expect(by_id(agent, "notes-status")).to_have_attribute("data-state", "failed")
    expect(by_id(agent, "notes-status")).to_contain_text("Your text is kept")
    expect(notes).to_have_value("Wants the premium plan. Call back on Monday.")
    agent.unroute(re.compile(r".*/notes$"))
    expect(by_id(agent, "notes-status")).to_contain_text("Saved at", timeout=10_000)
    assert notes_of(api, sid) == "Wants the premium plan. Call back on Monday."

    send_chat(customer, "bye")
    by_id(customer, "end-button").click()
    by_id(customer, "end-confirm").click()
    expect(by_id(agent, "end-screen")).to_be_visible()
    end_notes = by_id(agent, "notes-input")
    expect(end_notes).to_have_value("Wants the premium plan. Call back on Monday.")
    end_notes.fill("Ended: sent the brochure.")
    by_id(agent, "notes-save").click()
    expect(by_id(agent, "notes-status")).to_contain_text("Saved at")
    assert notes_of(api, sid) == "Ended: sent the brochure."
    screenshot(agent, "agent-end-with-notes")


def test_chat_window_size_shows_notes_behind_a_toggle(open_ui: PageFactory, relay) -> None:
    """At 420×640 the chat fills the window and the Notes button swaps chat and notes."""
    agent = open_ui("/agent", viewport=CHAT_WINDOW)
    agent_login(agent)
    code = start_support(agent)
    screenshot(agent, "agent-small-waiting")
    customer = open_ui("/")
    customer_join(customer, code)
    expect(by_id(agent, "chat-input")).to_be_visible()
    expect(by_id(agent, "notes-input")).to_be_hidden()
    toggle = by_id(agent, "notes-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    screenshot(agent, "agent-small-chat")
    toggle.click()
    expect(by_id(agent, "notes-input")).to_be_focused()
    expect(by_id(agent, "chat-input")).to_be_hidden()
    screenshot(agent, "agent-small-notes")
    toggle.click()
    expect(by_id(agent, "chat-input")).to_be_focused()


def test_help_opens_in_a_new_tab_in_both_languages(agent_page: Page) -> None:
    """Help opens help.html; the English and Korean guides cover the same topics."""
    with agent_page.context.expect_page() as opened:
        by_id(agent_page, "help-button").click()
    help_page = opened.value
    help_page.wait_for_load_state()
    assert help_page.url.endswith("/ui/agent/help.html")
    expect(by_id(help_page, "help-en")).to_be_visible()
    expect(by_id(help_page, "help-ko")).to_be_hidden()
    english = by_id(help_page, "help-en").locator("h2")
    korean = by_id(help_page, "help-ko").locator("h2")
    expect(english).to_have_count(18)
    expect(korean).to_have_count(18)
    for lang in ("en", "ko"):
        # The table of contents lists every section, in order, each linking to its heading.
        article = by_id(help_page, f"help-{lang}")
        links = article.locator(".help-toc a").evaluate_all(
            "(links) => links.map((a) => [a.getAttribute('href').slice(1), a.textContent])"
        )
        headings = article.locator("h2").evaluate_all(
            "(hs) => hs.map((h) => [h.id, h.textContent])"
        )
        assert links == headings, lang
        ids = [section for section, _ in headings]
        for topic in ("settings", "admin", "logout"):
            assert f"{lang}-{topic}" in ids, (lang, topic)
    expect(by_id(help_page, "help-en").locator("#en-logout + p + p")).to_contain_text(
        "never happens while a support is waiting"
    )
    screenshot(help_page, "agent-help-en")
    by_id(help_page, "language-select").select_option("ko")
    expect(by_id(help_page, "help-ko")).to_be_visible()
    expect(by_id(help_page, "help-en")).to_be_hidden()
    expect(help_page).to_have_title("RemoteSales · 도움말")
    screenshot(help_page, "agent-help-ko")


def test_a_reload_comes_back_to_the_open_view(agent_page: Page) -> None:
    """/agent reloaded while Reservations (or History) is open shows that view again, not home;
    back on home, a reload stays home."""
    by_id(agent_page, "reservations-button").click()
    expect(by_id(agent_page, "reservations-panel")).to_be_visible()
    agent_page.reload()
    expect(by_id(agent_page, "reservations-panel")).to_be_visible()
    expect(by_id(agent_page, "reservations-button")).to_have_attribute("aria-current", "page")
    by_id(agent_page, "history-button").click()
    expect(by_id(agent_page, "history-panel")).to_be_visible()
    agent_page.reload()
    expect(by_id(agent_page, "history-panel")).to_be_visible()
    by_id(agent_page, "home-button").click()
    agent_page.reload()
    expect(by_id(agent_page, "new-support-button")).to_be_visible()


@pytest.mark.parametrize(
    ("locale", "note"),
    [("en-US", "settings are in the RemoteSales desktop app"), ("ko-KR", "데스크톱 앱에 있습니다")],
)
def test_the_browser_network_tab_says_where_network_settings_are(
    open_ui: PageFactory, locale: str, note: str
) -> None:
    """In a browser the Network tab says the connection settings belong to the desktop app
    (English and Korean) and offers no server or proxy fields, only the automatic sign-out."""
    page = open_ui("/agent", locale=locale)
    agent_login(page)
    by_id(page, "settings-button").click()
    by_id(page, "tab-network").click()
    panel = page.locator("#tabpanel-network")
    expect(by_id(page, "network-browser-note")).to_contain_text(note)
    expect(panel.locator("input:not(#idle-minutes)")).to_have_count(0)
    expect(by_id(page, "idle-minutes")).to_be_visible()
    screenshot(page, f"agent-settings-network-browser-{locale}")
