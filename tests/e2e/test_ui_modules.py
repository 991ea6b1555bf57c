"""The shared UI modules, loaded as the pages load them, checked in the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.ui_pages import PageFactory, by_id, start_support

pytestmark = pytest.mark.e2e


def test_protocol_module_encodes_and_rejects_bad_frames(open_ui: PageFactory) -> None:
    """encode() adds the type, decode() keeps unknown fields and refuses non-objects."""
    page = open_ui("/")
    result = page.evaluate(
        """async () => {
            const p = await import("/ui/common/protocol.js");
            const errorOf = (fn) => { try { fn(); return null; } catch (e) { return e.name; } };
            return {
                encoded: JSON.parse(p.encode(p.MessageType.TYPING, { active: true })),
                decoded: p.decode('{"type": "typing", "active": false, "later": 1}'),
                notJson: errorOf(() => p.decode("{")),
                array: errorOf(() => p.decode("[1]")),
                noType: errorOf(() => p.decode('{"text": "hi"}')),
                unknownType: errorOf(() => p.encode("shout", {})),
                frozen: Object.isFrozen(p.MessageType) && Object.isFrozen(p.CloseCode),
                terminal: [4000, 4001, 4002, 4003, 4004, 4005].every(p.isTerminalClose),
                retried: [1000, 1001, 1006, 1009, 4006].some(p.isTerminalClose),
            };
        }"""
    )
    assert result["encoded"] == {"type": "typing", "active": True}
    assert result["decoded"] == {"type": "typing", "active": False, "later": 1}
    assert result["notJson"] == result["array"] == result["noType"] == "ProtocolError"
    assert result["unknownType"] == "ProtocolError"
    assert result["frozen"] and result["terminal"] and not result["retried"]


def test_every_string_exists_in_english_and_korean(open_ui: PageFactory) -> None:
    """The Korean table has exactly the English keys, and the same {parameters} in each."""
    page = open_ui("/")
    missing = page.evaluate(
        """async () => {
            const { STRINGS } = await import("/ui/common/i18n_strings.js");
            const params = (text) => (text.match(/\\{\\w+\\}/g) ?? []).sort().join(",");
            const problems = [];
            for (const [a, b] of [["en", "ko"], ["ko", "en"]]) {
                for (const key of Object.keys(STRINGS[a])) {
                    if (!(key in STRINGS[b])) problems.push(`${key} missing in ${b}`);
                    else if (params(STRINGS[a][key]) !== params(STRINGS[b][key]))
                        problems.push(`${key}: parameters differ`);
                }
            }
            return problems;
        }"""
    )
    assert missing == []


def test_customer_can_join_with_the_keyboard_alone(agent_page: Page, open_ui: PageFactory) -> None:
    """The code box has focus on arrival; typing, Tab, a name and Enter join the chat."""
    code = start_support(agent_page)
    customer = open_ui("/")
    expect(by_id(customer, "code-input")).to_be_focused()
    customer.keyboard.type(code)
    customer.keyboard.press("Tab")
    expect(by_id(customer, "name-input")).to_be_focused()
    customer.keyboard.type("Kim")
    customer.keyboard.press("Enter")
    expect(by_id(customer, "chat-input")).to_be_focused()
    expect(by_id(agent_page, "chat-peer-name")).to_have_text("Kim")

    # Escape closes the end dialog without ending anything.
    by_id(customer, "end-button").focus()
    customer.keyboard.press("Enter")
    expect(by_id(customer, "end-confirm")).to_be_visible()
    customer.keyboard.press("Escape")
    expect(by_id(customer, "end-confirm")).to_be_hidden()
    expect(by_id(customer, "connection-status")).to_have_attribute("data-status", "online")
