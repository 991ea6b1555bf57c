"""Helpers of the whiteboard's layer tests (tests/e2e/test_whiteboard_layers.py,
test_whiteboard_layer_edits.py, test_whiteboard_workers.py): the agent's and the customer's
pages with the board open, a board filled, an element edited, and the canvas painted from the
painter's cached layer compared with a full redraw."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.ui_pages import agent_login, by_id, customer_join, open_page, start_support
from tests.support.whiteboard import module_relay

# Paint from the layer, then a full redraw; how many bytes differ, and what the layer held.
# A pixel off by more than this in a channel is more than antialiasing: rasterising the same
# shape a whole number of pixels away can flip an antialiased edge pixel by a few coverage
# steps (Skia's float geometry), but a missing or stale strip is off by its whole ink.
FAR_PER_CHANNEL = 96
# A text drawn at a fractional device pixel in a layer drawn in parts (the canvas made its
# pixels between them) can differ from one drawn in one go by a few levels at its glyphs' edges.
TEXT_SPLIT_LEVELS = 12

COMPARE_JS = """() => {
  const canvas = document.querySelector('[data-testid=wb-canvas]');
  const view = canvas.wbView;
  const ctx = canvas.getContext('2d');
  view.painter.enabled = true;
  view.paint();
  const layered = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const held = view.painter.cached.length;
  view.painter.enabled = false;
  view.paint();
  const full = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  view.painter.enabled = true;
  // Per pixel, the largest difference of a channel; "far" ones are more than antialiasing.
  let differ = 0;
  let far = 0;
  const farAt = [];
  let most = 0;
  const where = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i < full.length; i += 4) {
    let d = 0;
    for (let c = 0; c < 4; c += 1) d = Math.max(d, Math.abs(full[i + c] - layered[i + c]));
    if (d === 0) continue;
    differ += 1;
    if (d > FAR_PER_CHANNEL && far++ < 4) {
      farAt.push([(i / 4) % canvas.width, Math.floor(i / 4 / canvas.width), d]);
    }
    most = Math.max(most, d);
    const p = i / 4, x = p % canvas.width, y = Math.floor(p / canvas.width);
    where[0] = Math.min(where[0], x); where[1] = Math.min(where[1], y);
    where[2] = Math.max(where[2], x); where[3] = Math.max(where[3], y);
  }
  let ink = 0;
  for (let i = 0; i < full.length; i += 4) if (full[i] !== 255 || full[i + 2] !== 255) ink += 1;
  return { differ, far, farAt, most, where, held, patch: view.painter.lastPatch,
           ink, shown: view.board.live().length,
           size: [canvas.width, canvas.height], at: view.painter.at, stats: view.painter.stats,
           view: view.view };
}"""

# A settled board: many elements, so that the layer has something to hold.
FILL_JS = """(count) => {
  const board = document.querySelector('[data-testid=wb-canvas]').wbBoard;
  const kinds = ['pen', 'line', 'rectangle', 'ellipse', 'text'];
  for (let i = 0; i < count; i += 1) {
    const kind = kinds[i % kinds.length];
    const x = 20 + (i * 37) % 500, y = 20 + (i * 53) % 320;
    const e = { id: `fill${i}`, kind, version: 1, nonce: i, deleted: false, z: i + 1,
                color: ['#2563eb', '#16a34a', '#111827'][i % 3], width: 1 + (i % 5) };
    if (kind === 'pen') {
      e.points = Array.from({ length: 12 }, (_, k) => [x + k * 4, y + (k * 7) % 13]);
    } else if (kind === 'line') {
      e.points = [[x, y], [x + 50, y + 20]];
    } else {
      Object.assign(e, { x, y, w: 40, h: 24 });
      if (kind === 'text') Object.assign(e, { text: '견적 ' + i, size: 14 });
    }
    board.draft(e);
  }
}"""


# Edit the element at `index` of the drawing order as a gesture does (draft, then commit);
# CHANGES is replaced by a JS function of the element giving the changed fields.
EDIT_JS = """async (index) => {
  const { edited } = await import('/ui/common/whiteboard/model.js');
  const board = document.querySelector('[data-testid=wb-canvas]').wbBoard;
  const before = board.live()[index];
  const after = edited(before, (CHANGES)(before));
  board.draft(after);
  board.commit([{ before, after }]);
}"""


PAINTER = "document.querySelector('[data-testid=wb-canvas]').wbView.painter"
STATS_JS = f"() => ({{...{PAINTER}.stats}})"


def edit(page: Page, index: int, changes_js: str) -> None:
    page.evaluate(EDIT_JS.replace("CHANGES", changes_js), index)


@contextlib.contextmanager
def board_pages(browser, relay) -> Iterator[tuple[Page, Page]]:
    """The agent's page and a customer's, in one support session, the whiteboard open."""
    agent = open_page(browser, relay.url + "/agent")
    customer = open_page(browser, relay.url + "/")
    try:
        agent_login(agent)
        customer_join(customer, start_support(agent))
        by_id(agent, "whiteboard-button").click()
        by_id(customer, "whiteboard-accept").click()
        for page in (agent, customer):
            expect(by_id(page, "wb-canvas")).to_be_visible()
        yield agent, customer
    finally:
        agent.context.close()
        customer.context.close()


def same_pixels(page: Page, held_at_least: int = 1) -> dict:
    """The canvas painted from the layer against a full redraw: no pixel far off, ink drawn,
    and the layer held at least ``held_at_least`` elements (it was used)."""
    built(page)
    result = page.evaluate(COMPARE_JS.replace("FAR_PER_CHANNEL", str(FAR_PER_CHANNEL)))
    assert result["far"] == 0, str(result)
    assert result["ink"] > 0, result
    assert result["held"] >= held_at_least, result  # the layer was used, not only a redraw
    return result


def built(page: Page) -> None:
    """Wait until no new layer or fold is still being drawn over frames (the page's own
    frames draw it)."""
    page.wait_for_function(f"() => !{PAINTER}.building")


def settle(page: Page) -> None:
    """Wait until a zoom has rested and the layer holds every element (each unchanged for
    FOLD_AFTER_MS)."""
    page.wait_for_function(
        """() => { const v = document.querySelector('[data-testid=wb-canvas]').wbView;
                   v.paint();
                   const held = v.painter.cached.length === v.board.live().length;
                   return held && !v.painter.zooming && !v.painter.building; }"""
    )


def frame_after(page: Page, counter: str, before: dict) -> dict:
    """Wait until the page painted a frame of kind ``counter`` after ``before``; its stats."""
    page.wait_for_function(f"(n) => {PAINTER}.stats.{counter} > n", arg=before[counter])
    return page.evaluate(STATS_JS)


def index_of(page: Page, element_id: str) -> int:
    """Where the element is in the drawing order (the same on every side)."""
    return page.evaluate(
        "(id) => document.querySelector('[data-testid=wb-canvas]').wbBoard.live()"
        ".findIndex((e) => e.id === id)",
        element_id,
    )


def patched_after(page: Page, before: dict) -> dict:
    """Wait until the page repaired the layer in place after ``before``; the stats then."""
    stats = frame_after(page, "patched", before)
    assert stats["rebuilt"] == before["rebuilt"], stats  # repaired, not drawn anew
    return stats


def board_module_fixtures():
    """A module's ``relay`` and its ``pages`` (the agent's and a customer's, one board open),
    both module-scoped: ``relay, pages = board_module_fixtures()`` at a test module's top."""

    @pytest.fixture(scope="module")
    def relay(tmp_path_factory):
        with module_relay(tmp_path_factory) as shared:
            yield shared

    @pytest.fixture(scope="module")
    def pages(browser, relay) -> Iterator[tuple[Page, Page]]:
        with board_pages(browser, relay) as both:
            yield both

    return relay, pages
