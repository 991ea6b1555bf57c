"""Favourites (A9, CH7) and remote print in real Chromium against the real relay: the Settings
tab keeps links and documents, the chat's Favourites menu sends a link as a card and a document
as a downloadable file, and a print request prints only after the customer's click."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from suite.files.client import FileTransferClient
from tests.support.chat_client import ChatClient
from tests.support.favourites import pdf_bytes
from tests.support.files import png_bytes
from tests.support.shots import keep_shot, reviewers_folder
from tests.support.ui_pages import by_id, customer_join, screenshot, start_support
from tests.support.viewer_presenter import Presenter, open_viewer, start_session

pytestmark = pytest.mark.e2e

SHOTS = reviewers_folder("favourites-print")
PHONE_390 = {"width": 390, "height": 844}
DESKTOP_1280 = {"width": 1280, "height": 800}
# The test's own stand-in for the print dialog: installed in the customer's page only, it
# records each call (and the image the page put in its print area) instead of blocking.
PRINT_HOOK = """
window.__prints = [];
window.print = () => {
  const img = document.querySelector('.rs-print-area img');
  window.__prints.push({image: img ? img.naturalWidth : 0,
                        printing: document.documentElement.classList.contains('rs-printing')});
};
"""


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own support and customer."""
    return shared_relay


def shoot(page: Page, name: str) -> None:
    keep_shot(screenshot(page, name), SHOTS)


def add_favourites(agent: Page, tmp_path: Path) -> dict[str, str]:
    """Through Settings › Favourites: a link, a PDF and a PNG; returns their files' sha256."""
    by_id(agent, "settings-button").click()
    by_id(agent, "tab-favourites").click()
    by_id(agent, "fav-link-title").fill("Spring catalogue")
    by_id(agent, "fav-link-url").fill("https://shop.example/spring?ref=chat")
    by_id(agent, "fav-link-add").click()
    expect(by_id(agent, "fav-link-item")).to_have_count(1)
    pdf = tmp_path / "price list.pdf"
    pdf.write_bytes(pdf_bytes("Price list 2027"))
    png = tmp_path / "floor plan.png"
    png.write_bytes(png_bytes(320, 200, (20, 140, 90)))
    by_id(agent, "fav-document-input").set_input_files([str(pdf), str(png)])
    expect(by_id(agent, "fav-document-item")).to_have_count(2)
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in (pdf, png)}


def open_menu(agent: Page) -> None:
    by_id(agent, "fav-menu-button").click()
    expect(by_id(agent, "fav-menu")).to_be_visible()
    expect(by_id(agent, "fav-menu-item").first).to_be_visible()


def menu_row(agent: Page, name: str):
    return by_id(agent, "fav-menu-item").filter(has_text=name)


def join(open_ui, agent: Page, viewport=DESKTOP_1280, locale="en-US") -> Page:
    """Back from Settings, the agent starts a support; a customer page (with the print hook)
    joins it."""
    agent.locator("#settings-panel [data-back-home]").click()
    code = start_support(agent)
    customer = open_ui("/", viewport=viewport, locale=locale)
    customer.add_init_script(PRINT_HOOK)
    customer.reload()
    customer_join(customer, code)
    expect(by_id(agent, "chat-input")).to_be_visible()
    return customer


