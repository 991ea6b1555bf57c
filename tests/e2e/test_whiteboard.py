"""The shared whiteboard (CH3) in real Chromium pages: concurrent drawing converges, a late
page sees everything, undo is one's own, the BMP matches the canvas and is the same bytes for
everyone, the clipboard gets an image, printing waits for the click, Korean IME text, a batch
the relay refuses is rolled back."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.support.several_customers import close_invite, customer_session, invite_code
from tests.support.ui_pages import (
    agent_login,
    by_id,
    customer_join,
    open_page,
    page_errors,
    start_support,
)
from tests.support.viewer_presenter import PresentationSession, open_viewer
from tests.support.whiteboard import (
    board_of,
    board_png,
    finish_drawing,
    ink_agreement,
    module_relay,
    png_of,
    start_drawing,
    wait_same_boards,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    with module_relay(tmp_path_factory) as shared:
        yield shared


@pytest.fixture(scope="module")
def board_pages(browser, relay) -> Iterator[tuple[Page, Page]]:
    """(agent, customer) with the whiteboard open on both (the customer accepted)."""
    agent = open_page(browser, relay.url + "/agent")
    customer = open_page(browser, relay.url + "/")
    agent.context.grant_permissions(["clipboard-read", "clipboard-write"])
    try:
        agent_login(agent)
        customer_join(customer, start_support(agent))
        expect(by_id(customer, "whiteboard-button")).to_be_hidden()  # nothing before consent
        by_id(agent, "whiteboard-button").click()
        by_id(customer, "whiteboard-accept").click()
        for page in (agent, customer):
            expect(by_id(page, "wb-canvas")).to_be_visible()
        yield agent, customer
        for page in (agent, customer):
            assert page_errors(page) == []
    finally:
        agent.context.close()
        customer.context.close()


def _fresh_board(agent: Page, customer: Page) -> None:
    """New board (the old one goes to the files), once both sides have it."""
    number = board_of(agent)["number"]
    by_id(agent, "wb-new").click()
    for page in (agent, customer):
        page.wait_for_function(
            "(n) => document.querySelector('[data-testid=wb-canvas]').wbBoard.number === n",
            arg=number + 1,
        )


def _zigzag(x0: int, y0: int, count: int = 20) -> list[list[int]]:
    return [[x0 + 9 * i, y0 + (i % 5) * 7] for i in range(count)]


def test_three_pages_drawing_at_once_converge_and_a_late_page_sees_everything(
    board_pages, browser, relay
):
    """Two pages draw strokes and shapes at the same moment; then a third customer joins and
    draws; all three hold the same elements and draw the same pixels."""
    agent, customer = board_pages
    _fresh_board(agent, customer)
    start_drawing(agent, "pen", [_zigzag(30, 40), _zigzag(30, 120)])
    start_drawing(customer, "rectangle", [[[200, 60], [260, 90], [320, 160]]])
    finish_drawing(agent)
    finish_drawing(customer)
    start_drawing(customer, "ellipse", [[[60, 200], [120, 240], [180, 290]]])
    start_drawing(agent, "line", [[[300, 220], [360, 250], [420, 300]]])
    finish_drawing(agent)
    finish_drawing(customer)
    both = wait_same_boards([agent, customer])
    assert len(both["elements"]) == 5

    code = invite_code(agent)
    close_invite(agent)
    late = open_page(browser, relay.url + "/")
    try:
        customer_join(late, code, name="Lee Late")
        expect(by_id(late, "wb-canvas")).to_be_visible()  # open already: no question
        start_drawing(late, "pen", [_zigzag(100, 330, 10)])
        finish_drawing(late)
        everyone = wait_same_boards([agent, customer, late])
        assert len(everyone["elements"]) == 6
        pictures = {board_png(page) for page in (agent, customer, late)}
        assert len(pictures) == 1
        assert page_errors(late) == []
    finally:
        late.context.close()


def test_undo_takes_back_only_my_own_work(board_pages):
    """The agent's undo removes the agent's stroke for everyone, never the customer's; redo
    brings it back; once the customer erased it, the agent's undo leaves theirs alone."""
    agent, customer = board_pages
    _fresh_board(agent, customer)
    start_drawing(agent, "pen", [_zigzag(40, 40)])
    finish_drawing(agent)
    start_drawing(customer, "pen", [_zigzag(40, 160)])
    finish_drawing(customer)
    board = wait_same_boards([agent, customer])
    assert [deleted for *_, deleted in board["elements"]] == [False, False]

    by_id(agent, "wb-undo").click()
    board = wait_same_boards([agent, customer])
    assert sorted(deleted for *_, deleted in board["elements"]) == [False, True]
    mine = agent.evaluate(
        "() => document.querySelector('[data-testid=wb-canvas]').wbBoard.live().map((e) => e.id)"
    )
    theirs = customer.evaluate(
        "() => document.querySelector('[data-testid=wb-canvas]').wbBoard.live().map((e) => e.id)"
    )
    assert mine == theirs and len(mine) == 1  # the customer's stroke stays
    by_id(agent, "wb-redo").click()
    board = wait_same_boards([agent, customer])
    assert [deleted for *_, deleted in board["elements"]] == [False, False]

    start_drawing(customer, "eraser", [[[40, 40], [130, 70]]])  # over the agent's stroke
    finish_drawing(customer)
    erased = wait_same_boards([agent, customer])
    by_id(agent, "wb-undo").click()  # the agent's last change was redo: its copy is gone now
    agent.wait_for_timeout(300)
    assert wait_same_boards([agent, customer]) == erased


