"""New layers of the whiteboard drawn by the two drawing workers (ui/common/whiteboard/
board_workers.js, board_worker.js) in Chromium: the pixels of a full redraw, what the frames
show meanwhile, and the page drawing the layers itself when the workers die."""

from __future__ import annotations

import pytest

from tests.support.whiteboard import wait_same_boards
from tests.support.whiteboard_layers import (
    FILL_JS,
    PAINTER,
    STATS_JS,
    TEXT_SPLIT_LEVELS,
    board_module_fixtures,
    edit,
    frame_after,
    index_of,
    patched_after,
    same_pixels,
    settle,
)

pytestmark = pytest.mark.e2e


relay, pages = board_module_fixtures()


# In one task (no worker's answer can land in it): end the zoom, paint the frame that asks the
# workers for the sharp layer, and count the ink that frame shows meanwhile.
ASK_WORKERS_JS = """() => {
  const canvas = document.querySelector('[data-testid=wb-canvas]');
  const painter = canvas.wbView.painter;
  painter.settleNow();
  canvas.wbView.paint();
  const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] !== 255) ink += 1;
  return { ink, asked: Boolean(painter.build && painter.build.offThread) };
}"""


@pytest.mark.parametrize("ratio", [1, 2])
def test_a_layer_drawn_by_two_workers_has_the_pixels_of_a_full_redraw(pages, ratio):
    """Where the engine has OffscreenCanvas in workers (Chromium), a new layer (a new pixel
    ratio, a zoom that rested) is drawn by two workers, a band each, while the frames show the
    old layer scaled (not blank); the layer they draw has exactly the pixels of a full redraw
    here; pans shift it and an erase from the other side repairs it as any layer."""
    agent, customer = pages
    painter = PAINTER
    agent.wait_for_function(f"() => {painter}.workers && {painter}.workers.ready")
    before = agent.evaluate(STATS_JS)
    agent.evaluate(
        f"() => {{ window.devicePixelRatio = {ratio} + 0.25;"
        " const view = document.querySelector('[data-testid=wb-canvas]').wbView;"
        " view.view = { x: 0, y: 0, zoom: 1 }; view._fitCanvas(); }"
    )
    mine = f"work{ratio}_"
    agent.evaluate(FILL_JS.replace("fill${i}", mine + "${i}").replace("% 500", "% 700"), 200)
    wait_same_boards([agent, customer])
    settle(agent)
    # A new ratio: in one task, the canvas resized and the frame that asks the workers.
    asked = agent.evaluate(
        ASK_WORKERS_JS.replace(
            "painter.settleNow();", f"window.devicePixelRatio = {ratio};"
        ).replace("canvas.wbView.paint();", "canvas.wbView._fitCanvas(); canvas.wbView.paint();")
    )
    assert asked["asked"], asked
    settle(agent)
    stats = agent.evaluate(STATS_JS)
    assert stats["offThread"] >= before["offThread"] + 1, stats  # the new ratio's layer
    held = agent.evaluate(f"() => {painter}.cached.length")
    result = same_pixels(agent, held_at_least=held)
    assert result["most"] == 0, str(result)
    # Meanwhile the old ratio's layer, scaled (not a white page).
    assert asked["ink"] > result["ink"] / 2, (asked, result)

    # Pans shift the workers' layer; an erase from the other side repairs it in place. (At
    # the board's own scale: at a fractional one, a shifted layer over stacks of identical
    # elements can be a pixel past the tolerance at an edge, with or without workers.)
    canvas = agent.locator("[data-testid=wb-canvas]")
    canvas.hover()
    for dx, dy in ((37, 11), (-23, 41)):
        shifted = agent.evaluate(STATS_JS)
        agent.mouse.wheel(dx, dy)
        frame_after(agent, "shifted", shifted)
    stats = agent.evaluate(STATS_JS)
    edit(customer, index_of(customer, mine + "33"), "() => ({ deleted: true })")
    wait_same_boards([agent, customer])
    patched_after(agent, stats)
    settle(agent)
    same_pixels(agent, held_at_least=held - 1)
    held -= 1

    # A zoom: the scaled layer shows until the workers' sharp one lands.
    agent.evaluate(f"() => {{ {painter}.settleMs = 60000; }}")
    try:
        scaled = agent.evaluate(STATS_JS)
        agent.keyboard.down("Control")
        try:
            agent.mouse.wheel(0, -70)
        finally:
            agent.keyboard.up("Control")
        frame_after(agent, "scaled", scaled)
        asked = agent.evaluate(ASK_WORKERS_JS)
    finally:
        agent.evaluate(f"() => {{ {painter}.settleMs = 150; }}")
    assert asked["asked"], asked
    settle(agent)
    after = agent.evaluate(STATS_JS)
    assert after["offThread"] == stats["offThread"] + 1, after
    result = same_pixels(agent, held_at_least=held)
    assert result["most"] == 0, str(result)
    assert asked["ink"] > result["ink"] / 2, (asked, result)  # the frame meanwhile: not blank


