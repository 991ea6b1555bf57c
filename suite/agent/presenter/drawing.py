"""Drawing (P5) in the presenter process: the overlay child on one side, the relay on the other.

The presenter runner owns the screen-channel socket (a new one after each reconnect) and hands
it to :meth:`PresenterDrawing.attach`; the relay's drawing messages then flow to the overlay,
and the agent's strokes drawn on the overlay flow back to the relay. The ``draw`` commands
(from the agent app's chat window, through ``suite/agent/app/presentations.py`` and
:mod:`suite.agent.presenter.commands`) pick the tool,
undo the agent's last stroke and clear the drawing.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from suite.agent.overlay.link import OverlayLink
from suite.agent.presenter.commands import DrawCommand, DrawTool, DrawUndo
from suite.agent.presenter.status import Report, no_report
from suite.protocol import (
    ClearDrawing,
    ProtocolError,
    StrokeBegin,
    StrokeEnd,
    StrokePoints,
    UndoStroke,
    WireMessage,
)

logger = logging.getLogger(__name__)


class MessageChannel(Protocol):
    on_message: Any

    @property
    def closed(self) -> bool: ...
    def send_message(self, message: WireMessage) -> None: ...


class PresenterDrawing:
    """The overlay of one presenter, wired to its current screen channel.

    Args:
        monitor: the shared monitor (mss index).
        env: the overlay's environment (default: the presenter's).
        report: tells the agent app the tool and whether there is an overlay.
    """

    def __init__(
        self, monitor: int, env: dict[str, str] | None = None, report: Report = no_report
    ) -> None:
        self.link = OverlayLink(monitor, self._send, env, report)
        self._channel: MessageChannel | None = None

    def start(self) -> None:
        self.link.start()

    def stop(self) -> None:
        self.link.stop()

    def attach(self, channel: MessageChannel) -> None:
        """Use this (new) screen channel; its ``welcome`` is followed by the whole drawing."""
        channel.on_message = self.link.deliver
        self._channel = channel

    def command(self, command: DrawCommand) -> None:
        """A ``draw`` command (:mod:`suite.agent.presenter.commands`): tool, undo or clear."""
        if isinstance(command, DrawTool):
            tool = None if command.tool is None else str(command.tool)
            self.link.set_tool(tool, command.color, command.width)
        elif isinstance(command, DrawUndo):
            self._send_message(UndoStroke())
        else:
            self._send_message(ClearDrawing())

    def switch_monitor(self, monitor: int) -> None:
        """The presenter shares another monitor: the overlay moves there."""
        from suite.agent.overlay.window import OverlayUnavailable, monitor_geometry  # noqa: PLC0415

        try:
            left, top, width, height = monitor_geometry(monitor)
        except OverlayUnavailable as exc:
            logger.warning("the overlay stays where it is: %s", exc)
            return
        self.link.move_to({"left": left, "top": top, "width": width, "height": height})

    def _send(self, body: dict[str, Any]) -> None:
        """One of the agent's strokes, as the overlay wrote it: checked like the relay would."""
        kind = _OVERLAY_STROKES.get(body.get("type"))  # type: ignore[arg-type]
        if kind is None:
            logger.warning("the overlay wrote a message that is not a stroke: %r", body)
            return
        try:
            message = kind.parse(body)
        except ProtocolError as error:
            logger.warning("not sending the overlay's %s: %s", kind.type, error.message)
            return
        self._send_message(message)

    def _send_message(self, message: WireMessage) -> None:
        channel = self._channel
        if channel is None or channel.closed:
            logger.warning("not connected: the agent's %s is not sent", message.type)
            return
        channel.send_message(message)


# What the overlay sends on the agent's behalf (the agent's own strokes).
_OVERLAY_STROKES: dict[str, type[StrokeBegin | StrokePoints | StrokeEnd]] = {
    str(cls.type): cls for cls in (StrokeBegin, StrokePoints, StrokeEnd)
}