def test_the_bmp_is_the_same_for_both_sides_matches_the_canvas_and_identify_reads_it(
    board_pages, tmp_path
):
    """Both sides' "Save as BMP" give the same bytes, the relay's drawing agrees with the
    canvas's within antialiasing, and ImageMagick reads a BMP of the board's size."""
    agent, customer = board_pages
    _fresh_board(agent, customer)
    start_drawing(agent, "pen", [_zigzag(30, 30, 30)])
    start_drawing(customer, "ellipse", [[[80, 120], [200, 220]]])
    finish_drawing(agent)
    finish_drawing(customer)
    start_drawing(agent, "rectangle", [[[250, 60], [400, 180]]])
    finish_drawing(agent)
    wait_same_boards([agent, customer])
    saved = []
    for page in (agent, customer):
        with page.expect_download() as download:
            by_id(page, "wb-save-bmp").click()
        path = tmp_path / f"{len(saved)}.bmp"
        download.value.save_as(path)
        saved.append(path.read_bytes())
        # A page download: the browser shows where it went; no path or folder button here.
        expect(by_id(page, "wb-status")).to_have_text("The board was saved as a BMP file.")
        expect(by_id(page, "wb-open-folder")).to_be_hidden()
    assert saved[0] == saved[1] and saved[0][:2] == b"BM"
    canvas_png = board_png(agent)
    assert ink_agreement(saved[0], canvas_png) >= 0.97
    identify = shutil.which("identify")
    assert identify, "ImageMagick's identify (scripts/test installs imagemagick)"
    described = subprocess.run(
        [identify, "-format", "%m", str(tmp_path / "0.bmp")], capture_output=True, check=True
    ).stdout.decode()
    assert described.startswith("BMP")


def test_copy_puts_an_image_on_the_clipboard_and_print_waits_for_the_click(board_pages):
    """Copy leaves a PNG on the clipboard; the print dialog opens only on the Print button,
    with the board's picture as the page."""
    agent, customer = board_pages
    _fresh_board(agent, customer)
    start_drawing(agent, "pen", [_zigzag(30, 30)])
    finish_drawing(agent)
    by_id(agent, "wb-copy").click()
    expect(by_id(agent, "wb-status")).to_have_text("The board is on the clipboard as an image.")
    types = agent.evaluate(
        "async () => (await navigator.clipboard.read()).flatMap((item) => item.types)"
    )
    assert "image/png" in types
    agent.evaluate(
        """() => { window.__prints = []; window.print = () => window.__prints.push(
              document.querySelector('[data-testid=wb-print-sheet] img')?.naturalWidth ?? 0); }"""
    )
    agent.wait_for_timeout(200)
    assert agent.evaluate("window.__prints.length") == 0
    by_id(agent, "wb-print").click()
    agent.wait_for_function("() => window.__prints.length === 1")
    assert agent.evaluate("window.__prints[0]") > 0  # the board's image was on the sheet
    expect(agent.get_by_test_id("wb-print-sheet")).to_have_count(0)