def test_workers_that_die_leave_the_layer_to_the_page(pages):
    """Two workers killed while they draw a layer (as a crash without an error event): after
    WORKER_TIMEOUT_MS the painter drops them and draws the layer itself, over frames, with
    the pixels of a full redraw; new workers are started again afterwards."""
    agent, _customer = pages
    painter = PAINTER
    agent.wait_for_function(f"() => {painter}.workers && {painter}.workers.ready")
    settle(agent)
    held = agent.evaluate(f"() => {painter}.cached.length")
    before = agent.evaluate(STATS_JS)
    agent.evaluate(
        f"""() => {{ const view = document.querySelector('[data-testid=wb-canvas]').wbView;
                    window.devicePixelRatio = 1.75; view._fitCanvas(); view.paint();
                    {painter}.workers.workers.forEach((w) => w.terminate()); }}"""
    )
    assert agent.evaluate(f"() => {painter}.build && {painter}.build.offThread")
    try:
        agent.wait_for_function(f"() => {painter}.workers === null", timeout=15000)
        settle(agent)
        after = agent.evaluate(STATS_JS)
        assert after["offThread"] == before["offThread"], after  # none landed
        assert after["rebuilt"] > before["rebuilt"], after  # drawn here instead
        result = same_pixels(agent, held_at_least=held)
        assert result["most"] <= TEXT_SPLIT_LEVELS, result
    finally:
        agent.evaluate(
            """async () => {
              const { BoardWorkers } = await import('/ui/common/whiteboard/board_workers.js');
              const view = document.querySelector('[data-testid=wb-canvas]').wbView;
              delete window.devicePixelRatio; // the page's own again, for the module's next test
              view._fitCanvas();
              view.painter.workers?.terminate();
              view.painter.workers = new BoardWorkers(() => view.redraw());
            }"""
        )


# Many elements arriving in one change, as a reconnect's or a loaded board's merge brings them;
# in the same task, the frame that follows (it asks the workers) and its ink. Just before, in
# the same task (well within FOLD_AFTER_MS), the other side's edit of an element deep in the
# drawing order arrives and a frame repairs it in the layer, as after elements drafted below
# the top (the module's board is not empty: the test's own 60 go below its elements).
ARRIVE_JS = """(count) => {
  const canvas = document.querySelector('[data-testid=wb-canvas]');
  const board = canvas.wbBoard;
  const painter = canvas.wbView.painter;
  const deep = board.live()[7];
  const patched = painter.stats.patched;
  const moved = deep.points
    ? { points: deep.points.map(([x, y]) => [x + 3, y]) } : { x: deep.x + 3 };
  board.applyRemote(board.number, [{ ...deep, ...moved, version: deep.version + 1 }]);
  canvas.wbView.paint();
  const repaired = painter.stats.patched - patched;
  const kinds = ['pen', 'line', 'rectangle', 'ellipse'];
  // Above everything on the board (the module's earlier tests drew too): they arrive on top.
  const top = Math.max(0, ...[...board.elements.values()].map((e) => e.z || 0)) + 1;
  for (let i = 0; i < count; i += 1) {
    const kind = kinds[i % kinds.length];
    const x = 30 + (i * 41) % 640, y = 30 + (i * 29) % 420;
    const e = { id: `came${i}`, kind, version: 1, nonce: i, deleted: false, z: top + i,
                color: '#7c3aed', width: 1 + (i % 4) };
    const zigzag = (_, k) => [x + k * 5, y + (k * 5) % 9];
    if (kind === 'pen') e.points = Array.from({ length: 9 }, zigzag);
    else if (kind === 'line') e.points = [[x, y], [x + 40, y + 30]];
    else Object.assign(e, { x, y, w: 36, h: 22 });
    board.elements.set(e.id, e);
  }
  board._changed();
  canvas.wbView.paint();
  const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let violet = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] > d[i + 1] + 60 && d[i + 2] > d[i + 1] + 60) violet += 1;
  }
  const w = painter.workers;
  return { violet, asked: Boolean(painter.build && painter.build.offThread),
           workers: w && { ready: w.ready, failed: w.failed }, cached: painter.cached.length,
           repaired };
}"""


