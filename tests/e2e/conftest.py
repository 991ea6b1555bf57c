"""Browser fixtures for the UI tests: an agent page and a customer page on the test's relay.

`relay` and `browser` come from tests/conftest.py. Every page gets its own browser context, so
the agent and the customer share no storage, like two people on two machines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page

from tests.e2e.ui_pages import (
    DESKTOP,
    agent_login,
    close_pages,
    customer_join,
    open_page,
    start_support,
)

PageFactory = Callable[..., Page]


@pytest.fixture
def open_ui(browser, relay, request: pytest.FixtureRequest) -> Iterator[PageFactory]:
    """Open relay pages: `open_ui("/agent")`, `open_ui("/", viewport=PHONE)`.

    After the test every page must have thrown no uncaught exception; a failed test leaves a
    screenshot of each page in test-artifacts/.
    """
    pages: list[Page] = []

    def open_ui(path: str = "/", viewport: dict[str, int] = DESKTOP, locale: str = "en-US") -> Page:
        page = open_page(browser, relay.url + path, viewport=viewport, locale=locale)
        pages.append(page)
        return page

    yield open_ui
    close_pages(pages, request, "page")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Mark the test as failed on its node so fixtures can keep screenshots."""
    report = yield
    if report.when == "call" and report.failed:
        item.rs_failed = True  # type: ignore[attr-defined]
    return report


@pytest.fixture
def agent_page(open_ui: PageFactory) -> Page:
    """The agent page with alice signed in, on the home panel."""
    page = open_ui("/agent")
    agent_login(page)
    return page


@pytest.fixture
def chat_pages(agent_page: Page, open_ui: PageFactory) -> tuple[Page, Page]:
    """(agent, customer): alice started a support and "Chris Park" joined with its code."""
    code = start_support(agent_page)
    customer = open_ui("/")
    customer_join(customer, code, name="Chris Park")
    return agent_page, customer
