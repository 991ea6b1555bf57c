"""What a presenter child tells the agent app: one JSON object per line on its stdout.

The presenter's log (stderr) is for people; the app used to pick the state it shows (drawing
tool, control held by the customer) out of marked log lines, so rewording a log message could
silently break the connection notice. This channel is the contract instead:

- ``{"event": "presenting", "monitor": 1, "width": 1920, "height": 1080}``: a presentation
  (re)started on that monitor; the app's ``start`` waits for the first one.
- ``{"event": "drawing_tool", "tool": "pen"}``: the agent's tool on the overlay (``null``: off,
  also when the agent pressed Escape on the overlay).
- ``{"event": "overlay_unavailable", "reason": "..."}``: this desktop shows no drawings.
- ``{"event": "control", "mouse": true, "keyboard": false}``: what the customer holds (P3).
- ``{"event": "recording", "path": "..."}``, ``{"event": "recording_finished", "path": ...,
  "frames": N, "error": null}``, ``{"event": "recording_failed", "reason": "..."}``: P9.

Lines that are not such objects (a library printing to stdout) are ignored by the reader.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import IO, Any

# Reports one event: ``report("control", mouse=True, keyboard=False)``.
Report = Callable[..., None]

EVENTS = frozenset({
    "presenting", "drawing_tool", "overlay_unavailable", "control",
    "recording", "recording_finished", "recording_failed",
})  # fmt: skip


def no_report(event: str, **fields: Any) -> None:
    """The report of a presenter nobody listens to (the command line, tests)."""


class StatusWriter:
    """A :data:`Report` writing JSON lines to ``stream``; safe from any thread.

    A closed stream (the app went away) is not an error: the presenter stops by itself when its
    stdin ends.
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, event: str, **fields: Any) -> None:
        line = json.dumps({"event": event, **fields}, separators=(",", ":"))
        with self._lock:
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except (OSError, ValueError):
                pass


def parse_status(line: str) -> dict[str, Any] | None:
    """The event in one stdout line, or None when the line is not one of ours."""
    try:
        status = json.loads(line)
    except ValueError:
        return None
    if isinstance(status, dict) and status.get("event") in EVENTS:
        return status
    return None