def test_korean_text_is_taken_only_when_the_composition_ends(board_pages):
    """Typing Korean through the IME: nothing is placed mid-composition; the finished text
    reaches the other side as one text element."""
    agent, customer = board_pages
    _fresh_board(agent, customer)
    by_id(customer, "wb-tool-text").click()
    box = by_id(customer, "wb-canvas").bounding_box()
    customer.mouse.click(box["x"] + 60, box["y"] + 80)
    expect(by_id(customer, "wb-text")).to_be_focused()
    cdp = customer.context.new_cdp_session(customer)
    for part in ("ㅇ", "아", "안", "안ㄴ", "안녀", "안녕"):
        caret = {"selectionStart": len(part), "selectionEnd": len(part)}
        cdp.send("Input.imeSetComposition", {"text": part, **caret})
    customer.keyboard.press("Escape")  # the IME has the key mid-composition: nothing is placed
    assert board_of(customer)["elements"] == []
    cdp.send("Input.insertText", {"text": "안녕"})
    customer.keyboard.press("Escape")
    agent.wait_for_function(
        "() => document.querySelector('[data-testid=wb-canvas]').wbBoard.live()"
        ".some((e) => e.kind === 'text' && e.text === '안녕')"
    )


def test_the_customers_browser_viewer_draws_on_the_same_board(board_pages, browser, relay):
    """The viewer page shows the open board on its Whiteboard button (the screen stays in front
    until then), and what it draws reaches the agent."""
    agent, customer = board_pages
    _fresh_board(agent, customer)
    stored = customer_session(customer)
    viewer = open_viewer(
        browser, PresentationSession(relay.url, stored["session_id"], "", stored["customer_token"])
    )
    try:
        button = by_id(viewer, "whiteboard-button")
        expect(button).to_be_visible()
        expect(by_id(viewer, "wb-canvas")).to_have_count(0)  # not in front of the screen
        button.click()
        expect(by_id(viewer, "wb-canvas")).to_be_visible()
        start_drawing(viewer, "rectangle", [[[50, 50], [150, 120]]])
        finish_drawing(viewer)
        assert len(wait_same_boards([agent, customer, viewer])["elements"]) == 1
        assert page_errors(viewer) == []
    finally:
        viewer.context.close()


def test_a_picture_loaded_by_the_customer_shows_on_the_agents_board(board_pages, tmp_path):
    """The customer loads a PNG: it is uploaded, placed, and the agent's canvas draws its
    pixels; a file that is no picture is refused with a message, nothing placed."""
    agent, customer = board_pages
    _fresh_board(agent, customer)
    not_a_picture = tmp_path / "notes.txt"
    not_a_picture.write_text("hello")
    by_id(customer, "wb-image-file").set_input_files(str(not_a_picture))
    expect(by_id(customer, "wb-status")).to_have_text(
        "Only PNG, JPEG and WebP pictures can be loaded."
    )
    picture = tmp_path / "green.png"
    picture.write_bytes(png_of((10, 200, 30), (60, 40)))
    by_id(customer, "wb-image-file").set_input_files(str(picture))
    expect(by_id(customer, "wb-status")).to_have_text("The picture is on the board.")
    board = wait_same_boards([agent, customer])
    assert len(board["elements"]) == 1
    agent.wait_for_function(
        """() => { const c = document.querySelector('[data-testid=wb-canvas]');
                   const view = c.wbView; return [...view.images.values()].some(Boolean); }"""
    )
    drawn = board_png(agent)
    with Image.open(io.BytesIO(drawn)) as image:
        colours = image.convert("RGB").getcolors(1_000_000)
    assert any(colour == (10, 200, 30) for _, colour in colours)


# A board filled to the brim by one page (kept short: 16 kinds of small element).
FILL_JS = """(count) => {
  const board = document.querySelector('[data-testid=wb-canvas]').wbBoard;
  for (let i = 0; i < count; i += 1) {
    board.draft({ id: `full${i}`, kind: 'rectangle', version: 1, nonce: i, deleted: false,
                  z: i + 1, color: '#16a34a', width: 1, x: (i * 13) % 600, y: (i * 7) % 400,
                  w: 6, h: 6 });
  }
}"""

# One batch of this side: the erased `full0` restored (as an undo of the eraser would) and a
# new rectangle, committed together as one change.
OVERFILL_JS = """async () => {
  const { edited } = await import('/ui/common/whiteboard/model.js');
  const board = document.querySelector('[data-testid=wb-canvas]').wbBoard;
  const erased = board.elements.get('full0');
  const added = { id: 'one-too-many', kind: 'rectangle', version: 1, nonce: 7, deleted: false,
                  z: 1e12, color: '#e11d48', width: 4, x: 50, y: 50, w: 80, h: 40 };
  board.commit([{ before: erased, after: edited(erased, { deleted: false }) },
                { before: null, after: added }]);
  return [board.elements.get('full0').deleted, board.elements.has('one-too-many')];
}"""


