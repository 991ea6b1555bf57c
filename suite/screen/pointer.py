"""Where the mouse pointer is, for the presenter's ``cursor`` messages.

X11 through python-xlib (``QueryPointer`` on the root window). The cursor's shape would need
XFixes ``GetCursorName``, which python-xlib does not expose; the shape is left out (the
protocol makes it optional) and viewers draw their default arrow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from suite.screen.errors import NotSupportedError, ScreenError


@dataclass(frozen=True, slots=True)
class PointerState:
    x: int
    y: int
    visible: bool
    shape: str | None = None


class X11Pointer:
    """Reads the pointer position on an X display, relative to a monitor's top-left corner."""

    def __init__(self, display: str | None = None) -> None:
        if not (display or os.environ.get("DISPLAY")):
            raise NotSupportedError("pointer tracking needs an X11 display on this platform")
        from Xlib import display as xdisplay  # noqa: PLC0415

        try:
            self._display = xdisplay.Display(display)
        except Exception as exc:  # python-xlib raises several unrelated types here
            raise ScreenError(f"cannot open X display for the pointer: {exc}") from exc
        self._root = self._display.screen().root

    def position(self) -> tuple[int, int]:
        reply = self._root.query_pointer()
        return int(reply.root_x), int(reply.root_y)

    def close(self) -> None:
        self._display.close()
