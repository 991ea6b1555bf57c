"""The drawing board (P5): strokes, limits, validation, and the routing between members."""

from __future__ import annotations

import json
import math

import pytest

from relay_server.screen.drawing_board import DRAWING_BURST, Board, Drawings
from suite.protocol import (
    ClearDrawing,
    ErrorCode,
    ProtocolError,
    StrokeBegin,
    StrokeEnd,
    StrokePoints,
    UndoStroke,
    decode_client_message,
)
from suite.strokes import (
    MAX_POINTS_PER_MESSAGE,
    MAX_POINTS_PER_STROKE,
    MAX_STROKES,
    Stroke,
    Tool,
    polylines,
)


def begin(board: Board, author: str = "agent", sid: str = "s1", tool: Tool = Tool.PEN,
          points: list | None = None) -> Stroke:  # fmt: skip
    return board.begin(author, sid, tool, "#112233", 3, points or [(1, 1)])


def test_a_pen_stroke_grows_then_ends_and_the_snapshot_has_it():
    """begin + append + finish keep every pen point in order; the snapshot is the wire form."""
    board = Board(100, 50)
    begin(board, points=[(1, 2)])
    assert board.append("agent", "s1", [(3, 4), (5, 6)]) == [(3, 4), (5, 6)]
    assert board.finish("agent", "s1", [(7, 8)]) == [(7, 8)]
    assert board.snapshot() == [
        {"author": "agent", "id": "s1", "tool": "pen", "color": "#112233", "width": 3,
         "points": [[1, 2], [3, 4], [5, 6], [7, 8]], "done": True},
    ]  # fmt: skip


@pytest.mark.parametrize("tool", [Tool.LINE, Tool.RECTANGLE, Tool.ELLIPSE, Tool.ARROW])
def test_shapes_keep_their_start_and_latest_point(tool):
    """Shape tools keep two points: the drag's start and where it is now."""
    board = Board(100, 100)
    begin(board, tool=tool, points=[(10, 10)])
    board.append("agent", "s1", [(20, 20), (30, 30)])
    board.finish("agent", "s1", [(40, 45)])
    assert board.strokes()[0].points == [(10, 10), (40, 45)]


def test_points_are_clamped_to_the_screen():
    """A drag off the screen lands on its edge, also in what is forwarded."""
    board = Board(100, 50)
    begin(board, points=[(-5, 60)])
    assert board.append("agent", "s1", [(500, -3)]) == [(99, 0)]
    assert board.strokes()[0].points == [(0, 49), (99, 0)]


def test_undo_removes_only_the_authors_newest_stroke():
    """Undo takes the author's own last stroke, never the other side's; none left: None."""
    board = Board(100, 100)
    begin(board, "agent", "a1")
    begin(board, "customer", "c1")
    begin(board, "agent", "a2")
    assert board.undo("customer").id == "c1"
    assert board.undo("agent").id == "a2"
    assert [s.id for s in board.strokes()] == ["a1"]
    assert board.undo("customer") is None


def test_clear_removes_everything():
    board = Board(100, 100)
    begin(board, "agent", "a1")
    begin(board, "customer", "c1")
    assert board.clear() == 2 and len(board) == 0


def test_same_id_by_two_authors_are_two_strokes_and_a_repeat_is_refused():
    """Ids are per author; reusing one's own id is a bad_message."""
    board = Board(100, 100)
    begin(board, "agent", "x")
    begin(board, "customer", "x")
    with pytest.raises(ProtocolError) as refused:
        begin(board, "agent", "x")
    assert refused.value.code is ErrorCode.BAD_MESSAGE


def test_points_for_a_foreign_ended_or_unknown_stroke_are_refused():
    board = Board(100, 100)
    begin(board, "customer", "c1")
    for author, sid in (("agent", "c1"), ("customer", "nope")):
        with pytest.raises(ProtocolError, match="no stroke"):
            board.append(author, sid, [(1, 1)])
    board.finish("customer", "c1", [])
    with pytest.raises(ProtocolError, match="has ended"):
        board.append("customer", "c1", [(1, 1)])


