"""The presenter's end of the drawing overlay child (``suite/agent/overlay/window.py``).

The presenter owns the screen-channel socket; the overlay owns the X windows. This link runs
``python -m suite.agent.overlay`` as a child process and moves JSON lines between them: the
relay's drawing messages and the chat window's tool choice go to the child's stdin, the
agent's strokes come back on its stdout and go to the relay through ``send``. The child never
shares the presenter's interpreter (its X connection and the capture do not compete for one
GIL) and dies with the presenter (end-of-file on its stdin).
"""

from __future__ import annotations

import json
import logging
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from typing import IO, Any

from suite.agent.presenter.status import Report, no_report
from suite.child_processes import stop_child
from suite.protocol import MessageType

logger = logging.getLogger(__name__)

# How long the overlay gets to exit on end-of-file before it is terminated. It keeps nothing
# worth a clean exit (the drawing lives on the relay; the X server drops its windows with the
# connection), and the presenter's whole stop must fit in the app's STOP_WAIT_S: an overlay
# still starting (imports, X connection: seconds on a loaded machine) reads no end-of-file,
# and waiting the full STOP_WAIT_S for it made the app terminate the presenter.
OVERLAY_STOP_WAIT_S = 0.5

# What the overlay writes that goes to the relay (the agent's own strokes).
OUTGOING_TYPES = frozenset(
    {MessageType.STROKE_BEGIN, MessageType.STROKE_POINTS, MessageType.STROKE_END}
)
# What the relay sends that the overlay shows.
RELAYED_TYPES = OUTGOING_TYPES | {
    MessageType.STROKE_REMOVED, MessageType.DRAWING_CLEARED, MessageType.DRAWING,
}  # fmt: skip


class OverlayLink:
    """One overlay child for the presenter's monitor.

    Args:
        monitor: the mss monitor index the presenter shares.
        send: sends one of the agent's stroke messages to the relay (type, fields).
        env: the child's environment (default: the presenter's; it carries ``DISPLAY``).
        report: tells the agent app the tool and why there is no overlay
            (``drawing_tool``, ``overlay_unavailable``: see ``presenter_status``).
    """

    def __init__(
        self,
        monitor: int,
        send: Callable[[dict[str, Any]], None],
        env: Mapping[str, str] | None = None,
        report: Report = no_report,
    ) -> None:
        self.monitor = monitor
        self._send = send
        self._report = report
        self._env = dict(env) if env is not None else None
        self._process: subprocess.Popen[str] | None = None
        # Lines for the child, written by their own thread: the screen channel's reader (which
        # delivers the relay's messages) never waits on a busy overlay, so capture credit keeps
        # flowing whatever the overlay does.
        self._outbox: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._tool: dict[str, Any] = {"type": "tool", "tool": None}
        self.unavailable: str | None = None  # why there is no overlay, once the child said so
        self.ready = threading.Event()

    def start(self) -> None:
        command = [sys.executable, "-m", "suite.agent.overlay", "--monitor", str(self.monitor)]
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
            env=self._env,
        )  # fmt: skip
        threading.Thread(
            target=self._read, args=(self._process.stdout,), name="overlay-reader", daemon=True
        ).start()
        threading.Thread(
            target=self._write_loop, args=(self._process,), name="overlay-writer", daemon=True
        ).start()

    def _read(self, stream: IO[str] | None) -> None:
        if stream is None:
            return
        for line in stream:
            try:
                message = json.loads(line)
            except ValueError:
                logger.warning("the overlay wrote a line that is not JSON: %r", line[:80])
                continue
            kind = message.get("type") if isinstance(message, dict) else None
            if kind == "overlay_ready":
                self.ready.set()
            elif kind == "overlay_unavailable":
                self.unavailable = str(message.get("reason", "unknown"))
                logger.warning("no drawing overlay on this desktop: %s", self.unavailable)
                self._report("overlay_unavailable", reason=self.unavailable)
                self.ready.set()
            elif kind == "tool":  # the agent put the tool down on the overlay (Escape)
                self._tool = {"type": "tool", "tool": None}
                logger.info("drawing tool: none (put down on the overlay)")
                self._report("drawing_tool", tool=None)
            elif kind in OUTGOING_TYPES:
                try:
                    self._send(message)
                except Exception as exc:  # the socket is down: the stroke is lost, say so
                    logger.warning("could not send the agent's %s: %s", kind, exc)

    def deliver(self, message: dict[str, Any]) -> None:
        """Show one of the relay's drawing messages (other types are ignored)."""
        if message.get("type") in RELAYED_TYPES:
            self._write(message)

    def set_tool(
        self, tool: str | None, color: str | None = None, width: int | None = None
    ) -> None:
        """The chat window's tool: a tool makes the overlay take the pointer; None frees it."""
        message: dict[str, Any] = {"type": "tool", "tool": tool}
        if color is not None:
            message["color"] = color
        if width is not None:
            message["width"] = width
        self._tool = message
        self._write(message)
        logger.info("drawing tool: %s", tool or "none")
        self._report("drawing_tool", tool=tool)

    @property
    def tool(self) -> str | None:
        return self._tool.get("tool")

    def move_to(self, geometry: Mapping[str, int]) -> None:
        """The presenter shares another monitor (left, top, width, height)."""
        self._write({"type": "geometry", **geometry})

    def _write(self, message: dict[str, Any]) -> None:
        process = self._process
        if process is not None and process.poll() is None:  # a dead overlay gets nothing
            self._outbox.put(json.dumps(message, separators=(",", ":")) + "\n")

    def _write_loop(self, process: subprocess.Popen[str]) -> None:
        stdin = process.stdin
        assert stdin is not None
        try:
            while (line := self._outbox.get()) is not None:
                stdin.write(line)
                stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            if self._process is not None:
                logger.warning("the drawing overlay has gone")
        finally:
            try:
                stdin.close()  # end-of-file: the overlay exits
            except (BrokenPipeError, OSError, ValueError):
                pass

    def stop(self) -> None:
        """Let the pending lines go, close the child's stdin (it exits), wait briefly, and
        terminate it if it does not (OVERLAY_STOP_WAIT_S)."""
        process, self._process = self._process, None
        if process is None:
            return
        stop_child(
            process, ask=lambda: self._outbox.put(None), wait_s=OVERLAY_STOP_WAIT_S,
            name="drawing overlay",
        )  # fmt: skip