# Every message key the whiteboard's status line shows from now on, in window.__wbSaid.
STATUS_LOG_JS = """() => {
  const status = document.querySelector('[data-testid=wb-status]');
  window.__wbSaid = [];
  new MutationObserver(() => window.__wbSaid.push(status.dataset.i18n))
    .observe(status, { attributes: true, childList: true, characterData: true, subtree: true });
}"""


FULL_BOARD_STATE_JS = """() => {
  const canvas = document.querySelector('[data-testid=wb-canvas]');
  return { said: window.__wbSaid, tool: canvas.dataset.tool,
           live: canvas.wbBoard.live().length, pending: canvas.wbBoard.pending.size,
           status: document.querySelector('[data-testid=wb-status]').textContent };
}"""


def test_a_refused_batch_goes_back_to_the_relays_copy_with_the_error_shown(board_pages):
    """On a full board, a batch the relay refuses (an erased element restored and a new one)
    is rolled back in the sender's own copy, with no reload: the new element goes, the
    restored one is erased again as on the relay and the other page, and the sender reads
    that the board is full and its change was taken back."""
    agent, customer = board_pages
    _fresh_board(agent, customer)
    customer.evaluate(FILL_JS, 5000)
    wait_same_boards([agent, customer], timeout_s=60)
    agent.evaluate(
        """async () => { const { edited } = await import('/ui/common/whiteboard/model.js');
             const board = document.querySelector('[data-testid=wb-canvas]').wbBoard;
             const one = board.elements.get('full0');
             board.commit([{ before: one, after: edited(one, { deleted: true }) }]); }"""
    )
    customer.evaluate(FILL_JS.replace("full${i}", "more${i}"), 1)  # the last free place
    wait_same_boards([agent, customer])

    assert agent.evaluate(OVERFILL_JS) == [False, True]  # shown at once, before the relay
    expect(by_id(agent, "wb-status")).to_have_text(
        "The board is full, so your last change was taken back. Start a new board to draw more."
    )
    board = wait_same_boards([agent, customer])
    assert "one-too-many" not in {e[0] for e in board["elements"]}
    assert agent.evaluate(
        "() => document.querySelector('[data-testid=wb-canvas]')"
        ".wbBoard.elements.get('full0').deleted"
    )
    # Drawing on the full board says so and adds nothing: the page's own check says it before
    # anything is sent ("wb.full"), or, should its copy have room for a moment, the relay's
    # refusal takes the element back ("wb.full_taken_back"). What the status says is recorded
    # as it changes. Two loaded whole runs saw neither within 30 s (each file alone passes):
    # the failure message shows what was said and what the page had.
    agent.evaluate(STATUS_LOG_JS)
    start_drawing(agent, "rectangle", [[[20, 20], [60, 60]]])
    finish_drawing(agent)
    try:
        agent.wait_for_function(
            "() => window.__wbSaid.some((k) => k === 'wb.full' || k === 'wb.full_taken_back')"
        )
    except PlaywrightTimeoutError:
        state = agent.evaluate(FULL_BOARD_STATE_JS)
        raise AssertionError(f"the full board said nothing about it: {state}") from None
    assert len(wait_same_boards([agent, customer])["elements"]) == 5001


# The agent's view and the only live element of a kind: where it is on the screen.
ON_SCREEN_JS = """(kind) => {
  const canvas = document.querySelector('[data-testid=wb-canvas]');
  const view = canvas.wbView.view;
  const e = canvas.wbBoard.live().find((x) => x.kind === kind) ?? null;
  return { view, element: e };
}"""


def _screen(page: Page, bx: float, by: float) -> tuple[float, float]:
    """Board pixels → page pixels on ``page``'s canvas (its current view)."""
    box = by_id(page, "wb-canvas").bounding_box()
    assert box is not None
    view = page.evaluate(ON_SCREEN_JS, "none")["view"]
    return (
        box["x"] + (bx - view["x"]) * view["zoom"],
        box["y"] + (by - view["y"]) * view["zoom"],
    )


def _drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=6)
    page.mouse.up()


def _customer_rect(customer: Page) -> dict:
    return customer.evaluate(ON_SCREEN_JS, "rectangle")["element"]


