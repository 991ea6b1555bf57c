"""The shared whiteboard (CH3) in the real agent desktop app under Xvfb: the chat window
(QtWebEngine) asks the customer, draws with real mouse events and shows what the customer
(Chromium) draws."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.agent_app import AgentApp
from tests.support.cdp import by_test_id
from tests.support.desktop_flow import (
    desktop_support_with_customer,
    driving,
    keep_shot,
    private_display,
)
from tests.support.shots import reviewers_folder
from tests.support.ui_pages import by_id
from tests.support.whiteboard import BOARD_JS, finish_drawing, start_drawing, wait_same_boards
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e

SHOTS = reviewers_folder("whiteboard-pan")
LIVE = "document.querySelector('[data-testid=wb-canvas]').wbBoard.live()"


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    yield from private_display()


def test_the_agents_chat_window_asks_draws_and_shows_the_customers_shapes(
    xvfb, relay, tmp_path, browser, artifacts_dir: Path
):
    """Whiteboard in the desktop chat window asks the customer; after Accept a stroke drawn
    there with the mouse reaches the customer's page, the customer's rectangle shows in the
    window, and both hold the same board."""
    app = AgentApp(xvfb, tmp_path, relay_url=relay.url).start()
    with driving(app, artifacts_dir, "desktop-whiteboard") as windows:
        support = desktop_support_with_customer(app, windows, browser, relay.url)
        chat, customer = support.chat, support.customer

        chat.click(by_test_id("whiteboard-button"))
        by_id(customer, "whiteboard-accept").click()
        chat.wait_for("document.querySelector('[data-testid=wb-canvas]')?.offsetWidth > 0")
        box = chat.evaluate(
            "(() => { const r = document.querySelector('[data-testid=wb-canvas]')"
            ".getBoundingClientRect(); return {x: r.left, y: r.top}; })()"
        )
        points = [(60 + 14 * i, 80 + (i % 3) * 12) for i in range(10)]
        for index, (x, y) in enumerate(points):
            kind = "mousePressed" if index == 0 else "mouseMoved"
            chat.send(
                "Input.dispatchMouseEvent",
                type=kind,
                x=box["x"] + x,
                y=box["y"] + y,
                button="left",
                buttons=1,
                clickCount=1 if kind == "mousePressed" else 0,
            )
        chat.send(
            "Input.dispatchMouseEvent",
            type="mouseReleased",
            x=box["x"] + points[-1][0],
            y=box["y"] + points[-1][1],
            button="left",
            clickCount=1,
        )
        customer.wait_for_function(
            f"() => {LIVE}.some((e) => e.kind === 'pen' && e.points.length >= 5)"
        )
        start_drawing(customer, "rectangle", [[[200, 150], [300, 230]]])
        finish_drawing(customer)
        chat.wait_for(f"{LIVE}.some((e) => e.kind === 'rectangle' && e.color === '#2563eb')")
        theirs = wait_same_boards([customer])
        elements = json.dumps(theirs["elements"], separators=(",", ":"))  # as JSON.stringify
        ours = chat.wait_for(
            f"(() => {{ const b = ({BOARD_JS})(); return b.pending === 0"
            f" && JSON.stringify(b.elements) === {json.dumps(elements)} ? b : null; }})()"
        )
        assert ours["number"] == theirs["number"]
        shot = artifacts_dir / "desktop-agent-window-board-en.png"
        chat.screenshot(shot)
        keep_shot(shot, SHOTS)
