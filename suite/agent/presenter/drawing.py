"""Drawing (P5) in the presenter process: the overlay child on one side, the relay on the other.

The presenter runner owns the screen-channel socket (a new one after each reconnect) and hands
it to :meth:`PresenterDrawing.attach`; the relay's drawing messages then flow to the overlay,
and the agent's strokes drawn on the overlay flow back to the relay. The ``draw`` commands
(from the agent app's chat window, through ``suite/agent/app/presentations.py``) pick the tool,
undo the agent's last stroke and clear the drawing.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from suite.agent.overlay.link import OverlayLink
from suite.agent.presenter.status import Report, no_report
from suite.strokes import COLOUR_RE, MAX_WIDTH_PX, MIN_WIDTH_PX, Tool

logger = logging.getLogger(__name__)


def drawing_command(body: dict[str, Any]) -> str:
    """The presenter's ``draw`` command for a request of the chat window's tools.

    ``{action: "tool", tool: pen|line|rectangle|ellipse|arrow|null, color?, width?}``,
    ``{action: "undo"}`` or ``{action: "clear"}``.

    Raises:
        ValueError: the message names the field that is wrong.
    """
    action = body.get("action")
    if action in ("undo", "clear"):
        return str(action)
    if action != "tool":
        raise ValueError("'action' must be tool, undo or clear")
    tool = body.get("tool")
    if tool is None:
        return "tool none"
    if tool not in set(Tool):
        raise ValueError(f"'tool' must be null or one of {', '.join(Tool)}")
    words = ["tool", str(tool)]
    colour, width = body.get("color"), body.get("width")
    if colour is not None and (not isinstance(colour, str) or not COLOUR_RE.fullmatch(colour)):
        raise ValueError("'color' must be #rrggbb")
    if width is not None and (
        isinstance(width, bool) or not isinstance(width, int)
        or not MIN_WIDTH_PX <= width <= MAX_WIDTH_PX
    ):  # fmt: skip
        raise ValueError(f"'width' must be {MIN_WIDTH_PX}-{MAX_WIDTH_PX}")
    if colour is not None or width is not None:
        words.append(colour or "-")
    if width is not None:
        words.append(str(width))
    return " ".join(words)


class MessageChannel(Protocol):
    on_message: Any

    @property
    def closed(self) -> bool: ...
    def send_message(self, kind: str, **fields: Any) -> None: ...


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

    def command(self, words: list[str]) -> None:
        """``tool TOOL|none [#rrggbb] [WIDTH]``, ``undo`` or ``clear``.

        Raises:
            ValueError: an unknown verb, tool, colour or width (the caller logs it).
        """
        verb, args = (words[0], words[1:]) if words else ("", [])
        if verb == "tool" and args:
            tool = None if args[0] == "none" else Tool(args[0]).value
            colour = args[1] if len(args) > 1 and args[1] != "-" else None
            width = int(args[2]) if len(args) > 2 else None
            if colour is not None and not COLOUR_RE.fullmatch(colour):
                raise ValueError(f"colour {colour!r} is not #rrggbb")
            if width is not None and not MIN_WIDTH_PX <= width <= MAX_WIDTH_PX:
                raise ValueError(f"width {width} is out of range")
            self.link.set_tool(tool, colour, width)
        elif verb == "undo":
            self._send({"type": "undo_stroke"})
        elif verb == "clear":
            self._send({"type": "clear_drawing"})
        else:
            raise ValueError(f"unknown draw command {' '.join(words)!r}")

    def switch_monitor(self, monitor: int) -> None:
        """The presenter shares another monitor: the overlay moves there."""
        from suite.agent.overlay.window import OverlayUnavailable, monitor_geometry  # noqa: PLC0415

        try:
            left, top, width, height = monitor_geometry(monitor)
        except OverlayUnavailable as exc:
            logger.warning("the overlay stays where it is: %s", exc)
            return
        self.link.move_to({"left": left, "top": top, "width": width, "height": height})

    def _send(self, message: dict[str, Any]) -> None:
        channel = self._channel
        if channel is None or channel.closed:
            logger.warning("not connected: the agent's %s is not sent", message.get("type"))
            return
        fields = {k: v for k, v in message.items() if k != "type"}
        channel.send_message(str(message["type"]), **fields)