def test_the_board_is_bounded_in_strokes_and_points():
    """Past MAX_STROKES a new stroke is refused (drawing_full); so are points past the cap."""
    board = Board(100, 100)
    for i in range(MAX_STROKES):
        begin(board, sid=f"s{i}")
    with pytest.raises(ProtocolError) as full:
        begin(board, sid="one-more")
    assert full.value.code is ErrorCode.DRAWING_FULL
    board.clear()
    begin(board, points=[(0, 0)])
    batch = [(1, 1)] * (MAX_POINTS_PER_MESSAGE - 1)
    while len(board.strokes()[0].points) + len(batch) <= MAX_POINTS_PER_STROKE:
        board.append("agent", "s1", batch)
    kept = len(board.strokes()[0].points)
    with pytest.raises(ProtocolError) as long:
        board.append("agent", "s1", batch)
    assert long.value.code is ErrorCode.DRAWING_FULL
    assert len(board.strokes()[0].points) == kept  # nothing added


GOOD_BEGIN = {"type": "stroke_begin", "id": "s1", "tool": "arrow", "color": "#A0b0C0",
              "width": 4, "points": [[1.4, 2.6]]}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"id": ""}, "'id'"),
        ({"id": "x" * 65}, "'id'"),
        ({"id": 7}, "'id'"),
        ({"tool": "spray"}, "'tool'"),
        ({"color": "red"}, "'color'"),
        ({"color": "#12345"}, "'color'"),
        ({"color": "#123456\n"}, "'color'"),
        ({"width": 0}, "'width'"),
        ({"width": 65}, "'width'"),
        ({"width": True}, "'width'"),
        ({"width": "3"}, "'width'"),
        ({"points": []}, "must not be empty"),
        ({"points": [[1]]}, "pairs"),
        ({"points": [[1, "2"]]}, "pairs"),
        ({"points": [[1, True]]}, "pairs"),
        ({"points": "1,2"}, "list"),
        ({"points": [[0, 0]] * (MAX_POINTS_PER_MESSAGE + 1)}, "at most"),
    ],
)
def test_malformed_stroke_messages_are_bad_messages(change, fragment):
    """Every broken field is refused with bad_message naming it and the message type."""
    with pytest.raises(ProtocolError) as refused:
        decode_client_message(json.dumps({**GOOD_BEGIN, **change}))
    assert refused.value.code is ErrorCode.BAD_MESSAGE
    assert fragment in refused.value.message
    assert refused.value.in_reply_to == "stroke_begin"


def test_non_finite_points_are_refused():
    """NaN or infinity (Python's json reads them) never reach the board."""
    with pytest.raises(ProtocolError):
        decode_client_message('{"type":"stroke_points","id":"s","points":[[NaN,1]]}')


def test_well_formed_drawing_messages_parse():
    """Colours are lower-cased and coordinates rounded; stroke_end's points are optional."""
    begin_message = decode_client_message(json.dumps(GOOD_BEGIN))
    assert begin_message == StrokeBegin("s1", Tool.ARROW, "#a0b0c0", 4, [(1, 3)])
    assert decode_client_message('{"type":"stroke_end","id":"s1"}') == StrokeEnd("s1", [])
    assert isinstance(decode_client_message('{"type":"undo_stroke"}'), UndoStroke)
    assert isinstance(decode_client_message('{"type":"clear_drawing"}'), ClearDrawing)
    points = decode_client_message('{"type":"stroke_points","id":"s1","points":[[5,6]]}')
    assert points == StrokePoints("s1", [(5, 6)])


class FakeMember:
    """A socket that records what it was sent (the edge of the pure router)."""

    def __init__(self, role: str) -> None:
        self.role = role
        self.sent: list[dict] = []

    def send(self, frame: str | bytes) -> None:
        self.sent.append(json.loads(frame))


