"""The whiteboard's cached layer (ui/common/whiteboard/board_painter.js) in Chromium: after
local and remote edits, erasing, moving, zoom, pan and a new pixel ratio, a frame painted from
the layer has exactly the pixels of a full redraw; so does a board panned by shifting the layer
and zoomed through scaled frames at device pixel ratio 2, and a layer drawn over frames. (An
edit repaired in the layer: test_whiteboard_layer_edits.py; layers drawn by the workers:
test_whiteboard_workers.py.)"""

from __future__ import annotations

import pytest

from tests.support.ui_pages import by_id
from tests.support.whiteboard import finish_drawing, start_drawing, wait_same_boards
from tests.support.whiteboard_layers import (
    FILL_JS,
    PAINTER,
    STATS_JS,
    TEXT_SPLIT_LEVELS,
    board_module_fixtures,
    edit,
    frame_after,
    same_pixels,
    settle,
)

pytestmark = pytest.mark.e2e


relay, pages = board_module_fixtures()


def test_the_layer_draws_the_same_pixels_as_a_full_redraw(pages):
    """Through a sequence of local and remote strokes, an erase below the top, a move, zoom,
    pan and a change of device pixel ratio, painting from the cached layer gives the same
    pixels as drawing every element again."""
    agent, customer = pages
    agent.evaluate(FILL_JS, 150)
    wait_same_boards([agent, customer])
    settle(agent)
    same_pixels(agent, held_at_least=150)

    # Strokes on top, here and from the other side; compared while they are still fresh.
    start_drawing(agent, "pen", [[[40, 60], [90, 80], [140, 70], [200, 120]]])
    start_drawing(customer, "rectangle", [[[100, 100], [180, 170]]])
    finish_drawing(agent)
    finish_drawing(customer)
    wait_same_boards([agent, customer])
    same_pixels(agent, held_at_least=150)
    settle(agent)

    # The other side erases an element deep in the drawing order: the layer must forget it.
    edit(customer, 3, "() => ({ deleted: true })")
    wait_same_boards([agent, customer])
    same_pixels(agent, held_at_least=0)
    settle(agent)

    # Here, an element from the middle moves (and so comes out of the layer) and changes colour.
    edit(
        agent,
        75,
        "(e) => e.points ? { points: e.points.map(([x, y]) => [x + 30, y + 40]) }"
        " : { x: e.x + 30, y: e.y + 40, color: '#e11d48' }",
    )
    same_pixels(agent, held_at_least=0)
    settle(agent)

    # Zoom, pan (wheel), then a higher pixel ratio: still the same.
    by_id(agent, "wb-zoom-in").click()
    settle(agent)
    same_pixels(agent, held_at_least=100)
    agent.locator("[data-testid=wb-canvas]").hover()
    agent.mouse.wheel(35, 20)
    settle(agent)
    same_pixels(agent, held_at_least=100)
    agent.evaluate(
        "() => { window.devicePixelRatio = 2;"
        " document.querySelector('[data-testid=wb-canvas]').wbView._fitCanvas(); }"
    )
    settle(agent)
    two = same_pixels(agent, held_at_least=100)
    assert two["shown"] > 100
    start_drawing(customer, "line", [[[30, 300], [400, 330]]])
    finish_drawing(customer)
    wait_same_boards([agent, customer])
    same_pixels(agent, held_at_least=100)


def test_pan_and_zoom_at_pixel_ratio_2_keep_the_pixels_of_a_full_redraw(pages):
    """At device pixel ratio 2, wheel pans shift the cached layer and draw only what came into
    view, and a ctrl+wheel zoom shows scaled frames, then one sharp redraw once it rests: after
    each, the canvas matches a full redraw within antialiasing (a stale strip fails it)."""
    agent, customer = pages
    agent.evaluate(
        "() => { window.devicePixelRatio = 2;"
        " document.querySelector('[data-testid=wb-canvas]').wbView._fitCanvas(); }"
    )
    agent.evaluate(FILL_JS.replace("fill${i}", "wide${i}").replace("% 500", "% 1500"), 300)
    wait_same_boards([agent, customer])
    by_id(agent, "wb-zoom-in").click()
    by_id(agent, "wb-zoom-in").click()
    settle(agent)
    same_pixels(agent, held_at_least=300)
    canvas = agent.locator("[data-testid=wb-canvas]")
    canvas.hover()

    # Pans in every direction, by amounts that are not whole pixels of the board; a stroke
    # from the other side arrives in the middle and settles into the shifted layer.
    stats = agent.evaluate(STATS_JS)
    rebuilt = stats["rebuilt"]
    for step, (dx, dy) in enumerate(
        [(37, 0), (0, 23), (-61, 17), (45, -29), (13, 41), (-7, -3), (90, 0), (0, -55)]
    ):
        agent.mouse.wheel(dx, dy)
        stats = frame_after(agent, "shifted", stats)
        if step == 3:
            start_drawing(customer, "line", [[[60, 80], [420, 260]]])
            finish_drawing(customer)
            wait_same_boards([agent, customer])
    assert stats["rebuilt"] == rebuilt, stats  # every pan moved the layer, none redrew it
    settle(agent)
    same_pixels(agent, held_at_least=300)

    # A pinch-like zoom: in, then out past where it began (margins come into view). The rest
    # that ends it is 2 s here, so that a starved machine cannot split the gesture.
    painter = PAINTER
    agent.evaluate(f"() => {{ {painter}.settleMs = 2000; }}")
    stats = agent.evaluate(STATS_JS)
    rebuilt = stats["rebuilt"]
    agent.keyboard.down("Control")
    try:
        for delta in (-60, -60, -45, 80, 80, 90, 70):
            agent.mouse.wheel(0, delta)
            stats = frame_after(agent, "scaled", stats)
    finally:
        agent.keyboard.up("Control")
    assert agent.evaluate(f"() => {painter}.zooming")
    settle(agent)
    agent.evaluate(f"() => {{ {painter}.settleMs = 150; }}")
    after = agent.evaluate(STATS_JS)
    assert after["rebuilt"] == rebuilt + 1, after  # one sharp redraw for the whole gesture
    result = same_pixels(agent, held_at_least=300)
    # Drawn anew at the new scale (a scaled layer's blurred edges are far off); a layer drawn
    # over several frames may differ by a few levels at text edges (8 px by 1 level seen).
    assert result["most"] <= TEXT_SPLIT_LEVELS, result


