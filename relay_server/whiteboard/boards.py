"""Every session's shared whiteboard (CH3): consent, the reconcile, the fan-out, the store.

One board per support session. The agent opens it (``open_whiteboard``: state ``asked``); the
customers are asked in the chat; the first customer to accept opens it for everyone (``open``),
or a decline closes the question (``declined``; the agent may ask again). While it is open every
participant sends the elements it changed (``update_whiteboard``); the relay merges them with
the model's rule (``suite/whiteboard/model.py``) and sends the copies that won to every other
socket of the session. A socket that says ``hello`` gets the whole board at once.

Durable, debounced: changed elements are marked, and :meth:`Whiteboards.flush` (the relay's
upkeep tick, every second, and its shutdown) writes only those to the store, one document per
element in a table per session, plus one document per session for the state. A restart
reloads every board; a node that takes a session over from another (several nodes on one
database) reads its board again (:meth:`Whiteboards.take_over`).

Pure apart from the store: sockets come from ``sockets_of`` (the session's chat sockets and
customers' viewer sockets), as in ``relay_server/calls/calls.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from relay_server.sessions.rooms import Member, participant_id
from relay_server.store import Store
from suite.protocol import (
    AnswerWhiteboard,
    Channel,
    ErrorCode,
    NewWhiteboard,
    OpenWhiteboard,
    ProtocolError,
    Role,
    UpdateWhiteboard,
    WhiteboardRefused,
    WhiteboardState,
    WhiteboardUpdated,
)
from suite.whiteboard.model import Element, WhiteboardError, check_room, reconcile

logger = logging.getLogger(__name__)

WHITEBOARDS = "whiteboards"


def elements_table(session_id: str) -> str:
    return f"whiteboard:{session_id}"


class BoardState(StrEnum):
    ASKED = "asked"
    OPEN = "open"
    DECLINED = "declined"


@dataclass(slots=True)
class Board:
    session_id: str
    state: BoardState
    number: int = 1  # "new board" counts up: updates of an older board are refused
    elements: dict[str, Element] = field(default_factory=dict)
    doc_id: int | None = None
    element_docs: dict[str, int] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)
    state_dirty: bool = True

    def frame(self, by: str | None = None) -> str:
        return WhiteboardState(
            str(self.state), self.number, list(self.elements.values()), by
        ).to_frame()


Archive = Callable[[str, int, list[Element]], None]


class Whiteboards:
    """The boards of every live session.

    Args:
        store: where boards are kept across restarts.
        sockets_of: a session's sockets that see the board (chat sockets and customers'
            viewer sockets; never the presenter).
        archive: told a replaced board (session id, its number, its elements) at "new board",
            to keep it in the session's file list as an image.
    """

    def __init__(
        self,
        store: Store,
        sockets_of: Callable[[str], Iterable[Member]],
        archive: Archive | None = None,
    ):
        self.store = store
        self.sockets_of = sockets_of
        self.archive: Archive = archive or (lambda session_id, number, elements: None)
        self._boards: dict[str, Board] = {}
        for doc in store.all(WHITEBOARDS):
            self._boards[str(doc["session_id"])] = self._load(doc)
        if self._boards:
            logger.info("restored %d whiteboards", len(self._boards))

    def _load(self, doc: Any) -> Board:
        """A board as the store has it: its state document and its elements' table."""
        board = Board(str(doc["session_id"]), BoardState(doc["state"]), int(doc["number"]))
        board.doc_id = doc.doc_id
        board.state_dirty = False
        table = elements_table(board.session_id)
        if self.store.has_table(table):
            for element_doc in self.store.all(table):
                element = element_doc["e"]
                board.elements[element["id"]] = element
                board.element_docs[element["id"]] = element_doc.doc_id
        return board

    def take_over(self, session_ids: Collection[str]) -> None:
        """Another relay node served these sessions until now (it died, drained or stalled
        past its lease): their boards are read again from the store, as that node last
        flushed them (several nodes on one database; this node's copy, if any, is older).
        Two round trips however many sessions: their states, then their elements."""
        for session_id in session_ids:
            self._boards.pop(session_id, None)
        docs = self.store.lookup_many(WHITEBOARDS, "session_id", session_ids, fresh=True)
        # Read again, never this node's copy.
        self.store.reload([elements_table(session_id) for session_id in docs])
        for session_id, doc in docs.items():
            self._boards[session_id] = self._load(doc)

    def drop_here(self, session_id: str) -> None:
        """Another node took the session over: this node forgets its board and never writes
        it again (the store keeps it for the new owner)."""
        self._boards.pop(session_id, None)

    def session_ids(self) -> list[str]:
        return list(self._boards)

    def board_of(self, session_id: str) -> Board | None:
        return self._boards.get(session_id)

    # -- sockets ---------------------------------------------------------------------------

    def entered(self, member: Member) -> None:
        """A socket said ``hello``: it gets the board whole if one is asked for or open."""
        board = self._boards.get(member.session_id)
        if board is None or board.state is BoardState.DECLINED:
            return
        if member.channel is Channel.SCREEN and member.role is Role.AGENT:
            return  # the presenter draws no whiteboard
        member.send(board.frame())

    def handle(self, member: Member, has_customers: bool, message: Any) -> None:
        """Act on one whiteboard message of a seated socket.

        Raises:
            ProtocolError: ``not_allowed`` (the wrong role or state, an older board),
                ``whiteboard_full``.
        """
        if isinstance(message, OpenWhiteboard):
            self._open(member, has_customers, message)
        elif isinstance(message, AnswerWhiteboard):
            self._answer(member, message)
        elif isinstance(message, UpdateWhiteboard):
            self._update(member, message)
        elif isinstance(message, NewWhiteboard):
            self._new(member, message)

    def _open(self, member: Member, has_customers: bool, message: OpenWhiteboard) -> None:
        if member.role is not Role.AGENT:
            raise _refused(message, "only the agent opens the whiteboard")
        if not has_customers:
            raise _refused(message, "no customer is in the session to ask")
        board = self._boards.get(member.session_id)
        if board is not None and board.state is BoardState.OPEN:
            member.send(board.frame())  # a second click: the board as it is
            return
        if board is None:
            board = self._boards[member.session_id] = Board(member.session_id, BoardState.ASKED)
        board.state = BoardState.ASKED
        board.state_dirty = True
        self._to_all(board.session_id, board.frame(by=participant_id(member)))

    def _answer(self, member: Member, message: AnswerWhiteboard) -> None:
        if member.role is not Role.CUSTOMER:
            raise _refused(message, "only a customer answers")
        board = self._boards.get(member.session_id)
        if board is None or board.state is not BoardState.ASKED:
            raise _refused(message, "the whiteboard is not being asked for")
        board.state = BoardState.OPEN if message.accept else BoardState.DECLINED
        board.state_dirty = True
        self._to_all(board.session_id, board.frame(by=participant_id(member)))

    def _open_board(self, member: Member, message: Any) -> Board:
        board = self._boards.get(member.session_id)
        if board is None or board.state is not BoardState.OPEN:
            raise _refused(message, "the whiteboard is not open")
        if message.board != board.number:
            raise _refused(message, f"board {message.board} was replaced by board {board.number}")
        return board

    def _update(self, member: Member, message: UpdateWhiteboard) -> None:
        board = self._open_board(member, message)
        try:
            check_room(board.elements, message.elements)
        except WhiteboardError as full:
            # The sender already shows these copies: it rolls them back to what the relay has.
            refused = [[e["id"], e["version"], e["nonce"]] for e in message.elements]
            kept = [board.elements[e["id"]] for e in message.elements if e["id"] in board.elements]
            member.send(WhiteboardRefused(board.number, refused, kept).to_frame())
            raise ProtocolError(ErrorCode(full.code), full.message, str(message.type)) from None
        board.elements, changed = reconcile(board.elements, message.elements)
        if not changed:
            return
        board.dirty.update(e["id"] for e in changed)
        frame = WhiteboardUpdated(board.number, changed, participant_id(member)).to_frame()
        self._to_all(board.session_id, frame, exclude=member)

    def _new(self, member: Member, message: NewWhiteboard) -> None:
        board = self._open_board(member, message)
        old = [e for e in board.elements.values() if not e["deleted"]]
        self._drop_elements(board)
        board.number += 1
        board.state_dirty = True
        self._to_all(board.session_id, board.frame(by=participant_id(member)))
        if old:  # after everyone has the new board: drawing it takes a moment
            self.archive(board.session_id, board.number - 1, old)

    def _to_all(self, session_id: str, frame: str, exclude: Member | None = None) -> None:
        for socket in self.sockets_of(session_id):
            if socket is not exclude:
                socket.send(frame)

    # -- the store -------------------------------------------------------------------------

    def flush(self) -> bool:
        """Write what changed since the last flush; True when anything was written (the
        caller then makes it durable)."""
        wrote = False
        for board in self._boards.values():
            if board.state_dirty:
                record = {"session_id": board.session_id, "state": str(board.state),
                          "number": board.number}  # fmt: skip
                if board.doc_id is None:
                    board.doc_id = self.store.insert(WHITEBOARDS, record)
                else:
                    self.store.update(WHITEBOARDS, board.doc_id, record)
                board.state_dirty = False
                wrote = True
            if board.dirty:
                table = elements_table(board.session_id)
                for element_id in board.dirty:
                    doc = {"e": board.elements[element_id]}
                    doc_id = board.element_docs.get(element_id)
                    if doc_id is None:
                        board.element_docs[element_id] = self.store.insert(table, doc)
                    else:
                        self.store.update(table, doc_id, doc)
                board.dirty.clear()
                wrote = True
        return wrote

    def _drop_elements(self, board: Board) -> None:
        table = elements_table(board.session_id)
        if self.store.has_table(table):
            self.store.drop_table(table)
        board.elements = {}
        board.element_docs = {}
        board.dirty = set()

    def forget(self, session_id: str) -> None:
        """The session ended: its board leaves the store."""
        board = self._boards.pop(session_id, None)
        if board is None:
            return
        self._drop_elements(board)
        if board.doc_id is not None:
            self.store.remove(WHITEBOARDS, board.doc_id)


def _refused(message: Any, problem: str) -> ProtocolError:
    return ProtocolError(ErrorCode.NOT_ALLOWED, problem, str(message.type))