def test_drawings_forward_strokes_to_the_others_and_removals_to_all():
    """A stroke goes to everyone but its sender, with the author; undo/clear reach all."""
    drawings = Drawings()
    drawings.resize("S", 100, 100)
    agent, customer, other = FakeMember("agent"), FakeMember("customer"), FakeMember("customer")

    def handle(member, message, now=0.0):
        others = [m for m in (agent, customer, other) if m is not member]
        drawings.handle("S", member, message, others, True, now)

    handle(customer, StrokeBegin("c1", Tool.PEN, "#2563eb", 3, [(1, 1)]))
    handle(customer, StrokeEnd("c1", [(2, 2)]))
    assert [m["type"] for m in agent.sent] == ["stroke_begin", "stroke_end"]
    assert agent.sent[0]["author"] == "customer" and other.sent == agent.sent
    assert customer.sent == []
    handle(agent, UndoStroke())  # the agent has nothing: nobody hears anything
    assert len(customer.sent) == 0
    handle(customer, UndoStroke())
    assert customer.sent[-1] == {"type": "stroke_removed", "author": "customer", "id": "c1"}
    handle(agent, ClearDrawing())
    assert all(m.sent[-1] == {"type": "drawing_cleared", "by": "agent"}
               for m in (agent, customer, other))  # fmt: skip


def test_drawings_refuse_when_not_presenting_and_when_too_fast():
    """Nothing presented: not_allowed. Past the burst within an instant: rate_limited."""
    drawings = Drawings()
    viewer = FakeMember("customer")
    with pytest.raises(ProtocolError) as refused:
        drawings.handle("S", viewer, UndoStroke(), [], False, 0.0)
    assert refused.value.code is ErrorCode.NOT_ALLOWED
    for _ in range(int(DRAWING_BURST)):
        drawings.handle("S", viewer, UndoStroke(), [], True, 1.0)
    with pytest.raises(ProtocolError) as limited:
        drawings.handle("S", viewer, UndoStroke(), [], True, 1.0)
    assert limited.value.code is ErrorCode.RATE_LIMITED
    drawings.handle("S", viewer, UndoStroke(), [], True, 2.0)  # a second later: room again


def test_snapshot_frame_and_clear_on_stop():
    drawings = Drawings()
    assert json.loads(drawings.snapshot_frame("S")) == {"type": "drawing", "strokes": []}
    agent = FakeMember("agent")
    drawings.handle("S", agent, StrokeBegin("a", Tool.LINE, "#000000", 2, [(0, 0)]), [], True, 0)
    assert json.loads(drawings.snapshot_frame("S"))["strokes"][0]["id"] == "a"
    viewer = FakeMember("customer")
    drawings.clear("S", [agent, viewer])
    assert viewer.sent == [{"type": "drawing_cleared", "by": "relay"}]
    drawings.clear("S", [viewer])  # nothing left: no second message
    assert len(viewer.sent) == 1


def test_polylines_draw_each_tool():
    """The shapes' geometry: a closed box, a ring through its box's edges, an arrow's head."""
    assert polylines(Tool.PEN, [(0, 0), (1, 1), (2, 0)], 2) == [[(0, 0), (1, 1), (2, 0)]]
    assert polylines(Tool.LINE, [(0, 0), (5, 5)], 2) == [[(0, 0), (5, 5)]]
    (box,) = polylines(Tool.RECTANGLE, [(10, 20), (30, 40)], 2)
    assert box == [(10, 20), (30, 20), (30, 40), (10, 40), (10, 20)]
    (ring,) = polylines(Tool.ELLIPSE, [(0, 0), (100, 50)], 2)
    assert ring[0] == pytest.approx((100, 25)) and ring[0] == pytest.approx(ring[-1])
    assert min(p[1] for p in ring) == pytest.approx(0) and max(p[0] for p in ring) == 100
    shaft, left, right = polylines(Tool.ARROW, [(0, 0), (100, 0)], 2)
    assert shaft == [(0, 0), (100, 0)] and left[1] == right[1] == (100, 0)
    for side in (left, right):
        (x, y), _ = side
        assert x < 100 and math.hypot(100 - x, y) == pytest.approx(10)
    assert polylines(Tool.ARROW, [(5, 5), (5, 5)], 2) == [[(5, 5), (5, 5)]]
