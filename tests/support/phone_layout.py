"""A touch phone for the customer's pages, and the boxes a row of controls takes on it.

``open_phone`` opens a page as an iPhone would (390x844, touch, a mobile viewport and the
user agent); the popups it opens (the viewer) share its context, so they are phones too.
``phone_in_a_support``: the agent's page with a support open and such a phone joined to it.
``row_boxes`` measures a bar's visible controls: the tests assert on those boxes (inside the
screen, none over another, no label cut), never on pixels.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, Page

from tests.support.ui_pages import (
    PHONE,
    PageFactory,
    agent_login,
    customer_join,
    start_support,
)

IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
PHONE_CONTEXT: dict[str, Any] = {
    "viewport": PHONE,
    "user_agent": IPHONE_UA,
    "is_mobile": True,
    "has_touch": True,
}


def open_phone(browser: Browser, url: str, locale: str = "en-US") -> Page:
    """``url`` on a touch phone in its own context (closed with ``page.context.close()``),
    uncaught page errors collected in ``page.rs_errors``."""
    context = browser.new_context(locale=locale, **PHONE_CONTEXT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.rs_errors = errors  # type: ignore[attr-defined]
    page.goto(url)
    return page


# The visible children of a bar (display not none, some size), each with its box, its text and
# whether that text is cut (an element, or a child span, scrolling its text sideways), plus the
# bar's own box and whether its content overflows it sideways (a swipe would be needed).
_ROW_JS = """(selector) => {
  const bar = document.querySelector(selector);
  const shown = (el) => {
    const style = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return style.display !== "none" && style.visibility !== "hidden" && r.width > 0 && r.height > 0;
  };
  // Inline boxes have no clientWidth: the block around them shows whether they are cut; a
  // visually hidden label (1 px, for screen readers) is not text a person reads.
  const cut = (el) => [el, ...el.querySelectorAll("*")].some(
    (e) => shown(e) && e.clientWidth > 2 && e.scrollWidth > e.clientWidth + 1);
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width,
      height: r.height };
  };
  const items = [...bar.children].filter(shown).map((el) => ({
    name: el.dataset.testid || el.id || el.className,
    text: el.innerText.trim(),
    cut: cut(el),
    ...box(el),
  }));
  return { bar: box(bar), scrollWidth: bar.scrollWidth, clientWidth: bar.clientWidth, items };
}"""


@contextmanager
def phone_in_a_support(
    browser: Browser, relay_url: str, open_ui: PageFactory, locale: str = "en-US"
) -> Iterator[tuple[Page, Page]]:
    """The agent's page (``open_ui``) with a support open, and a touch phone in ``locale``
    joined to it as its customer; the phone's context is closed after."""
    agent = open_ui("/agent")
    agent_login(agent)
    code = start_support(agent)
    phone = open_phone(browser, relay_url + "/", locale)
    try:
        customer_join(phone, code)
        yield agent, phone
    finally:
        phone.context.close()


def row_boxes(page: Page, selector: str) -> dict[str, Any]:
    """The boxes of the visible children of ``selector`` (see _ROW_JS)."""
    return page.evaluate(_ROW_JS, selector)


def overlaps(items: list[dict[str, Any]], slack: float = 0.5) -> list[tuple[str, str]]:
    """The pairs of boxes that cover one another (more than ``slack`` px each way)."""
    pairs = []
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            across = min(a["right"], b["right"]) - max(a["left"], b["left"])
            down = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            if across > slack and down > slack:
                pairs.append((a["name"], b["name"]))
    return pairs


def outside(items: list[dict[str, Any]], width: int, height: int) -> list[str]:
    """The names of the boxes not wholly on a ``width`` x ``height`` screen."""
    return [
        item["name"]
        for item in items
        if item["left"] < -0.5
        or item["top"] < -0.5
        or item["right"] > width + 0.5
        or item["bottom"] > height + 0.5
    ]