def test_settings_keep_favourites_and_the_menu_sends_a_link_card_and_a_document(
    agent_page: Page, open_ui, tmp_path
) -> None:
    """Links and documents added in Settings show in the chat's Favourites menu; a link reaches
    the customer as a card (title and host, a safe new-tab link) and a document as a file the
    customer downloads with the sha256 it was kept with."""
    agent = agent_page
    hashes = add_favourites(agent, tmp_path)
    # Rename a document in place, move it up, remove it; the list comes back as stored.
    png_row = by_id(agent, "fav-document-item").nth(1)
    png_row.get_by_test_id("fav-rename").click()
    by_id(agent, "fav-rename-input").fill("Floor plan B.png")
    by_id(agent, "fav-rename-input").press("Enter")
    expect(by_id(agent, "fav-document-item").nth(1).get_by_test_id("fav-name")).to_have_text(
        "Floor plan B.png"
    )
    by_id(agent, "fav-document-item").nth(1).get_by_test_id("fav-up").click()
    expect(by_id(agent, "fav-document-item").first.get_by_test_id("fav-name")).to_have_text(
        "Floor plan B.png"
    )
    by_id(agent, "fav-document-item").first.get_by_test_id("fav-remove").click()
    expect(by_id(agent, "fav-document-item")).to_have_count(1)
    shoot(agent, "agent_settings_favourites_en_1280")
    by_id(agent, "fav-link-title").fill("Bad")
    by_id(agent, "fav-link-url").fill("javascript:alert(1)")
    by_id(agent, "fav-link-add").click()
    expect(by_id(agent, "fav-error")).to_contain_text("http:// or https://")
    expect(by_id(agent, "fav-link-item")).to_have_count(1)
    shoot(agent, "agent_settings_favourites_bad_url_en_1280")
    by_id(agent, "language-select").select_option("ko")
    expect(by_id(agent, "tab-favourites")).to_have_text("즐겨찾기")
    shoot(agent, "agent_settings_favourites_ko_1280")
    by_id(agent, "language-select").select_option("en")
    customer = join(open_ui, agent)
    open_menu(agent)
    shoot(agent, "agent_chat_favourites_menu_en_1280")
    menu_row(agent, "Spring catalogue").get_by_test_id("fav-send-link").click()
    card = by_id(customer, "chat-link-card")
    expect(card).to_be_visible()
    expect(card).to_have_attribute("href", "https://shop.example/spring?ref=chat")
    expect(card).to_have_attribute("target", "_blank")
    expect(card.get_by_test_id("chat-link-host")).to_have_text("shop.example")
    expect(card).to_contain_text("Spring catalogue")
    expect(by_id(agent, "chat-link-card")).to_be_visible()

    open_menu(agent)
    menu_row(agent, "price list.pdf").get_by_test_id("fav-send-document").click()
    row = customer.get_by_test_id("file-row").filter(has_text="price list.pdf")
    expect(row).to_have_attribute("data-state", "ready", timeout=15_000)
    with customer.expect_download() as download:
        row.get_by_test_id("file-download").click()
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == hashes["price list.pdf"]
    shoot(customer, "customer_link_card_and_document_en_1280")
    customer.set_viewport_size(PHONE_390)
    by_id(customer, "language-select").select_option("ko")
    shoot(customer, "customer_link_card_and_document_ko_390")
    by_id(agent, "language-select").select_option("ko")
    open_menu(agent)
    shoot(agent, "agent_chat_favourites_menu_ko_1280")


@pytest.mark.parametrize(
    ("viewport", "locale", "size"),
    [(DESKTOP_1280, "en-US", "1280"), (PHONE_390, "ko-KR", "390")],
)
def test_print_opens_only_after_the_customers_click_and_a_decline_reaches_the_agent(
    agent_page: Page, open_ui, tmp_path, viewport, locale, size
) -> None:
    """The "Send to print" item shows the customer the request (name, size) with Print and
    Decline; nothing prints until Print is pressed, then the print dialog opens with the image;
    a declined request is told to the agent."""
    agent = agent_page
    add_favourites(agent, tmp_path)
    customer = join(open_ui, agent, viewport, locale)
    open_menu(agent)
    menu_row(agent, "floor plan.png").get_by_test_id("fav-print-document").click()
    request = by_id(customer, "print-request").last
    expect(request).to_be_visible(timeout=15_000)
    expect(request.get_by_test_id("print-file")).to_contain_text("floor plan.png")
    expect(by_id(agent, "print-request").last).to_be_visible()
    lang = "ko" if locale.startswith("ko") else "en"
    shoot(customer, f"customer_print_request_{lang}_{size}")
    if size == "1280":  # the other language at both sizes too, then back as it was
        by_id(customer, "language-select").select_option("ko")
        shoot(customer, "customer_print_request_ko_1280")
        customer.set_viewport_size(PHONE_390)
        shoot(customer, "customer_print_request_ko_390")
        by_id(customer, "language-select").select_option("en")
        shoot(customer, "customer_print_request_en_390")
        customer.set_viewport_size(DESKTOP_1280)
    assert customer.evaluate("() => window.__prints.length") == 0  # nothing without a click
    request.get_by_test_id("print-accept").click()
    customer.wait_for_function("() => window.__prints.length === 1")
    printed = customer.evaluate("() => window.__prints[0]")
    assert printed == {"image": 320, "printing": True}
    expect(request.get_by_test_id("print-status")).to_have_attribute("data-testid", "print-status")
    expect(request).to_have_attribute("data-state", "print.accepted_you")
    expect(by_id(agent, "print-request").last).to_have_attribute("data-state", "print.accepted")

    open_menu(agent)
    menu_row(agent, "price list.pdf").get_by_test_id("fav-print-document").click()
    expect(by_id(customer, "print-request")).to_have_count(2)
    by_id(customer, "print-request").last.get_by_test_id("print-decline").click()
    expect(by_id(agent, "print-request").last).to_have_attribute("data-state", "print.declined")
    expect(by_id(agent, "print-request").last.get_by_test_id("print-status")).to_contain_text(
        "Chris Park"
    )
    assert customer.evaluate("() => window.__prints.length") == 1  # the decline printed nothing
    shoot(agent, f"agent_print_answers_customer_{size}")
    shoot(customer, f"customer_print_answered_{lang}_{size}")


