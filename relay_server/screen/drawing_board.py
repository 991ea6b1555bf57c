"""The drawing over each presentation (P5): a bounded board of strokes and its fan-out.

:class:`Board` is the pure model: who drew which stroke, validated, clamped to the screen and
bounded (``MAX_STROKES`` strokes, ``MAX_POINTS_PER_STROKE`` points each). :class:`Drawings`
routes the screen channel's drawing messages of every session to its board and to the other
members (the presenter and every viewer), rate-limits each socket, and gives a late joiner or
a reconnecting socket the whole drawing in one ``drawing`` message. No sockets here: members
are anything with ``send(frame)`` and a ``role``, and the time is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from relay_server.throttle import TokenBucket
from suite.protocol import (
    ClearDrawing,
    Drawing,
    DrawingCleared,
    ErrorCode,
    MessageType,
    ProtocolError,
    RelayedStrokeBegin,
    RelayedStrokeEnd,
    RelayedStrokePoints,
    StrokeBegin,
    StrokeEnd,
    StrokePoints,
    StrokeRemoved,
    UndoStroke,
)
from suite.strokes import MAX_POINTS_PER_STROKE, MAX_STROKES, Point, Stroke, Tool, clamp

# Live strokes send a batch every 30-50 ms (20-33 a second); a burst covers a quick scribble
# and an undo or two. More than that is a broken or hostile client.
DRAWING_MESSAGES_PER_S = 60.0
DRAWING_BURST = 120.0


class DrawingMember(Protocol):
    role: Any

    def send(self, frame: str | bytes) -> None: ...


class Board:
    """The strokes of one presentation, oldest first.

    Args:
        screen_w: the shared screen's width; points are clamped to the screen.
        screen_h: its height.
    """

    def __init__(self, screen_w: int = 0, screen_h: int = 0) -> None:
        self.screen_w, self.screen_h = screen_w, screen_h
        self._strokes: dict[tuple[str, str], Stroke] = {}

    def __len__(self) -> int:
        return len(self._strokes)

    def strokes(self) -> list[Stroke]:
        return list(self._strokes.values())

    def resize(self, screen_w: int, screen_h: int) -> None:
        self.screen_w, self.screen_h = screen_w, screen_h

    def begin(
        self, author: str, stroke_id: str, tool: Tool, color: str, width: int, points: list[Point]
    ) -> Stroke:
        """Start a stroke.

        Raises:
            ProtocolError: ``drawing_full`` when the board holds ``MAX_STROKES``;
                ``bad_message`` when the author already has a stroke with this id.
        """
        key = (author, stroke_id)
        if key in self._strokes:
            raise _bad(MessageType.STROKE_BEGIN, f"stroke '{stroke_id}' exists already")
        if len(self._strokes) >= MAX_STROKES:
            raise ProtocolError(
                ErrorCode.DRAWING_FULL,
                f"the drawing holds at most {MAX_STROKES} strokes: clear it to draw more",
                str(MessageType.STROKE_BEGIN),
            )
        stroke = Stroke(author, stroke_id, tool, color, width)
        stroke.add(self._clamp(points))
        self._strokes[key] = stroke
        return stroke

    def append(self, author: str, stroke_id: str, points: list[Point]) -> list[Point]:
        """Add points to an unfinished stroke; returns them clamped (what to forward).

        Raises:
            ProtocolError: no such unfinished stroke of this author (``bad_message``), or the
                stroke would pass ``MAX_POINTS_PER_STROKE`` (``drawing_full``; nothing added).
        """
        stroke = self._open(author, stroke_id, MessageType.STROKE_POINTS)
        if stroke.tool is Tool.PEN and len(stroke.points) + len(points) > MAX_POINTS_PER_STROKE:
            raise ProtocolError(
                ErrorCode.DRAWING_FULL,
                f"a stroke holds at most {MAX_POINTS_PER_STROKE} points: end it and start another",
                str(MessageType.STROKE_POINTS),
            )
        clamped = self._clamp(points)
        stroke.add(clamped)
        return clamped

    def finish(self, author: str, stroke_id: str, points: list[Point]) -> list[Point]:
        """Add the last points (if any) and close the stroke; returns them clamped.

        Raises:
            ProtocolError: as :meth:`append`.
        """
        clamped = self.append(author, stroke_id, points) if points else []
        self._open(author, stroke_id, MessageType.STROKE_END).done = True
        return clamped

    def undo(self, author: str) -> Stroke | None:
        """Remove the author's newest stroke (finished or not); None if they have none."""
        for key in reversed(self._strokes):
            if key[0] == author:
                return self._strokes.pop(key)
        return None

    def clear(self) -> int:
        """Remove every stroke; returns how many there were."""
        count = len(self._strokes)
        self._strokes.clear()
        return count

    def snapshot(self) -> list[dict[str, Any]]:
        return [stroke.to_wire() for stroke in self._strokes.values()]

    def _open(self, author: str, stroke_id: str, message_type: MessageType) -> Stroke:
        stroke = self._strokes.get((author, stroke_id))
        if stroke is None:
            raise _bad(message_type, f"no stroke '{stroke_id}' of yours (undone or cleared?)")
        if stroke.done:
            raise _bad(message_type, f"stroke '{stroke_id}' has ended")
        return stroke

    def _clamp(self, points: Iterable[Point]) -> list[Point]:
        if self.screen_w <= 0 or self.screen_h <= 0:
            return list(points)
        return clamp(points, self.screen_w, self.screen_h)