def test_select_moves_resizes_and_deletes_with_the_chosen_colour_and_width(board_pages):
    """With purple and 8 px chosen, a rectangle drawn with the mouse reaches the other side in
    them; Select and a drag move it, its corner handle resizes it, and Delete erases it, each
    seen by the customer."""
    agent, customer = board_pages
    _fresh_board(agent, customer)
    by_id(agent, "wb-colour-7c3aed").click()
    by_id(agent, "wb-width").select_option("8")
    by_id(agent, "wb-tool-rectangle").click()
    _drag(agent, _screen(agent, 100, 100), _screen(agent, 220, 180))
    wait_same_boards([agent, customer])
    drawn = _customer_rect(customer)
    assert (drawn["color"], drawn["width"]) == ("#7c3aed", 8)
    assert (drawn["x"], drawn["y"]) == (100, 100) and abs(drawn["w"] - 120) <= 1, drawn

    by_id(agent, "wb-tool-select").click()
    _drag(agent, _screen(agent, 100, 140), _screen(agent, 150, 170))  # grab its left edge
    customer.wait_for_function(
        "() => document.querySelector('[data-testid=wb-canvas]').wbBoard.live()"
        ".some((e) => e.kind === 'rectangle' && e.x === 150 && e.y === 130)"
    )
    moved = _customer_rect(customer)
    assert (moved["w"], moved["h"]) == (drawn["w"], drawn["h"])

    # The handle sits 4 screen px beyond the bottom-right corner of the selection.
    zoom = agent.evaluate(ON_SCREEN_JS, "none")["view"]["zoom"]
    hx, hy = _screen(agent, moved["x"] + moved["w"], moved["y"] + moved["h"])
    _drag(agent, (hx + 4, hy + 4), (hx + 4 + 40 * zoom, hy + 4 + 20 * zoom))
    customer.wait_for_function(
        "(w) => document.querySelector('[data-testid=wb-canvas]').wbBoard.live()"
        ".some((e) => e.kind === 'rectangle' && e.w >= w)",
        arg=moved["w"] + 39,
    )
    resized = _customer_rect(customer)
    assert (resized["x"], resized["y"]) == (150, 130), "a resize keeps the corner"
    assert abs(resized["h"] - (moved["h"] + 20)) <= 1, resized

    agent.keyboard.press("Delete")
    customer.wait_for_function(
        "() => document.querySelector('[data-testid=wb-canvas]').wbBoard.live().length === 0"
    )
    wait_same_boards([agent, customer])


def test_a_phone_draws_with_a_finger_and_pinches_to_zoom(board_pages, browser, relay):
    """A customer on a 390x844 touch phone (pixel ratio 3) joins the open board: a finger
    stroke reaches the agent as a pen stroke, and a two-finger pinch zooms the phone's view
    without drawing anything."""
    agent, customer = board_pages
    _fresh_board(agent, customer)
    code = invite_code(agent)
    close_invite(agent)
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        locale="en-US",
    )
    phone = context.new_page()
    try:
        phone.goto(relay.url + "/")
        customer_join(phone, code, name="Han Phone")
        canvas = by_id(phone, "wb-canvas")
        expect(canvas).to_be_visible()
        by_id(phone, "wb-tool-pen").click()
        box = canvas.bounding_box()
        assert box is not None
        touch = phone.context.new_cdp_session(phone)

        def fingers(kind: str, *points: tuple[float, float]) -> None:
            touch.send(
                "Input.dispatchTouchEvent",
                {
                    "type": kind,
                    "touchPoints": [
                        {"x": box["x"] + x, "y": box["y"] + y, "id": i}
                        for i, (x, y) in enumerate(points)
                    ],
                },
            )

        fingers("touchStart", (40, 60))
        for step in range(1, 9):
            fingers("touchMove", (40 + 20 * step, 60 + 6 * (step % 3)))
        fingers("touchEnd")
        agent.wait_for_function(
            "() => document.querySelector('[data-testid=wb-canvas]').wbBoard.live()"
            ".some((e) => e.kind === 'pen' && e.points.length >= 5)"
        )
        before = phone.evaluate(ON_SCREEN_JS, "none")["view"]["zoom"]
        centre = (box["width"] / 2, box["height"] / 2)
        fingers("touchStart", (centre[0] - 30, centre[1]), (centre[0] + 30, centre[1]))
        for step in range(1, 9):
            spread = 30 + 10 * step
            fingers("touchMove", (centre[0] - spread, centre[1]), (centre[0] + spread, centre[1]))
        fingers("touchEnd")
        after = phone.evaluate(ON_SCREEN_JS, "none")["view"]["zoom"]
        assert after > before * 1.8, (before, after)
        board = wait_same_boards([agent, customer, phone])
        # The first finger's stroke was dropped when the second came: a tombstone, not ink.
        live = [element for element in board["elements"] if not element[3]]
        assert len(live) == 1, board
    finally:
        context.close()