def test_elements_arriving_at_once_are_drawn_by_the_workers(pages):
    """A few hundred elements arriving in one change (a reconnect) are not folded into the
    layer here over frames: the workers draw a new layer with them, the frames meanwhile show
    the old layer without them (not drawn on top, which would cost a full redraw a frame), and
    the layer that lands has exactly the pixels of a full redraw. In file order, on the
    module's board: an element changed below the top a moment before (repaired in the layer,
    not yet FOLD_AFTER_MS old) does not hold them back drawn on top of the layer in every
    frame (it did: the settled prefix stopped at it)."""
    agent, customer = pages
    agent.wait_for_function(f"() => {PAINTER}.workers && {PAINTER}.workers.ready")
    agent.evaluate(FILL_JS.replace("fill${i}", "before${i}"), 60)
    wait_same_boards([agent, customer])  # the relay's answers in: nothing changes below
    settle(agent)
    held = agent.evaluate(f"() => {PAINTER}.cached.length")
    before = agent.evaluate(STATS_JS)
    asked = agent.evaluate(ARRIVE_JS, 300)
    assert asked["repaired"] == 1, asked  # the edit below the top, repaired in the layer
    assert asked["asked"], asked
    assert asked["violet"] == 0, asked  # the old layer alone meanwhile
    settle(agent)
    after = agent.evaluate(STATS_JS)
    assert after["offThread"] == before["offThread"] + 1, after
    assert after["rebuilt"] == before["rebuilt"] + 1, after  # no fold over frames here
    result = same_pixels(agent, held_at_least=held + 300)
    assert result["most"] == 0, str(result)


# A board opened while the workers are ready: a new painter (no layer) for the page's canvas,
# its first frame (it asks the workers) painted in this task, and that frame's ink.
OPEN_JS = """async () => {
  const { BoardPainter } = await import('/ui/common/whiteboard/board_painter.js');
  const canvas = document.querySelector('[data-testid=wb-canvas]');
  const view = canvas.wbView;
  const old = view.painter;
  const painter = new BoardPainter(canvas, () => view.redraw());
  painter.workers = old.workers;
  old.workers = null;
  old.destroy();
  view.painter = painter;
  view.paint();
  const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] !== 255) ink += 1;
  return { ink, asked: Boolean(painter.build && painter.build.offThread) };
}"""


@pytest.mark.parametrize("ratio", [1, 2])
def test_a_board_opened_shows_it_small_until_the_workers_layer(pages, ratio):
    """The first frame of a board just opened (no layer yet) shows the board drawn small and
    scaled up while the workers draw its first layer, not a white page; then the workers'
    layer, exactly the pixels of a full redraw."""
    agent, _customer = pages
    agent.evaluate(
        f"() => {{ window.devicePixelRatio = {ratio};"
        " document.querySelector('[data-testid=wb-canvas]').wbView._fitCanvas(); }"
    )
    agent.wait_for_function(f"() => {PAINTER}.workers && {PAINTER}.workers.ready")
    settle(agent)
    held = agent.evaluate(f"() => {PAINTER}.cached.length")
    assert held > 0
    opened = agent.evaluate(OPEN_JS)
    assert opened["asked"], opened
    settle(agent)
    assert agent.evaluate(f"() => {PAINTER}.stats.offThread") == 1
    result = same_pixels(agent, held_at_least=held)
    assert result["most"] == 0, str(result)
    # Meanwhile the board drawn small: about as much ink as the board (blurred), not white.
    assert opened["ink"] > result["ink"] / 2, (opened, result)
