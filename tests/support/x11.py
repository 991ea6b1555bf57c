"""X11 helpers for the desktop tests: find and close windows the way a person does (the title
bar's X), open the display, read the clipboard.

Under bare Xvfb there is no window manager to turn a click on the X into a close request, so
this sends the request itself: an ICCCM ``WM_DELETE_WINDOW`` client message, the same one a
window manager sends. ``xdotool windowclose`` is no substitute: it destroys the X window
under the toolkit's feet.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

CLIENT_MESSAGE = 33
NO_EVENT_MASK = 0


class _ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class _Event(ctypes.Union):
    _fields_ = [("client", _ClientMessage), ("pad", ctypes.c_long * 24)]


def find_windows(env: dict[str, str], title_regex: str) -> list[int]:
    """X window ids whose title matches ``title_regex`` (xdotool search --name)."""
    result = subprocess.run(
        ["xdotool", "search", "--name", title_regex], env=env, capture_output=True, text=True,
        timeout=10,
    )  # fmt: skip
    return [int(line) for line in result.stdout.split()]


def open_x_display(x: ctypes.CDLL, env: dict[str, str]) -> int:
    """``XOpenDisplay`` on ``env``'s DISPLAY with its XAUTHORITY (libX11 reads the variable
    at open time; this process's own environment is put back afterwards).

    Raises:
        OSError: the display cannot be opened.
    """
    x.XOpenDisplay.restype = ctypes.c_void_p
    x.XOpenDisplay.argtypes = [ctypes.c_char_p]
    saved = os.environ.get("XAUTHORITY")
    os.environ["XAUTHORITY"] = env["XAUTHORITY"]
    try:
        display = x.XOpenDisplay(env["DISPLAY"].encode())
    finally:
        if saved is None:
            del os.environ["XAUTHORITY"]
        else:
            os.environ["XAUTHORITY"] = saved
    if not display:
        raise OSError(f"cannot open X display {env['DISPLAY']}")
    return display


def request_close(env: dict[str, str], window: int) -> None:
    """Ask ``window`` on ``env``'s DISPLAY to close with WM_DELETE_WINDOW, as a WM would."""
    xlib = ctypes.CDLL("libX11.so.6")
    xlib.XInternAtom.restype = ctypes.c_ulong
    xlib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    xlib.XSendEvent.argtypes = [
        ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.POINTER(_Event)
    ]  # fmt: skip
    xlib.XFlush.argtypes = [ctypes.c_void_p]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    display = open_x_display(xlib, env)
    try:
        event = _Event()
        event.client.type = CLIENT_MESSAGE
        event.client.window = window
        event.client.message_type = xlib.XInternAtom(display, b"WM_PROTOCOLS", 0)
        event.client.format = 32
        event.client.data[0] = xlib.XInternAtom(display, b"WM_DELETE_WINDOW", 0)
        event.client.data[1] = 0  # CurrentTime
        xlib.XSendEvent(display, window, 0, NO_EVENT_MASK, ctypes.byref(event))
        xlib.XFlush(display)
    finally:
        xlib.XCloseDisplay(display)


_READ_CLIPBOARD = """
import tkinter
root = tkinter.Tk()
root.withdraw()
try:
    print(root.clipboard_get(), end="")
except tkinter.TclError:
    raise SystemExit(3)
"""


def read_clipboard(env: dict[str, str]) -> str | None:
    """The CLIPBOARD selection's text on ``env``'s DISPLAY, asked of its owner the way a paste
    does (Tk's ``clipboard_get`` in a child process); None when nobody owns it."""
    result = subprocess.run(
        [sys.executable, "-c", _READ_CLIPBOARD], env=env, capture_output=True, text=True,
        timeout=15,
    )  # fmt: skip
    return result.stdout if result.returncode == 0 else None


def window_property(env: dict[str, str], window: int, name: str) -> str:
    """One property of ``window`` as ``xprop`` prints it (``"_NET_WM_STATE(ATOM) = ..."``, or
    ``"... not found."``): what a window manager reads when it maps the window."""
    result = subprocess.run(
        ["xprop", "-id", str(window), name], env=env, capture_output=True, text=True, timeout=10
    )
    if result.returncode != 0:
        raise OSError(f"xprop -id {window} {name} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def pointer_position(env: dict[str, str]) -> tuple[int, int]:
    """Where the pointer is on ``env``'s DISPLAY (xdotool getmouselocation)."""
    out = subprocess.run(
        ["xdotool", "getmouselocation"], env=env, capture_output=True, text=True, check=True,
        timeout=10,
    ).stdout  # fmt: skip
    fields = dict(part.split(":") for part in out.split())
    return int(fields["x"]), int(fields["y"])


def _input_catcher_shown(env: dict[str, str]) -> bool:
    """Whether the topmost mapped window on ``env``'s DISPLAY is an override-redirect
    InputOnly one: the drawing overlay's pointer catcher, which it maps above everything when
    a drawing tool is picked (the overlay's own picture window is InputOutput)."""
    from Xlib import X  # noqa: PLC0415 - python-xlib is a desktop dependency
    from Xlib import display as xdisplay  # noqa: PLC0415
    from Xlib.error import BadDrawable, BadWindow  # noqa: PLC0415

    saved = os.environ.get("XAUTHORITY")
    os.environ["XAUTHORITY"] = env["XAUTHORITY"]
    try:
        connection = xdisplay.Display(env["DISPLAY"])
    finally:
        if saved is None:
            del os.environ["XAUTHORITY"]
        else:
            os.environ["XAUTHORITY"] = saved
    try:
        for child in reversed(connection.screen().root.query_tree().children):  # top first
            try:
                attributes = child.get_attributes()
            except (BadWindow, BadDrawable):  # destroyed since the listing
                continue
            if attributes.map_state == X.IsViewable:
                return attributes.win_class == X.InputOnly and bool(attributes.override_redirect)
        return False
    finally:
        connection.close()


def wait_for_input_catcher(env: dict[str, str], shown: bool = True, timeout_s: float = 10.0):
    """Wait until the drawing overlay on ``env``'s DISPLAY takes the pointer (its input window
    is mapped on top), so that a drag made with xdotool draws; with ``shown`` false, until it
    lets the pointer go again (clicks reach the windows below). The display needs
    add_local_xauth_entry (python-xlib reads the cookie)."""
    from tests.support.waiting import wait_until  # noqa: PLC0415

    what = "map" if shown else "unmap"
    wait_until(
        lambda: _input_catcher_shown(env) == shown,
        f"the drawing overlay to {what} its input window",
        timeout_s,
    )
