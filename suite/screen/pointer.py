"""Where the mouse pointer is and what it looks like, for the presenter's ``cursor`` messages.

X11 through libX11 and libXfixes with ctypes: ``XFixesGetCursorImage`` returns the pointer's
position and, since XFixes 2, the cursor's name (``xterm``, ``hand2``, ``left_ptr``...), which
:func:`css_cursor` turns into a CSS cursor name for the viewers. Without XFixes the position
comes from ``XQueryPointer`` and the shape is left out (the protocol makes it optional).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from dataclasses import dataclass

from suite.screen.errors import NotSupportedError, ScreenError

# X cursor names (core font and freedesktop cursor themes) → CSS cursor names.
_CSS_BY_X_NAME = {
    **dict.fromkeys(["left_ptr", "default", "arrow", "top_left_arrow", "right_ptr"], "default"),
    **dict.fromkeys(["xterm", "text", "ibeam", "vertical-text"], "text"),
    **dict.fromkeys(["hand1", "hand2", "pointer", "pointing_hand"], "pointer"),
    **dict.fromkeys(["watch", "wait"], "wait"),
    **dict.fromkeys(["left_ptr_watch", "progress", "half-busy"], "progress"),
    **dict.fromkeys(["crosshair", "cross", "tcross", "cross_reverse"], "crosshair"),
    **dict.fromkeys(["fleur", "move", "all-scroll", "size_all"], "move"),
    **dict.fromkeys(["sb_h_double_arrow", "h_double_arrow", "ew-resize", "col-resize",
                     "left_side", "right_side", "size_hor"], "ew-resize"),
    **dict.fromkeys(["sb_v_double_arrow", "v_double_arrow", "ns-resize", "row-resize",
                     "top_side", "bottom_side", "size_ver"], "ns-resize"),
    **dict.fromkeys(["top_left_corner", "bottom_right_corner", "nwse-resize", "size_fdiag"],
                    "nwse-resize"),
    **dict.fromkeys(["top_right_corner", "bottom_left_corner", "nesw-resize", "size_bdiag"],
                    "nesw-resize"),
    **dict.fromkeys(["not-allowed", "crossed_circle", "forbidden", "no-drop"], "not-allowed"),
    **dict.fromkeys(["question_arrow", "help", "whats_this"], "help"),
    **dict.fromkeys(["openhand", "grab"], "grab"),
    **dict.fromkeys(["closedhand", "grabbing", "dnd-move"], "grabbing"),
}  # fmt: skip


def css_cursor(x_name: str | None) -> str | None:
    """The CSS cursor for an X cursor name, or None when the name is unknown or missing."""
    if not x_name:
        return None
    return _CSS_BY_X_NAME.get(x_name)


@dataclass(frozen=True, slots=True)
class PointerState:
    """The pointer in root-window pixels, and its CSS shape when known."""

    x: int
    y: int
    shape: str | None = None


class _CursorImage(ctypes.Structure):
    _fields_ = [
        ("x", ctypes.c_short), ("y", ctypes.c_short),
        ("width", ctypes.c_ushort), ("height", ctypes.c_ushort),
        ("xhot", ctypes.c_ushort), ("yhot", ctypes.c_ushort),
        ("cursor_serial", ctypes.c_ulong), ("pixels", ctypes.c_void_p),
        ("atom", ctypes.c_ulong), ("name", ctypes.c_char_p),
    ]  # fmt: skip


def _load(name: str) -> ctypes.CDLL | None:
    path = ctypes.util.find_library(name)
    try:
        return ctypes.CDLL(path or f"lib{name}.so")
    except OSError:
        return None


class X11Pointer:
    """Reads the pointer of an X display (``DISPLAY`` when ``display`` is None).

    Raises:
        NotSupportedError: no X11 display (Windows, macOS and Wayland are not supported yet).
        ScreenError: libX11 is missing or the display cannot be opened.
    """

    def __init__(self, display: str | None = None) -> None:
        name = display or os.environ.get("DISPLAY")
        if not name:
            raise NotSupportedError("pointer tracking needs an X11 display on this platform")
        x11 = _load("X11")
        if x11 is None:
            raise ScreenError("libX11 is not installed")
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XDefaultRootWindow.restype = ctypes.c_ulong
        x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x11.XQueryPointer.argtypes = (ctypes.c_void_p, ctypes.c_ulong) + (ctypes.c_void_p,) * 7
        x11.XFree.argtypes = [ctypes.c_void_p]
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self._x11 = x11
        self._display = x11.XOpenDisplay(name.encode())
        if not self._display:
            raise ScreenError(f"cannot open X display {name} for the pointer")
        self._root = x11.XDefaultRootWindow(self._display)
        self._xfixes = _load("Xfixes")
        if self._xfixes is not None:
            self._xfixes.XFixesGetCursorImage.restype = ctypes.POINTER(_CursorImage)
            self._xfixes.XFixesGetCursorImage.argtypes = [ctypes.c_void_p]
            major, minor = ctypes.c_int(), ctypes.c_int()
            query = self._xfixes.XFixesQueryExtension
            query.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
            if not query(self._display, ctypes.byref(major), ctypes.byref(minor)):
                self._xfixes = None

    def state(self) -> PointerState:
        """Where the pointer is now, and its shape when the X server knows its name."""
        if self._xfixes is not None:
            image = self._xfixes.XFixesGetCursorImage(self._display)
            if image:
                try:
                    cursor = image.contents
                    name = cursor.name.decode("latin-1") if cursor.name else None
                    return PointerState(int(cursor.x), int(cursor.y), css_cursor(name))
                finally:
                    self._x11.XFree(image)
        root_x, root_y = ctypes.c_int(), ctypes.c_int()
        dummy_window, dummy_int, mask = ctypes.c_ulong(), ctypes.c_int(), ctypes.c_uint()
        self._x11.XQueryPointer(
            self._display, self._root, ctypes.byref(dummy_window), ctypes.byref(dummy_window),
            ctypes.byref(root_x), ctypes.byref(root_y), ctypes.byref(dummy_int),
            ctypes.byref(dummy_int), ctypes.byref(mask),
        )  # fmt: skip
        return PointerState(root_x.value, root_y.value)

    def close(self) -> None:
        if self._display:
            self._x11.XCloseDisplay(self._display)
            self._display = None
