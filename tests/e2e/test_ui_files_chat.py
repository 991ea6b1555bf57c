"""Files and links in the conversation, in real Chromium against the real relay: each file is
an item of the transcript on both sides (and after a reload), both sides download, and http(s)
links in chat text open safely in a new tab."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from suite.files.client import sha256_of
from tests.support.files import make_file
from tests.support.shots import keep_shot, reviewers_folder
from tests.support.ui_pages import (
    by_id,
    customer_join,
    remove_the_customer,
    rows,
    screenshot,
    start_support,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own support; files belong to it."""
    return shared_relay


SHOTS = reviewers_folder("files-chat")
PHONE_390 = {"width": 390, "height": 844}


def send_chat(page: Page, text: str) -> None:
    by_id(page, "chat-input").fill(text)
    by_id(page, "chat-input").press("Enter")


def transcript(page: Page) -> list[str]:
    """Each item of the transcript in order: "file:<name>" for a file, else the message text."""
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="chat-transcript"] > .rs-msg')]
            .map((li) => li.dataset.kind === "file"
                ? "file:" + li.querySelector('[data-testid="file-name"]').textContent
                : li.querySelector('[data-testid="chat-text"]').textContent)"""
    )


def shoot(page: Page, name: str) -> None:
    keep_shot(screenshot(page, name), SHOTS)


def test_a_file_is_an_item_of_the_conversation_and_both_sides_download_it(
    chat_pages, tmp_path
) -> None:
    """Between two messages the agent's file shows on both sides in time order with name,
    size and "Upload complete"; the customer and the agent (its sender) both download the same
    bytes, and a reloaded customer page has the item in the same place."""
    agent, customer = chat_pages
    send_chat(customer, "Could you send me the price list?")
    expect(by_id(agent, "chat-text").last).to_have_text("Could you send me the price list?")
    source = tmp_path / "price list 2027.pdf"
    sha = make_file(source, 2 * 1024 * 1024)
    by_id(agent, "file-input").set_input_files(str(source))
    card = rows(customer).first
    expect(card).to_have_attribute("data-state", "ready", timeout=15_000)
    expect(card.get_by_test_id("file-status")).to_have_text("Upload complete · ready to download")
    expect(rows(agent).first.get_by_test_id("file-status")).to_have_text("Upload complete")
    send_chat(agent, "Here you are. Anything else?")
    expected = [
        "Could you send me the price list?",
        "file:price list 2027.pdf",
        "Here you are. Anything else?",
    ]
    expect(by_id(customer, "chat-text").last).to_have_text(expected[-1])
    assert transcript(customer) == transcript(agent) == expected
    expect(card.get_by_test_id("file-name")).to_have_text("price list 2027.pdf")
    expect(card).to_contain_text("2 MB")
    with agent.expect_download() as own:  # the sender downloads its own file
        rows(agent).first.get_by_test_id("file-download").click()
    own.value.save_as(tmp_path / "own.pdf")
    assert sha256_of(tmp_path / "own.pdf") == sha
    expect(rows(customer).first).to_have_attribute("data-state", "ready")  # no receipt
    with customer.expect_download() as theirs:
        card.get_by_test_id("file-download").click()
    theirs.value.save_as(tmp_path / "theirs.pdf")
    assert sha256_of(tmp_path / "theirs.pdf") == sha
    expect(rows(agent).first.get_by_test_id("file-status")).to_have_text("Delivered")
    shoot(agent, "after_agent_page_file_in_chat_1280")
    shoot(customer, "after_customer_file_in_chat_1280")
    customer.reload()
    expect(by_id(customer, "chat-text").last).to_have_text(expected[-1])
    expect(rows(customer).first).to_have_attribute("data-state", "received")
    assert transcript(customer) == expected
    with customer.expect_download():  # still downloadable after the receipt
        rows(customer).first.get_by_test_id("file-download").click()
    # The end: the relay forgets the files; the items stay, with nothing to fetch.
    by_id(agent, "end-button").click()
    by_id(agent, "end-confirm").click()
    expect(rows(customer).first.get_by_test_id("file-download")).to_be_hidden()


def test_links_in_chat_are_clickable_and_only_http_and_https(chat_pages) -> None:
    """An https URL becomes a link (new tab, no opener, no referrer) without its trailing
    punctuation; javascript:, data: and look-alike schemes stay text."""
    agent, customer = chat_pages
    customer.context.route(
        "https://prices.example/**",
        lambda route: route.fulfill(body="<title>prices</title>ok", content_type="text/html"),
    )
    text = (
        "Our prices: https://prices.example/plan?id=7&x=(a). Not javascript:alert(1) nor "
        "data:text/html,<b>x</b> nor hxxps://evil.example nor https://bank.example@evil.example"
    )
    send_chat(agent, text)
    message = by_id(customer, "chat-text").last
    expect(message).to_have_text(text)
    links = message.get_by_test_id("chat-link")
    expect(links).to_have_count(1)
    link = links.first
    expect(link).to_have_text("https://prices.example/plan?id=7&x=(a)")
    expect(link).to_have_attribute("href", "https://prices.example/plan?id=7&x=(a)")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    assert message.evaluate("(node) => node.querySelectorAll('script, img').length") == 0
    with customer.context.expect_page() as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == "https://prices.example/plan?id=7&x=(a)"
    assert tab.evaluate("() => window.opener === null && document.referrer === ''")
    tab.close()
    expect(by_id(agent, "chat-link")).to_have_count(1)  # the sender's copy links too


def test_the_customer_phone_shows_a_file_item_in_korean(agent_page: Page, open_ui, tmp_path):
    """On a 390×844 phone in Korean the file item fits the screen with its Download button."""
    code = start_support(agent_page)
    phone = open_ui("/", viewport=PHONE_390, locale="ko-KR")
    customer_join(phone, code, name="김민수")
    send_chat(phone, "견적서를 보내 주실 수 있나요?")
    source = tmp_path / "2027년 견적서 (최종본).pdf"
    make_file(source, 300 * 1024)
    by_id(agent_page, "file-input").set_input_files(str(source))
    card = rows(phone).first
    expect(card).to_have_attribute("data-state", "ready", timeout=15_000)
    expect(card.get_by_test_id("file-status")).to_have_text("업로드 완료 · 다운로드 가능")
    box = card.bounding_box()
    button = card.get_by_test_id("file-download").bounding_box()
    assert box is not None and button is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert button["x"] + button["width"] <= box["x"] + box["width"]
    shoot(phone, "after_customer_file_in_chat_phone_ko")


def test_after_removing_the_customer_the_agents_file_items_offer_nothing(chat_pages, tmp_path):
    """The relay drops a removed customer's files, delivered ones too: the agent's items stay in
    the conversation but offer no Download any more."""
    agent, customer = chat_pages
    source = tmp_path / "quote.pdf"
    make_file(source, 64 * 1024)
    by_id(agent, "file-input").set_input_files(str(source))
    with customer.expect_download():
        rows(customer).first.get_by_test_id("file-download").click()
    expect(rows(agent).first).to_have_attribute("data-state", "received")
    download = rows(agent).first.get_by_test_id("file-download")
    expect(download).to_be_visible()
    remove_the_customer(agent)
    expect(download).to_have_js_property("hidden", True)  # not just out of view
    expect(rows(agent)).to_have_count(1)
