"""The agent overlay's pure side (P5): relay messages in, the agent's drags out, tool commands."""

from __future__ import annotations

import pytest

from suite.agent.overlay.board import BATCH_INTERVAL_S, OverlayBoard
from suite.agent.presenter.commands import draw_command, encode_command
from suite.strokes import DrawingError, Tool

BEGIN = {"type": "stroke_begin", "author": "customer", "id": "c1", "tool": "pen",
         "color": "#2563eb", "width": 4, "points": [[1, 1]]}  # fmt: skip


def test_relay_messages_build_and_take_down_strokes():
    """begin/points/end grow a stroke; removed takes one; cleared takes all; drawing replaces."""
    board = OverlayBoard(100, 100)
    assert board.apply(BEGIN)
    assert board.apply({"type": "stroke_points", "author": "customer", "id": "c1",
                        "points": [[2, 2]]})  # fmt: skip
    assert board.apply({"type": "stroke_end", "author": "customer", "id": "c1", "points": []})
    (stroke,) = board.strokes()
    assert stroke.points == [(1, 1), (2, 2)] and stroke.done
    # The same id from another author is another stroke: nothing to add to.
    assert not board.apply({"type": "stroke_points", "author": "agent", "id": "c1",
                            "points": [[3, 3]]})  # fmt: skip
    assert board.apply({"type": "stroke_removed", "author": "customer", "id": "c1"})
    assert board.strokes() == []
    snapshot = {"type": "drawing", "strokes": [{**BEGIN, "id": "x", "done": True}]}
    assert board.apply(snapshot)
    assert [s.id for s in board.strokes()] == ["x"]
    assert board.apply({"type": "drawing_cleared", "by": "relay"})
    assert board.strokes() == []


def test_broken_relay_messages_are_ignored():
    board = OverlayBoard(100, 100)
    assert not board.apply({**BEGIN, "color": "blue"})
    assert not board.apply({"type": "no_such_thing"})
    assert board.strokes() == []


def test_a_drag_sends_begin_then_batches_then_end():
    """Without a tool nothing happens; with one, points go out at most every BATCH_INTERVAL_S,
    all of them, and the release ends the stroke; the agent's stroke shows at once."""
    board = OverlayBoard(100, 100)
    assert board.press(5, 5, 0.0) == []
    board.set_style({"tool": "pen", "color": "#10B981", "width": 3})
    (begin,) = board.press(5, 5, 0.0)
    assert (begin["type"], begin["tool"], begin["color"], begin["points"]) == (
        "stroke_begin", "pen", "#10b981", [[5, 5]],
    )  # fmt: skip
    assert board.move(6, 6, 0.01) == []  # too soon: kept
    assert board.move(7, 7, 0.02) == []
    (batch,) = board.move(8, 8, BATCH_INTERVAL_S + 0.001)
    assert batch == {"type": "stroke_points", "id": begin["id"], "points": [[6, 6], [7, 7], [8, 8]]}
    out = board.release(200, -5, 0.1)  # off the monitor: clamped
    assert out[0]["points"] == [[99, 0]]
    assert out[-1] == {"type": "stroke_end", "id": begin["id"], "points": []}
    (stroke,) = board.strokes()
    assert stroke.author == "agent" and stroke.done and len(stroke.points) == 5
    assert not board.dragging


def test_a_shape_drag_sends_only_its_latest_point():
    board = OverlayBoard(100, 100)
    board.set_style({"tool": "ellipse"})
    board.press(10, 10, 0.0)
    board.move(20, 20, 0.01)
    (batch,) = board.move(30, 40, 1.0)
    assert batch["points"] == [[30, 40]]
    assert board.strokes()[0].points == [(10, 10), (30, 40)]


def test_clear_from_the_relay_drops_the_drag_in_progress():
    board = OverlayBoard(100, 100)
    board.set_style({"tool": "line"})
    board.press(1, 1, 0.0)
    board.apply({"type": "drawing_cleared", "by": "customer"})
    assert not board.dragging and board.move(5, 5, 1.0) == []


def test_tool_commands_are_checked():
    board = OverlayBoard(100, 100)
    with pytest.raises(DrawingError):
        board.set_style({"tool": "spray"})
    board.set_style({"tool": None, "color": "#000000"})
    assert board.style.tool is None and board.style.color == "#000000"
    board.set_style({"tool": "arrow"})
    assert board.style.tool is Tool.ARROW


@pytest.mark.parametrize(
    ("body", "command"),
    [
        ({"action": "undo"}, "undo"),
        ({"action": "clear"}, "clear"),
        ({"action": "tool", "tool": None}, "tool none"),
        ({"action": "tool", "tool": "pen"}, "tool pen"),
        ({"action": "tool", "tool": "pen", "color": "#112233"}, "tool pen #112233"),
        ({"action": "tool", "tool": "line", "color": "#112233", "width": 8}, "tool line #112233 8"),
        ({"action": "tool", "tool": "line", "width": 8}, "tool line - 8"),
    ],
)
def test_drawing_command_from_the_chat_window(body, command):
    assert encode_command(draw_command(body)) == f"draw {command}"


@pytest.mark.parametrize(
    "body",
    [
        {"action": "paint"},
        {"action": "tool", "tool": "spray"},
        {"action": "tool", "tool": "pen", "color": "#1234"},
        {"action": "tool", "tool": "pen", "color": "#112233 undo"},
        {"action": "tool", "tool": "pen", "color": "#112233\n"},
        {"action": "tool", "tool": "pen", "width": 0},
        {"action": "tool", "tool": "pen", "width": "4"},
    ],
)
def test_drawing_command_refuses_bad_requests(body):
    """Nothing unchecked reaches the presenter's command line (no injected words)."""
    with pytest.raises(ValueError):
        draw_command(body)


def test_generation_moves_only_when_strokes_leave_or_are_replaced():
    """The overlay redraws its cache of finished strokes only after removal, clear or a new
    whole drawing; growing strokes and new ones keep the generation."""
    board = OverlayBoard(100, 100)
    board.apply(BEGIN)
    board.apply({"type": "stroke_end", "author": "customer", "id": "c1", "points": [[3, 3]]})
    assert board.generation == 0
    board.apply({"type": "stroke_removed", "author": "customer", "id": "nope"})
    assert board.generation == 0
    board.apply({"type": "stroke_removed", "author": "customer", "id": "c1"})
    assert board.generation == 1
    board.apply({"type": "drawing", "strokes": []})
    board.apply({"type": "drawing_cleared", "by": "agent"})
    assert board.generation == 3
