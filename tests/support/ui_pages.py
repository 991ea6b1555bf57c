"""Page helpers for the browser tests: the agent page and the customer relay page.

Each helper drives the UI the way a person would (data-testid locators) and waits on what the
page shows, never on sleeps. Playwright's expect() retries until its timeout.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.support.api import Api
from tests.support.chat_client import ChatClient

# The `open_ui` fixture (tests/e2e/conftest.py): open_ui("/agent"), open_ui("/", viewport=PHONE).
# Without a viewport, /agent pages open at AGENT_WINDOW and every other page at DESKTOP.
PageFactory = Callable[..., Page]
# When page.goto returns (Playwright's values).
WaitUntil = Literal["commit", "domcontentloaded", "load", "networkidle"]

# The product's promises: the customer's pages (and the admin site) on a 1280x800 desktop and a
# 390x844 phone, the agent's windows down to 1280x720.
DESKTOP = {"width": 1280, "height": 800}
AGENT_WINDOW = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}
STATE_TIMEOUT_MS = 10_000

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"


def open_page(
    browser: Browser,
    url: str,
    viewport: dict[str, int] = DESKTOP,
    locale: str = "en-US",
    wait_until: WaitUntil = "load",
) -> Page:
    """A page in its own browser context (own storage), with page errors collected.

    ``wait_until="commit"`` returns as soon as the page's document is on its way: the page
    goes on loading in Chromium while the test drives another page, and the test calls
    ``page.wait_for_load_state()`` before it touches this one. The context is closed with the
    page's `context.close()`; the fixtures do that.
    """
    context: BrowserContext = browser.new_context(viewport=viewport, locale=locale)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.rs_errors = errors  # type: ignore[attr-defined]
    page.goto(url, wait_until=wait_until)
    return page


def page_errors(page: Page) -> list[str]:
    """Uncaught exceptions the page has thrown so far."""
    return list(getattr(page, "rs_errors", []))


def close_pages(pages: list[Page], request, kind: str = "page") -> None:
    """End of a test: screenshot every page if it failed, close them, fail on uncaught errors."""
    failed = getattr(request.node, "rs_failed", False)
    errors: list[str] = []
    for index, page in enumerate(pages):
        if failed:
            try:
                screenshot(page, f"failed-{request.node.name}-{index}")
            except Exception as error:  # the page may be gone; the test already failed
                print(f"no screenshot of {kind} {index}: {error}")
        errors += page_errors(page)
        page.context.close()
    assert not errors, f"uncaught errors in the {kind}s: {errors}"


def screenshot(page: Page, name: str) -> Path:
    """Save a PNG of the page into test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path))
    return path


def by_id(page: Page, test_id: str) -> Locator:
    return page.get_by_test_id(test_id)


# ---------- Agent page ----------


def agent_login(page: Page, username: str = "alice", password: str = "alice-password-1") -> None:
    """Sign in on the agent page and wait for the home panel."""
    by_id(page, "login-username").fill(username)
    by_id(page, "login-password").fill(password)
    by_id(page, "login-button").click()
    expect(by_id(page, "new-support-button")).to_be_visible()


def start_support(page: Page) -> str:
    """Press "New support" and return the access code the waiting panel shows."""
    by_id(page, "new-support-button").click()
    code = by_id(page, "access-code")
    expect(code).to_have_text(re.compile(r"^\d{9}$"))
    expect(by_id(page, "connection-status")).to_have_attribute("data-status", "online")
    return (code.text_content() or "").strip()


def remove_the_customer(agent: Page) -> str:
    """Remove the customer through the confirm dialog; return the new code once it shows."""
    old_code = by_id(agent, "access-code").text_content()
    by_id(agent, "remove-customer").click()
    by_id(agent, "remove-confirm").click()
    code = by_id(agent, "access-code")
    expect(code).to_have_text(re.compile(r"^\d{9}$"))
    expect(code).not_to_have_text(old_code or "")
    return code.text_content() or ""


def add_short_message(agent: Page, key: str, text: str) -> None:
    """Settings › Short messages: fill in a key and its text, and save."""
    by_id(agent, "short-key").fill(key)
    by_id(agent, "short-text").fill(text)
    by_id(agent, "short-save").click()


# ---------- Customer page ----------


def customer_join(page: Page, code: str, name: str | None = "Chris Park") -> None:
    """Type the code (and name) on the relay page, press Join, wait until the chat is online."""
    by_id(page, "code-input").fill(code)
    if name is not None:
        by_id(page, "name-input").fill(name)
    by_id(page, "join-button").click()
    expect(by_id(page, "chat-input")).to_be_visible()
    expect(by_id(page, "connection-status")).to_have_attribute("data-status", "online")


def rows(page: Page) -> Locator:
    """The rows of the page's file list."""
    return by_id(page, "file-row")


def join_as_customer(
    page: Page, relay, name: str = "Chris Park"
) -> tuple[Api, str, dict, ChatClient]:
    """Alice (from Python) opens a support; the page joins it; Alice's chat socket listens."""
    api = Api(relay.url)
    token = api.login("alice", "alice-password-1")
    support = api.new_support(token)
    agent = ChatClient(
        relay.url.replace("http", "ws", 1) + "/ws", "agent", support["session_id"], token
    )
    assert agent.connect()["type"] == "welcome"
    customer_join(page, support["code"], name=name)
    return api, token, support, agent


# ---------- Chat ----------


def send_chat(page: Page, text: str) -> None:
    """Type a message and press Enter."""
    box = by_id(page, "chat-input")
    box.fill(text)
    box.press("Enter")


def bubbles(page: Page) -> Locator:
    return by_id(page, "chat-message")


def bubble_with_text(page: Page, text: str) -> Locator:
    """The bubble whose text is exactly `text`."""
    return bubbles(page).filter(has=page.get_by_test_id("chat-text").get_by_text(text, exact=True))


def expect_state(bubble: Locator, state: str) -> None:
    expect(bubble).to_have_attribute("data-state", state, timeout=STATE_TIMEOUT_MS)


def rs_state(page: Page) -> dict:
    """What the page reports through its test hook window.__rsTest.state()."""
    return page.evaluate("window.__rsTest.state()")


CUSTOMER_SESSION_STORAGE_KEY = "rs.customer.session"


def customer_viewer_socket(customer, relay) -> ChatClient:
    """The customer's screen socket (a viewer), with the token the customer page holds."""
    stored = json.loads(
        customer.evaluate(
            f"window.sessionStorage.getItem({json.dumps(CUSTOMER_SESSION_STORAGE_KEY)})"
        )
    )
    ws_url = relay.url.replace("http", "ws", 1) + "/ws"
    viewer = ChatClient(ws_url, "customer", stored["session_id"], stored["customer_token"])
    assert viewer.connect(channel="screen")["type"] == "welcome"
    assert stored["session_id"] == rs_state(customer)["sessionId"]
    return viewer


def wait_control_state(viewer: ChatClient, **expected: bool) -> None:
    """Read ``control_state`` messages until one says what ``expected`` says."""
    want = {"mouse": False, "keyboard": False, "requested": False, **expected}
    while True:
        state = viewer.recv_type("control_state")
        if {k: state[k] for k in want} == want:
            return


def default_viewport(path: str) -> dict[str, int]:
    """The size a page opens at when a test names none: the agent's window for /agent pages,
    the customer's desktop for the relay page, the viewer and the admin site."""
    return AGENT_WINDOW if path.startswith("/agent") else DESKTOP
