"""The history's Excel export when the relay is busy, in real Chromium against a real relay:
the page says what happened and what to do, in English and Korean, on a laptop and a phone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.api import Api
from tests.support.history_archive import exporters, stalled_export, write_archive
from tests.support.relay import ALICE, RelayProcess, add_agent
from tests.support.shots import keep_shot, reviewers_folder
from tests.support.ui_pages import PageFactory, agent_login, by_id, screenshot
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

SHOTS = reviewers_folder("history-speed")
WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
EXPORT = "/api/history/export.xlsx"


@pytest.fixture
def relay(tmp_path_factory) -> Iterator[RelayProcess]:
    """A relay whose history holds 60 large sessions of Alice's (exports of ~3 MB)."""
    work = tmp_path_factory.mktemp("relay")
    data = work / "data"
    data.mkdir()
    add_agent(data, ALICE)
    write_archive(data, 60, ALICE.username)
    relay = RelayProcess(data, work)
    relay.start()
    yield relay
    relay.stop()


def keep(page: Page, name: str) -> None:
    keep_shot(screenshot(page, name), SHOTS)


def test_a_busy_relay_tells_the_agent_to_try_again(open_ui: PageFactory, relay) -> None:
    """With two exports running, the page's Export shows the busy message (en, ko), and
    exporting works again once they are gone."""
    token = Api(relay.url).login(ALICE.username, ALICE.password)
    stalled = [stalled_export(relay.url, token, EXPORT)[0] for _ in range(2)]
    try:
        wait_until(lambda: len(exporters(relay.pid)) == 2, "two export children")
        agent = open_ui("/agent", viewport=WIDE)
        agent_login(agent)
        by_id(agent, "history-button").click()
        expect(by_id(agent, "history-row")).to_have_count(25)
        by_id(agent, "history-export").click()
        expect(by_id(agent, "history-error")).to_have_text(
            "Other exports are being prepared right now. Try again in a minute."
        )
        keep(agent, "agent-history-export-busy-en")
        agent.get_by_test_id("language-select").select_option("ko")
        by_id(agent, "history-export").click()
        expect(by_id(agent, "history-error")).to_have_text(
            "지금 다른 내보내기를 준비하고 있습니다. 1분 후에 다시 시도해 주세요."
        )
        keep(agent, "agent-history-export-busy-ko")
        agent.set_viewport_size(PHONE)
        by_id(agent, "history-error").scroll_into_view_if_needed()
        assert agent.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        keep(agent, "agent-history-export-busy-phone-ko")
    finally:
        for client in stalled:
            client.close()
    wait_until(lambda: not exporters(relay.pid), "the stalled exports to stop")
    agent.set_viewport_size(WIDE)
    with agent.expect_download(timeout=60_000) as download:
        by_id(agent, "history-export").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    expect(by_id(agent, "history-error")).to_be_empty()
    keep(agent, "agent-history-exported-ko")