def _bad(message_type: MessageType, text: str) -> ProtocolError:
    return ProtocolError(ErrorCode.BAD_MESSAGE, text, str(message_type))


DrawingMessage = StrokeBegin | StrokePoints | StrokeEnd | UndoStroke | ClearDrawing


class Drawings:
    """Every session's board, and the routing of drawing messages between its members."""

    def __init__(self) -> None:
        self._boards: dict[str, Board] = {}
        self._buckets: dict[int, TokenBucket] = {}

    def board(self, session_id: str) -> Board:
        found = self._boards.get(session_id)
        if found is None:
            found = self._boards[session_id] = Board()
        return found

    def handle(
        self,
        session_id: str,
        member: DrawingMember,
        message: DrawingMessage,
        others: Iterable[DrawingMember],
        live: bool,
        now: float,
    ) -> None:
        """Apply one member's drawing message and tell the others (and, for removals, them).

        Args:
            others: every other socket of the presentation (presenter and viewers).
            live: whether a presentation runs (live or paused); drawing needs one.
            now: monotonic seconds, for the rate limit.

        Raises:
            ProtocolError: ``not_allowed`` (nothing presented), ``rate_limited``,
                ``bad_message`` or ``drawing_full`` (see :class:`Board`).
        """
        message_type = str(message.type)
        if not live:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, "nothing is presented: no drawing now", message_type
            )
        bucket = self._buckets.setdefault(
            id(member), TokenBucket(DRAWING_MESSAGES_PER_S, DRAWING_BURST)
        )
        if not bucket.take(now):
            raise ProtocolError(
                ErrorCode.RATE_LIMITED, "slow down: too many drawing messages", message_type
            )
        board = self.board(session_id)
        author = str(member.role)
        others = list(others)
        if isinstance(message, StrokeBegin):
            stroke = board.begin(
                author, message.id, message.tool, message.color, message.width, message.points
            )
            wire = stroke.to_wire()
            del wire["done"]
            _send_all(others, RelayedStrokeBegin(**wire).to_frame())
        elif isinstance(message, StrokePoints):
            points = board.append(author, message.id, message.points)
            relayed = RelayedStrokePoints(author, message.id, [list(p) for p in points])
            _send_all(others, relayed.to_frame())
        elif isinstance(message, StrokeEnd):
            points = board.finish(author, message.id, message.points)
            ended = RelayedStrokeEnd(author, message.id, [list(p) for p in points])
            _send_all(others, ended.to_frame())
        elif isinstance(message, UndoStroke):
            removed = board.undo(author)
            if removed is not None:
                frame = StrokeRemoved(author=author, id=removed.id).to_frame()
                _send_all([member, *others], frame)
        else:
            board.clear()
            _send_all([member, *others], DrawingCleared(by=author).to_frame())

    def snapshot_frame(self, session_id: str) -> str:
        """The ``drawing`` message a socket gets when it joins (empty list: no drawing)."""
        board = self._boards.get(session_id)
        return Drawing(strokes=board.snapshot() if board else []).to_frame()

    def resize(self, session_id: str, screen_w: int, screen_h: int) -> None:
        self.board(session_id).resize(screen_w, screen_h)

    def clear(self, session_id: str, members: Iterable[DrawingMember], by: str = "relay") -> None:
        """The presentation stopped: forget its drawing and tell everyone."""
        board = self._boards.get(session_id)
        if board is not None and board.clear():
            _send_all(members, DrawingCleared(by=by).to_frame())

    def forget_member(self, member: DrawingMember) -> None:
        self._buckets.pop(id(member), None)

    def end(self, session_id: str) -> None:
        self._boards.pop(session_id, None)

    def stats(self) -> dict[str, int]:
        return {"boards": len(self._boards), "strokes": sum(map(len, self._boards.values()))}


def _send_all(members: Iterable[DrawingMember], frame: str) -> None:
    for member in members:
        member.send(frame)
