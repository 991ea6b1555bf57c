"""Support history (A10) in the real agent desktop app under Xvfb: the main window lists a
past session, opens its detail in English and Korean, and saves the Excel export to the
documents folder through the local API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.support.agent_app import AgentApp
from tests.support.cdp import by_test_id, visible_js
from tests.support.conversation import start_conversation
from tests.support.desktop_flow import driving, keep_shot, main_page, private_display, sign_in
from tests.support.shots import reviewers_folder
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e

SHOTS = reviewers_folder("history")


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    """A private 1920x1080 X display for this module's windows."""
    yield from private_display()


def test_desktop_history_lists_details_and_exports(xvfb, relay, tmp_path, artifacts_dir: Path):
    """The main window's Support history shows a real ended session, its transcript, and the
    Excel export from the detail view says where it saved the workbook with that session
    (Documents/RemoteSales/Exports)."""
    talk = start_conversation(relay)
    talk.customer.chat("견적서를 이메일로 받을 수 있을까요?", "c-1")
    talk.agent.recv_type("chat_message")
    talk.agent.chat("Of course, the Zephyr brochure comes with it.", "a-1")
    talk.customer.recv_type("chat_message")
    path = f"/api/sessions/{talk.session_id}/notes"
    talk.api.request("PUT", path, json={"notes": "Wants quartz pricing."}, token=talk.token)
    talk.agent.send({"type": "end_session"})
    talk.agent.recv_type("session_ended")
    documents = tmp_path / "Documents"
    app = AgentApp(
        xvfb, tmp_path, relay_url=relay.url, extra_env={"XDG_DOCUMENTS_DIR": str(documents)}
    ).start()
    with driving(app, artifacts_dir, "desktop-history") as windows:
        main = main_page(app)
        windows.pages.append(main)
        sign_in(main)
        main.wait_for(visible_js(by_test_id("history-button")))
        main.click(by_test_id("history-button"))
        main.wait_for(visible_js(by_test_id("history-row")))
        assert "Kim Customer" in main.text(by_test_id("history-row"))
        keep_shot(main.screenshot(artifacts_dir / "desktop-history-list-en.png"), SHOTS)
        main.click(f"{by_test_id('history-row')} button")
        main.wait_for(visible_js(by_test_id("history-transcript")))
        assert "Zephyr brochure" in main.text(by_test_id("history-transcript"))
        keep_shot(main.screenshot(artifacts_dir / "desktop-history-detail-en.png"), SHOTS)

        main.click(by_test_id("history-export"))
        main.wait_for(
            f"document.querySelector('{by_test_id('history-status')}').textContent"
            ".includes('Saved to')",
            timeout_s=60,
        )
        # Said where it was pressed: the detail view (the window is too narrow for the list
        # beside it) shows the export's status, not only the list view.
        assert main.evaluate(visible_js(by_test_id("history-status")))
        (saved,) = (documents / "RemoteSales" / "Exports").glob("history-*.xlsx")
        sessions = load_workbook(saved).worksheets[0]
        assert sessions["E2"].value == "Kim Customer"

        main.evaluate(
            "(() => { const s = document.querySelector('#language-select');"
            " s.value = 'ko'; s.dispatchEvent(new Event('change')); })()"
        )
        main.wait_for(
            f"document.querySelector('{by_test_id('history-detail-title')}').textContent"
            ".includes('고객과의 상담')"
        )
        keep_shot(main.screenshot(artifacts_dir / "desktop-history-detail-ko.png"), SHOTS)
        main.click(by_test_id("history-back"))
        main.wait_for(visible_js(by_test_id("history-row")))
        keep_shot(main.screenshot(artifacts_dir / "desktop-history-list-ko.png"), SHOTS)
