"""Change notification from the X server (the DAMAGE extension), so the presenter sleeps while
nothing on the screen changes.

libXdamage and libXfixes through ctypes, on a display connection of its own: one damage
object on the root window at ``XDamageReportNonEmpty`` level sends one event when the screen's
damage goes from empty to non-empty; :meth:`X11Damage.take` then moves the accumulated damage
into an XFixes region (``XDamageSubtract``) and reads its rectangles (``XFixesFetchRegion``),
which empties it again, so the next change sends the next event. The rectangles are the region
hint for the tile diff (:func:`suite.screen.tiles.changed_tiles_in`).

Drawing by any client, into any window, damages the root window (the root's damage includes
its inferiors): x11vnc and TigerVNC's x0vncserver rely on the same. The mouse pointer is not
part of it (mss does not draw the cursor; it goes out as ``cursor`` messages, polled apart).

Other platforms have no implementation here and keep polling (docs/architecture.md): Wayland
offers no change notification to an X client (the portal's PipeWire stream would bring frame
damage), Windows would use DXGI Desktop Duplication's dirty rectangles, macOS
``CGDisplayStream``'s updated rectangles.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select

from suite.screen.errors import NotSupportedError, ScreenError
from suite.screen.regions import Rect

REPORT_NON_EMPTY = 3  # XDamageReportNonEmpty
_XEVENT_BYTES = 192  # sizeof(XEvent) on LP64: a union padded to 24 longs


class _XRectangle(ctypes.Structure):
    _fields_ = [
        ("x", ctypes.c_short), ("y", ctypes.c_short),
        ("width", ctypes.c_ushort), ("height", ctypes.c_ushort),
    ]  # fmt: skip


def _load(name: str) -> ctypes.CDLL:
    path = ctypes.util.find_library(name)
    try:
        return ctypes.CDLL(path or f"lib{name}.so")
    except OSError as exc:
        raise ScreenError(f"lib{name} is not installed: {exc}") from exc


class X11Damage:
    """Where the X display changed since the last :meth:`take` (``DISPLAY`` if None).

    Args:
        origin: the shared monitor's top-left corner in root pixels; rectangles come back
            relative to it.
        size: the shared monitor's width and height; rectangles are clipped to it.

    Raises:
        NotSupportedError: no X11 display, or the server lacks DAMAGE or XFIXES.
        ScreenError: the libraries are missing or the display cannot be opened.
    """

    def __init__(
        self, origin: tuple[int, int], size: tuple[int, int], display: str | None = None
    ) -> None:
        name = display or os.environ.get("DISPLAY")
        if not name:
            raise NotSupportedError("change notification needs an X11 display on this platform")
        x11, damage, xfixes = _load("X11"), _load("Xdamage"), _load("Xfixes")
        vp, ul, ip = ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_int)
        x11.XOpenDisplay.restype = vp
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XDefaultRootWindow.restype = ul
        x11.XDefaultRootWindow.argtypes = [vp]
        x11.XConnectionNumber.argtypes = [vp]
        x11.XPending.argtypes = [vp]
        x11.XNextEvent.argtypes = [vp, vp]
        x11.XFlush.argtypes = [vp]
        x11.XFree.argtypes = [vp]
        x11.XCloseDisplay.argtypes = [vp]
        damage.XDamageQueryExtension.argtypes = [vp, ip, ip]
        damage.XDamageCreate.restype = ul
        damage.XDamageCreate.argtypes = [vp, ul, ctypes.c_int]
        damage.XDamageSubtract.argtypes = [vp, ul, ul, ul]
        damage.XDamageDestroy.argtypes = [vp, ul]
        xfixes.XFixesQueryExtension.argtypes = [vp, ip, ip]
        xfixes.XFixesCreateRegion.restype = ul
        xfixes.XFixesCreateRegion.argtypes = [vp, vp, ctypes.c_int]
        xfixes.XFixesFetchRegion.restype = ctypes.POINTER(_XRectangle)
        xfixes.XFixesFetchRegion.argtypes = [vp, ul, ip]
        xfixes.XFixesDestroyRegion.argtypes = [vp, ul]
        self._x11, self._damage_lib, self._xfixes = x11, damage, xfixes
        self._display = x11.XOpenDisplay(name.encode())
        if not self._display:
            raise ScreenError(f"cannot open X display {name} for change notification")
        base, error = ctypes.c_int(), ctypes.c_int()
        if not xfixes.XFixesQueryExtension(self._display, ctypes.byref(base), ctypes.byref(error)):
            self.close()
            raise NotSupportedError(f"the X server of {name} has no XFIXES extension")
        if not damage.XDamageQueryExtension(self._display, ctypes.byref(base), ctypes.byref(error)):
            self.close()
            raise NotSupportedError(f"the X server of {name} has no DAMAGE extension")
        root = x11.XDefaultRootWindow(self._display)
        self._damage = damage.XDamageCreate(self._display, root, REPORT_NON_EMPTY)
        self._parts = xfixes.XFixesCreateRegion(self._display, None, 0)
        x11.XFlush(self._display)
        self._fd = x11.XConnectionNumber(self._display)
        self._event = ctypes.create_string_buffer(_XEVENT_BYTES)
        self._screen = Rect(0, 0, size[0], size[1])
        self._origin = origin
        self._damaged = True  # the first capture must look at everything

    def _drain(self) -> None:
        while self._x11.XPending(self._display):
            self._x11.XNextEvent(self._display, self._event)
            self._damaged = True  # only damage events are selected on this connection

    def wait(self, timeout_s: float) -> bool:
        """Block until something was drawn (or ``timeout_s``); True if there is damage to take."""
        if not self._damaged:
            self._drain()
        if not self._damaged and timeout_s > 0:
            ready, _, _ = select.select([self._fd], [], [], timeout_s)
            if ready:
                self._drain()
        return self._damaged

    def take(self) -> list[Rect]:
        """The damaged rectangles since the last call, in the monitor's pixels, and forget them.

        Call it just before grabbing the screen: whatever is drawn after it is reported again.
        """
        self._damaged = False
        self._damage_lib.XDamageSubtract(self._display, self._damage, 0, self._parts)
        count = ctypes.c_int()
        rects = self._xfixes.XFixesFetchRegion(self._display, self._parts, ctypes.byref(count))
        out: list[Rect] = []
        if rects:
            try:
                left, top = self._origin
                for index in range(count.value):
                    r = rects[index]
                    clipped = Rect(r.x - left, r.y - top, r.width, r.height).intersect(self._screen)
                    if clipped is not None:
                        out.append(clipped)
            finally:
                self._x11.XFree(rects)
        # An event read now is for damage after the subtract (or, at worst, a stale one that
        # costs one capture that finds nothing): keep it.
        self._drain()
        return out

    def close(self) -> None:
        if self._display:
            self._x11.XCloseDisplay(self._display)  # frees the damage object and the region
            self._display = None