def test_a_layer_drawn_over_frames_keeps_the_pixels_of_a_full_redraw(pages):
    """With a drawing budget of a few elements a frame: a hundred elements arriving at once are
    folded over frames, a new pixel ratio draws its layer over frames while the other side
    erases an element the new layer already holds (it starts again) and draws a line, and a
    zoom's sharp layer is drawn over frames while the scaled one shows; each finished layer has
    the pixels of a full redraw but for text antialiasing (a layer that kept the erased element
    fails it)."""
    agent, customer = pages
    painter = PAINTER
    settle(agent)
    # MIN_CHUNK elements a frame, drawn here (not by the workers: the next test).
    agent.evaluate(f"() => {{ {painter}.budgetMs = 0.01; {painter}.offThread = false; }}")
    try:
        # A board's worth arriving at once: folded over frames, not drawn on top each frame.
        held = agent.evaluate(f"() => {painter}.cached.length")
        agent.evaluate(FILL_JS.replace("fill${i}", "bulk${i}").replace("% 500", "% 900"), 100)
        agent.wait_for_function(f"() => {painter}.building")
        settle(agent)
        same_pixels(agent, held_at_least=held + 100)

        # A new pixel ratio: no layer of that size yet; the new one grows over frames.
        before = agent.evaluate(STATS_JS)
        agent.evaluate(
            "() => { window.devicePixelRatio = 1.5;"
            " document.querySelector('[data-testid=wb-canvas]').wbView._fitCanvas(); }"
        )
        agent.wait_for_function(f"() => {painter}.build && {painter}.build.drawn.length > 8")
        edit(customer, 2, "() => ({ deleted: true })")
        start_drawing(customer, "line", [[[50, 250], [380, 90]]])
        finish_drawing(customer)
        wait_same_boards([agent, customer])
        settle(agent)
        after = agent.evaluate(STATS_JS)
        assert after["building"] > before["building"] + 1, after
        assert agent.evaluate(f"() => {painter}.lastBuild.frames") > 1
        result = same_pixels(agent, held_at_least=held + 100)
        assert result["most"] <= TEXT_SPLIT_LEVELS, result

        # A zoom that rests: the scaled layer shows while the sharp one is drawn.
        agent.locator("[data-testid=wb-canvas]").hover()
        agent.keyboard.down("Control")
        try:
            agent.mouse.wheel(0, -80)
        finally:
            agent.keyboard.up("Control")
        agent.wait_for_function(f"() => {painter}.build !== null")
        ink = agent.evaluate(
            """() => { const c = document.querySelector('[data-testid=wb-canvas]');
                       const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                       let ink = 0;
                       for (let i = 0; i < d.length; i += 4) if (d[i] !== 255) ink += 1;
                       return ink; }"""
        )
        settle(agent)
        result = same_pixels(agent, held_at_least=held + 100)
        assert result["most"] <= TEXT_SPLIT_LEVELS, result
        assert ink > result["ink"] / 2, (ink, result)  # the frames meanwhile were not blank
    finally:
        agent.evaluate(f"() => {{ {painter}.budgetMs = 7; {painter}.offThread = true; }}")


ELLIPSE_JS = """async () => {
  const { drawElement } = await import('/ui/common/whiteboard/renderer.js');
  const ellipse = { id: 'e', kind: 'ellipse', version: 1, nonce: 1, deleted: false, z: 1,
                    color: '#111827', width: 9, x: 20, y: 16, w: 61, h: 37 };
  const pen = { id: 'p', kind: 'pen', version: 1, nonce: 1, deleted: false, z: 0,
                color: '#111827', width: 9, points: [[2, 2], [3, 2]] };
  const draw = (before) => {
    const canvas = document.createElement('canvas');
    canvas.width = 100; canvas.height = 70;
    const ctx = canvas.getContext('2d');
    const style = {};
    if (before) { drawElement(ctx, pen, null, style); ctx.clearRect(0, 0, 100, 70); }
    drawElement(ctx, ellipse, null, style);
    return { cap: ctx.lineCap, join: ctx.lineJoin,
             pixels: Array.from(ctx.getImageData(0, 0, 100, 70).data) };
  };
  const alone = draw(false);
  const after = draw(true);
  let differ = 0;
  for (let i = 0; i < alone.pixels.length; i += 1) {
    if (alone.pixels[i] !== after.pixels[i]) differ += 1;
  }
  return { alone: [alone.cap, alone.join], after: [after.cap, after.join], differ };
}"""


def test_an_ellipse_sets_its_own_caps_and_joins(open_ui):
    """An ellipse drawn after a round-capped pen stroke is drawn with the outline's caps and
    joins (the rectangle's), as when it is drawn alone: the same pixels."""
    page = open_ui("/")
    got = page.evaluate(ELLIPSE_JS)
    assert got["alone"] == ["butt", "miter"], got
    assert got["after"] == ["butt", "miter"], got
    assert got["differ"] == 0, got
