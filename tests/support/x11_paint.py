"""Paint BGRA numpy frames onto an X display's root window (tests and bench_stream).

libX11 through ctypes: ``XPutImage`` of a ZPixmap that points at the numpy buffer, so a full
1920x1080 frame goes to Xvfb in a few milliseconds without Tk or a window manager.
"""

from __future__ import annotations

import ctypes
import socket
import struct

import numpy as np

from tests.support.x11 import open_x_display
from tests.support.xvfb import Xvfb

Z_PIXMAP = 2


class RootPainter:
    """Draws frames (or parts of them) on the root window of ``env``'s DISPLAY."""

    def __init__(self, env: dict[str, str]) -> None:
        self._x = x = ctypes.CDLL("libX11.so.6")
        x.XDefaultScreen.argtypes = [ctypes.c_void_p]
        x.XRootWindow.restype = ctypes.c_ulong
        x.XRootWindow.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x.XDefaultVisual.restype = ctypes.c_void_p
        x.XDefaultVisual.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x.XDefaultGC.restype = ctypes.c_void_p
        x.XDefaultGC.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x.XCreateImage.restype = ctypes.c_void_p
        x.XCreateImage.argtypes = [
            ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_int,
            ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint, ctypes.c_int, ctypes.c_int,
        ]  # fmt: skip
        x.XPutImage.argtypes = [
            ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_void_p,
            ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
        ]  # fmt: skip
        x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x.XFree.argtypes = [ctypes.c_void_p]
        x.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self._display = open_x_display(x, env)
        screen = x.XDefaultScreen(self._display)
        self._root = x.XRootWindow(self._display, screen)
        self._visual = x.XDefaultVisual(self._display, screen)
        self._gc = x.XDefaultGC(self._display, screen)

    def paint(self, frame: np.ndarray, x: int = 0, y: int = 0) -> None:
        """Put a BGRA ``(h, w, 4)`` frame at (x, y) and wait until the server has drawn it."""
        data = np.ascontiguousarray(frame)
        height, width = data.shape[:2]
        image = self._x.XCreateImage(
            self._display, self._visual, 24, Z_PIXMAP, 0, data.ctypes.data, width, height, 32, 0
        )
        self._x.XPutImage(self._display, self._root, self._gc, image, 0, 0, x, y, width, height)
        self._x.XSync(self._display, 0)
        # XDestroyImage would free our numpy buffer: free only the XImage struct.
        self._x.XFree(image)

    def close(self) -> None:
        if self._display:
            self._x.XCloseDisplay(self._display)
            self._display = None


def add_local_xauth_entry(xvfb: Xvfb) -> None:
    """Add a FamilyLocal entry for this host and display to the display's Xauthority.

    tests/support/xvfb.py writes one FamilyWild entry, which libX11 honours but python-xlib
    (the presenter's window list and pointer) does not look at.
    """
    data = xvfb.xauthority.read_bytes()
    cookie_len = struct.unpack(">H", data[-18:-16])[0]
    assert cookie_len == 16, "unexpected Xauthority layout"
    cookie = data[-16:]

    def counted(value: bytes) -> bytes:
        return struct.pack(">H", len(value)) + value

    entry = struct.pack(">H", 256) + counted(socket.gethostname().encode())
    entry += counted(xvfb.display.lstrip(":").encode()) + counted(b"MIT-MAGIC-COOKIE-1")
    entry += counted(cookie)
    xvfb.xauthority.write_bytes(data + entry)
