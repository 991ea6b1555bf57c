"""The chat between the agent page and the customer page in real Chromium (CH1)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.socket_tap import SocketTap
from tests.support.ui_pages import (
    bubble_with_text,
    bubbles,
    by_id,
    expect_state,
    rs_state,
    screenshot,
    send_chat,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own support and customer, and the one
    that kills the relay restarts it."""
    return shared_relay


XSS_TEXTS = (
    '<img src=x onerror="window.__pwned=1">',
    "<script>window.__pwned=1</script>",
)


def test_chat_both_ways_reaches_read(chat_pages: tuple[Page, Page]) -> None:
    """Each side's message appears on the other page and its state goes sending → sent → read."""
    agent, customer = chat_pages
    expect(by_id(agent, "chat-peer-name")).to_have_text("Chris Park")
    expect(by_id(customer, "chat-peer-name")).to_have_text("Alice Kim")

    send_chat(customer, "Hello, I have a question about pricing.")
    on_agent = bubble_with_text(agent, "Hello, I have a question about pricing.")
    expect(on_agent).to_be_visible()
    expect(on_agent).to_have_attribute("data-own", "false")
    expect(on_agent).to_contain_text("Chris Park")
    expect_state(bubble_with_text(customer, "Hello, I have a question about pricing."), "read")

    send_chat(agent, "Sure, which plan?")
    expect(bubble_with_text(customer, "Sure, which plan?")).to_be_visible()
    own = bubble_with_text(agent, "Sure, which plan?")
    expect_state(own, "read")
    assert own.get_attribute("data-id") is not None

    expect(bubbles(agent)).to_have_count(2)
    expect(bubbles(customer)).to_have_count(2)
    screenshot(agent, "chat-agent-desktop")
    screenshot(customer, "chat-customer-desktop")


def test_typing_indicator_shows_and_hides(chat_pages: tuple[Page, Page]) -> None:
    """Typing on one page shows "<name> is typing…" on the other until the message is sent."""
    agent, customer = chat_pages
    indicator = by_id(agent, "typing-indicator")
    expect(indicator).to_be_hidden()

    by_id(customer, "chat-input").press_sequentially("I am wri", delay=20)
    expect(indicator).to_be_visible()
    expect(indicator).to_contain_text("Chris Park")

    by_id(customer, "chat-input").press("Enter")
    expect(indicator).to_be_hidden()


def test_markup_is_shown_as_text_and_never_runs(chat_pages: tuple[Page, Page]) -> None:
    """HTML in a message is shown literally on both pages and no script from it runs."""
    agent, customer = chat_pages
    for text in XSS_TEXTS:
        send_chat(customer, text)
    for page in (agent, customer):
        for text in XSS_TEXTS:
            bubble = bubble_with_text(page, text)
            expect(bubble).to_be_visible()
            expect(bubble.get_by_test_id("chat-text")).to_have_text(text)
        assert page.locator(".rs-chat__transcript img, .rs-chat__transcript script").count() == 0
    expect_state(bubble_with_text(customer, XSS_TEXTS[1]), "read")
    for page in (agent, customer):
        assert page.evaluate("typeof window.__pwned") == "undefined"


def test_shift_enter_adds_a_line_and_the_counter_counts(chat_pages: tuple[Page, Page]) -> None:
    """Shift+Enter keeps writing on a new line; Enter sends both lines as one message."""
    agent, customer = chat_pages
    box = by_id(customer, "chat-input")
    box.press_sequentially("first line")
    box.press("Shift+Enter")
    box.press_sequentially("second")
    expect(by_id(customer, "chat-counter")).to_have_text("17 / 4000")
    expect(bubbles(customer)).to_have_count(0)
    box.press("Enter")
    expect(bubble_with_text(agent, "first line\nsecond")).to_be_visible()
    expect(box).to_have_value("")


def test_dropped_socket_reconnects_without_losing_or_doubling(
    chat_pages: tuple[Page, Page],
) -> None:
    """After the customer's socket drops, the chat resumes: nothing lost, nothing doubled."""
    agent, customer = chat_pages
    send_chat(customer, "before the drop")
    send_chat(agent, "reply before the drop")
    expect(bubbles(customer)).to_have_count(2)
    expect_state(bubble_with_text(customer, "before the drop"), "read")

    customer.evaluate("window.__rsTest.dropSocket()")
    # Written while the customer is away: the agent's message arrives in welcome.missed.
    send_chat(agent, "sent while you were away")
    expect(by_id(customer, "connection-status")).to_have_attribute("data-status", "online")
    expect(bubble_with_text(customer, "sent while you were away")).to_be_visible()

    send_chat(customer, "after the reconnect")
    expect(bubble_with_text(agent, "after the reconnect")).to_be_visible()
    expect_state(bubble_with_text(customer, "after the reconnect"), "read")
    expect(bubbles(customer)).to_have_count(4)
    expect(bubbles(agent)).to_have_count(4)
    assert rs_state(customer)["messages"] == 4


def test_relay_killed_and_restarted_both_pages_resume(chat_pages: tuple[Page, Page], relay) -> None:
    """The relay dies (SIGKILL) and comes back: both pages reconnect, nothing lost or doubled."""
    agent, customer = chat_pages
    send_chat(customer, "before the crash")
    expect_state(bubble_with_text(customer, "before the crash"), "read")

    relay.kill()
    expect(by_id(customer, "connection-status")).not_to_have_attribute("data-status", "online")
    relay.restart(same_port=True)
    expect(by_id(customer, "connection-status")).to_have_attribute(
        "data-status", "online", timeout=20_000
    )
    expect(by_id(agent, "connection-status")).to_have_attribute(
        "data-status", "online", timeout=20_000
    )
    send_chat(agent, "after the crash")
    expect(bubble_with_text(customer, "after the crash")).to_be_visible()
    expect(bubbles(customer)).to_have_count(2)
    expect(bubbles(agent)).to_have_count(2)


