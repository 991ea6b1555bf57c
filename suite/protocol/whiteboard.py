"""Messages a participant sends about the shared whiteboard (CH3), on the chat channel.

The agent opens the board (``open_whiteboard``); every customer is asked in the chat and one
accepts or declines (``answer_whiteboard``); then every participant sends the elements it
changed (``update_whiteboard``), and anyone may start a new board (``new_whiteboard``). The
element model and the reconcile rule are in ``suite/whiteboard/model.py``; the relay's side in
``relay_server/whiteboard/boards.py`` and :class:`suite.protocol.relay_messages.WhiteboardState`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from suite.protocol.base import ErrorCode, MessageType, ProtocolError, WireMessage, wire
from suite.whiteboard.model import MAX_ELEMENTS_PER_UPDATE, WhiteboardError, check_element

MAX_BOARD_NUMBER = 2**31 - 1


@dataclass(frozen=True, slots=True)
class OpenWhiteboard(WireMessage):
    type: ClassVar[MessageType] = MessageType.OPEN_WHITEBOARD


@dataclass(frozen=True, slots=True)
class AnswerWhiteboard(WireMessage):
    type: ClassVar[MessageType] = MessageType.ANSWER_WHITEBOARD
    accept: bool = wire(bool)


@dataclass(frozen=True, slots=True)
class UpdateWhiteboard(WireMessage):
    type: ClassVar[MessageType] = MessageType.UPDATE_WHITEBOARD
    board: int = wire(int, low=1, high=MAX_BOARD_NUMBER)
    elements: list[dict[str, Any]] = wire(list, low=1, high=MAX_ELEMENTS_PER_UPDATE)

    @classmethod
    def parse(cls, body: dict[str, Any]) -> UpdateWhiteboard:
        message = super(UpdateWhiteboard, cls).parse(body)
        try:
            elements = [check_element(element) for element in message.elements]
        except WhiteboardError as error:
            raise ProtocolError(ErrorCode(error.code), error.message, str(cls.type)) from None
        return cls(message.board, elements)


@dataclass(frozen=True, slots=True)
class NewWhiteboard(WireMessage):
    type: ClassVar[MessageType] = MessageType.NEW_WHITEBOARD
    board: int = wire(int, low=1, high=MAX_BOARD_NUMBER)


WHITEBOARD_MESSAGES = (OpenWhiteboard, AnswerWhiteboard, UpdateWhiteboard, NewWhiteboard)
