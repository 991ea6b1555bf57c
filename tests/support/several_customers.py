"""Helpers for the browser tests of several customers in one session: the agent page's
"Invite another" dialog (a code, a personal link) and what a customer page holds."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from tests.support.ui_pages import CUSTOMER_SESSION_STORAGE_KEY, by_id


def invite_code(agent: Page) -> str:
    """Press "Invite another" and read the fresh code from its dialog (left open)."""
    by_id(agent, "invite-another").click()
    code = by_id(agent, "invite-code")
    expect(code).to_have_text(re.compile(r"^\d{3} \d{3} \d{3}$"))
    return (code.text_content() or "").replace(" ", "")


def personal_link(agent: Page) -> str:
    """In the open invite dialog, make a personal link and return it."""
    by_id(agent, "invite-make-link").click()
    link = by_id(agent, "invite-link")
    expect(link).to_have_value(re.compile(r"/\?invite=[A-Za-z0-9_-]{32,}$"))
    return link.input_value()


def close_invite(agent: Page) -> None:
    by_id(agent, "invite-close").click()
    expect(by_id(agent, "another-invite-dialog")).to_be_hidden()


def customer_session(page: Page) -> dict:
    """The session the customer page keeps: ``{session_id, customer_token, ...}``."""
    stored = page.evaluate(
        f"window.sessionStorage.getItem({json.dumps(CUSTOMER_SESSION_STORAGE_KEY)})"
    )
    return json.loads(stored)