def test_message_written_offline_is_sent_once_after_reconnect(
    chat_pages: tuple[Page, Page],
) -> None:
    """A message sent while the socket is down stays "sending", then goes out exactly once."""
    agent, customer = chat_pages
    customer.evaluate("window.__rsTest.dropSocket()")
    expect(by_id(customer, "connection-status")).not_to_have_attribute("data-status", "online")
    send_chat(customer, "typed while offline")
    own = bubble_with_text(customer, "typed while offline")
    expect(own).to_be_visible()

    expect(by_id(customer, "connection-status")).to_have_attribute("data-status", "online")
    expect_state(own, "read")
    expect(bubble_with_text(agent, "typed while offline")).to_have_count(1)
    expect(bubbles(customer)).to_have_count(1)


def test_reload_keeps_the_customer_in_the_chat(chat_pages: tuple[Page, Page]) -> None:
    """Reloading the relay page reconnects into the same chat with its history."""
    agent, customer = chat_pages
    send_chat(customer, "one")
    send_chat(agent, "two")
    expect(bubbles(customer)).to_have_count(2)

    customer.reload()
    expect(by_id(customer, "connection-status")).to_have_attribute("data-status", "online")
    expect(bubbles(customer)).to_have_count(2)
    expect(bubble_with_text(customer, "two")).to_be_visible()
    send_chat(customer, "three")
    expect(bubble_with_text(agent, "three")).to_be_visible()
    expect(bubbles(agent)).to_have_count(3)


def test_reload_shows_what_the_other_side_already_read(chat_pages: tuple[Page, Page]) -> None:
    """After a reload, own messages the other side has read show "read" at once (read_up_to).

    Nothing else would make them "read": the other side has nothing new to mark as read.
    """
    agent, customer = chat_pages
    send_chat(customer, "customer's, read before the reload")
    expect_state(bubble_with_text(customer, "customer's, read before the reload"), "read")
    send_chat(agent, "agent's, read before the reload")
    expect_state(bubble_with_text(agent, "agent's, read before the reload"), "read")

    customer.reload()
    expect(by_id(customer, "connection-status")).to_have_attribute("data-status", "online")
    expect_state(bubble_with_text(customer, "customer's, read before the reload"), "read")

    agent.reload()
    expect(by_id(agent, "connection-status")).to_have_attribute("data-status", "online")
    expect_state(bubble_with_text(agent, "agent's, read before the reload"), "read")
    # Sent after the reload and not read yet by the customer's page... until it is.
    send_chat(agent, "after the reload")
    expect_state(bubble_with_text(agent, "after the reload"), "read")


def test_a_reconnect_is_not_announced_as_joining(chat_pages: tuple[Page, Page]) -> None:
    """A reload or a dropped socket shows "reconnected", never a second "joined the chat"."""
    agent, customer = chat_pages
    notices = by_id(agent, "chat-notice")
    expect(notices.filter(has_text="Chris Park joined the chat.")).to_have_count(1)

    customer.reload()
    expect(notices.filter(has_text="Chris Park is back.")).to_have_count(1)
    customer.evaluate("window.__rsTest.dropSocket()")
    expect(notices.filter(has_text="Chris Park is back.")).to_have_count(2)
    expect(notices.filter(has_text="joined the chat")).to_have_count(1)

    agent.reload()
    on_customer = by_id(customer, "chat-notice")
    expect(on_customer.filter(has_text="Alice Kim is back.")).to_have_count(1)
    expect(on_customer.filter(has_text="joined the chat")).to_have_count(0)


def test_refused_message_is_marked_failed_and_retried_with_its_client_id(
    chat_pages: tuple[Page, Page],
) -> None:
    """A message the relay refuses (text_too_long) fails in place, with a retry control."""
    agent, customer = chat_pages
    tap = SocketTap(customer)
    tap.reconnect()
    # 4001 characters: the text box stops typing at 4000, so set the value as a paste could.
    customer.evaluate(
        """() => {
            const box = document.querySelector('[data-testid="chat-input"]');
            box.value = "y".repeat(4001);
        }"""
    )
    by_id(customer, "chat-input").press("Enter")

    own = bubbles(customer).first
    expect_state(own, "failed")
    expect(own.get_by_test_id("chat-failure")).to_have_text(
        "That message is too long (4000 characters at most)."
    )
    retry = own.get_by_role("button", name="Not sent — retry sending this message")
    expect(retry).to_have_text("Not sent — retry")
    expect(by_id(customer, "chat-notice")).to_have_count(0)  # no generic notice
    assert rs_state(customer)["failed"] == 1

    retry.click()
    expect_state(own, "failed")  # refused again: the text is still too long
    expect(own.get_by_test_id("chat-failure")).to_be_visible()
    assert len(tap.client_ids()) == 2 and len(set(tap.client_ids())) == 1
    assert own.get_attribute("data-client-id") == tap.client_ids()[0]
    expect(bubbles(customer)).to_have_count(1)
    expect(bubbles(agent)).to_have_count(0)
    screenshot(customer, "chat-customer-refused-message")

    by_id(customer, "language-select").select_option("ko")
    expect(own.get_by_role("button", name="전송 실패 — 이 메시지 다시 보내기")).to_have_text(
        "전송 실패 — 다시 보내기"
    )
