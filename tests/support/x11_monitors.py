"""Split one Xvfb screen into several RandR monitors, for tests that need more than one.

Xvfb has a single output, and ``xrandr --setmonitor`` there changes nothing we could see. A
monitor made with ``XRRSetMonitor`` does show (mss 10 lists RandR 1.5 monitors), but only while
the client that made it stays connected: this object holds that connection until ``close``.
mss then lists the monitors in the order made, then Xvfb's own whole-screen one.
"""

from __future__ import annotations

import ctypes

from tests.support.x11 import open_x_display

Monitor = tuple[int, int, int, int]  # x, y, width, height


class _MonitorInfo(ctypes.Structure):  # XRRMonitorInfo
    _fields_ = [
        ("name", ctypes.c_ulong), ("primary", ctypes.c_int), ("automatic", ctypes.c_int),
        ("noutput", ctypes.c_int), ("x", ctypes.c_int), ("y", ctypes.c_int),
        ("width", ctypes.c_int), ("height", ctypes.c_int),
        ("mwidth", ctypes.c_int), ("mheight", ctypes.c_int),
        ("outputs", ctypes.POINTER(ctypes.c_ulong)),
    ]  # fmt: skip


class VirtualMonitors:
    """``monitors`` on ``env``'s display for as long as this object is open."""

    def __init__(self, env: dict[str, str], monitors: list[Monitor]) -> None:
        self._x = x = ctypes.CDLL("libX11.so.6")
        xrandr = ctypes.CDLL("libXrandr.so.2")
        x.XDefaultRootWindow.restype = ctypes.c_ulong
        x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x.XInternAtom.restype = ctypes.c_ulong
        x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x.XFree.argtypes = [ctypes.c_void_p]
        x.XCloseDisplay.argtypes = [ctypes.c_void_p]
        xrandr.XRRAllocateMonitor.restype = ctypes.POINTER(_MonitorInfo)
        xrandr.XRRAllocateMonitor.argtypes = [ctypes.c_void_p, ctypes.c_int]
        xrandr.XRRSetMonitor.argtypes = [
            ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(_MonitorInfo)
        ]  # fmt: skip
        self._display = open_x_display(x, env)
        root = x.XDefaultRootWindow(self._display)
        for number, (left, top, width, height) in enumerate(monitors, start=1):
            info = xrandr.XRRAllocateMonitor(self._display, 0)
            info.contents.name = x.XInternAtom(self._display, f"TEST-{number}".encode(), 0)
            info.contents.x, info.contents.y = left, top
            info.contents.width, info.contents.height = width, height
            info.contents.mwidth, info.contents.mheight = width // 4, height // 4
            xrandr.XRRSetMonitor(self._display, root, info)
            x.XFree(info)
        x.XSync(self._display, 0)

    def close(self) -> None:
        if self._display:
            self._x.XCloseDisplay(self._display)
            self._display = None

    def __enter__(self) -> VirtualMonitors:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