def test_a_file_sent_from_disk_can_be_asked_to_print(chat_pages, tmp_path) -> None:
    """The agent's own printable file gets "Ask to print" once it is at the relay; pressing it
    shows the customer the request, and nothing prints before the customer's click."""
    agent, customer = chat_pages
    customer.evaluate(f"() => {{ {PRINT_HOOK} }}")  # the page is open: install the hook now
    source = tmp_path / "contract.pdf"
    source.write_bytes(pdf_bytes("Contract"))
    by_id(agent, "file-input").set_input_files(str(source))
    ask = by_id(agent, "file-print")
    expect(ask).to_be_visible(timeout=15_000)
    expect(ask).to_have_attribute("aria-label", "Ask the customer to print contract.pdf")
    ask.click()
    request = by_id(customer, "print-request")
    expect(request).to_be_visible()
    expect(request.get_by_test_id("print-file")).to_contain_text("contract.pdf")
    assert customer.evaluate("() => window.__prints.length") == 0
    shoot(agent, "agent_file_ask_to_print_1280")


def test_a_pdf_prints_from_a_hidden_frame_after_the_click(chat_pages, tmp_path) -> None:
    """Print on a PDF request loads the document into a hidden frame (a blob: URL) and the
    card says it printed; before the click there is no frame."""
    agent, customer = chat_pages
    source = tmp_path / "offer.pdf"
    source.write_bytes(pdf_bytes("Offer"))
    by_id(agent, "file-input").set_input_files(str(source))
    by_id(agent, "file-print").click()
    request = by_id(customer, "print-request")
    expect(request).to_be_visible(timeout=15_000)
    assert customer.locator(".rs-print-frame").count() == 0
    request.get_by_test_id("print-accept").click()
    expect(request).to_have_attribute("data-state", "print.accepted_you", timeout=15_000)
    frame = customer.locator(".rs-print-frame")
    expect(frame).to_have_attribute("src", re.compile(r"^blob:"))


def test_the_browser_viewer_shows_a_print_request_and_prints_on_its_click(
    browser, relay, tmp_path
) -> None:
    """In the browser viewer (/view) the request opens the chat beside the screen; nothing prints
    until Print, which prints the image; the agent gets the answer."""
    session = start_session(relay)
    presenter = Presenter(session)
    presenter.start((640, 360))
    agent = ChatClient(session.ws_url, "agent", session.session_id, session.agent_token)
    agent.connect()
    viewer = open_viewer(browser, session)
    try:
        viewer.context.add_init_script(PRINT_HOOK)
        viewer.reload()
        image = tmp_path / "plan.png"
        image.write_bytes(png_bytes(200, 120))
        auth = f"Bearer {session.agent_token}"
        sent = FileTransferClient(relay.url, auth).send(session.session_id, image)
        expect(by_id(viewer, "viewer-end")).to_be_enabled()  # its socket is seated: online
        agent.send({"type": "request_print", "transfer_id": sent["id"]})
        request = by_id(viewer, "print-request")
        expect(request.first).to_be_visible()
        shoot(viewer, "viewer_print_request_en_1280")
        assert viewer.evaluate("() => window.__prints.length") == 0
        request.first.get_by_test_id("print-accept").click()
        viewer.wait_for_function("() => window.__prints.length === 1")
        assert viewer.evaluate("() => window.__prints[0].image") == 200
        assert agent.recv_type("print_answered")["accept"] is True
    finally:
        viewer.context.close()
        agent.close()
        presenter.close()
