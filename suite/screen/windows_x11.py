"""The list of open windows and their rectangles, for application sharing (P6).

On X11 the window manager publishes its managed windows in ``_NET_CLIENT_LIST`` (EWMH) on the
root window; a window's place on screen is its geometry translated to root coordinates. Bare X
servers (Xvfb in tests, kiosks) run no window manager: then the mapped top-level children of
the root that carry a name are listed instead. Windows and macOS need their own listings
(EnumWindows / CGWindowListCopyWindowInfo), not written yet: :func:`open_window_list` raises
:class:`NotSupportedError` there, and on Wayland, which lets no client see other windows.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any, Protocol

from suite.screen.errors import NotSupportedError, ScreenError
from suite.screen.masks import StackedWindow
from suite.screen.regions import Rect


@dataclass(frozen=True, slots=True)
class WindowInfo:
    """One open window: its id (X window id on X11), title and rectangle on the screen."""

    id: int
    title: str
    rect: Rect
    app: str = ""  # the program's name (WM_CLASS class, e.g. "libreoffice-writer"), if any
    pid: int | None = None  # _NET_WM_PID, if the window sets it


class WindowList(Protocol):
    def windows(self) -> list[WindowInfo]:
        """Every open, visible window, topmost last."""
        ...

    def rects(self, ids: list[int]) -> list[Rect]:
        """The current rectangles of the windows ``ids`` (closed ones are left out)."""
        ...

    def private_stack(self, pids: frozenset[int]) -> list[StackedWindow]:
        """The top-level windows, bottom to top, those of processes ``pids`` marked private."""
        ...

    def close(self) -> None: ...


def open_window_list(display: str | None = None) -> WindowList:
    """The window list of this platform.

    Raises:
        NotSupportedError: not on X11 (Windows, macOS and Wayland are not supported yet).
        ScreenError: the X display cannot be opened.
    """
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        if not (display or os.environ.get("DISPLAY")):
            raise NotSupportedError(
                "application sharing is not supported on this platform: it needs an X11 "
                "display (DISPLAY is not set; Wayland is not supported)"
            )
        return X11WindowList(display)
    raise NotSupportedError(
        f"application sharing is not supported on this platform ({sys.platform}); "
        "share the whole screen instead"
    )


class X11WindowList:
    """Windows of an X display through python-xlib (EWMH, or the root's children)."""

    def __init__(self, display: str | None = None) -> None:
        from Xlib import X  # noqa: PLC0415
        from Xlib import display as xdisplay
        from Xlib import error as xerror

        self._X = X
        self._xerror = xerror
        try:
            self._display = xdisplay.Display(display)
        except Exception as exc:  # python-xlib raises several unrelated types here
            raise ScreenError(f"cannot open X display {display or os.environ.get('DISPLAY')}: "
                              f"{exc}") from exc  # fmt: skip
        self._root = self._display.screen().root
        self._private: PrivateWindows | None = None
        self._atoms = {
            name: self._display.intern_atom(name)
            for name in ("_NET_CLIENT_LIST_STACKING", "_NET_CLIENT_LIST", "_NET_WM_NAME",
                         "UTF8_STRING", "WM_STATE", "_NET_WM_PID")
        }  # fmt: skip

    def close(self) -> None:
        self._display.close()

    def _client_ids(self) -> list[int]:
        for name in ("_NET_CLIENT_LIST_STACKING", "_NET_CLIENT_LIST"):
            prop = self._root.get_full_property(self._atoms[name], self._X.AnyPropertyType)
            if prop is not None and len(prop.value):
                return [int(value) for value in prop.value]
        # No EWMH window manager: mapped children of the root, bottom to top.
        ids = []
        for child in self._root.query_tree().children:
            try:
                if child.get_attributes().map_state == self._X.IsViewable:
                    ids.append(child.id)
            except self._xerror.XError:
                continue
        return ids

    def _title(self, window: Any) -> str:
        prop = window.get_full_property(self._atoms["_NET_WM_NAME"], self._atoms["UTF8_STRING"])
        if prop is not None and prop.value:
            value = prop.value
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        name = window.get_wm_name()
        if isinstance(name, bytes):
            return name.decode("latin-1")
        return name or ""

    def _rect(self, window: Any) -> Rect:
        geometry = window.get_geometry()
        origin = window.translate_coords(self._root, 0, 0)
        # translate_coords gives the root origin in the window's coordinates: negate it.
        return Rect(-origin.x, -origin.y, geometry.width, geometry.height)

    def _pid(self, window: Any) -> int | None:
        prop = window.get_full_property(self._atoms["_NET_WM_PID"], self._X.AnyPropertyType)
        if prop is not None and prop.format == 32 and len(prop.value) == 1:
            return int(prop.value[0])
        return None

    def _app(self, window: Any) -> str:
        names = window.get_wm_class()
        return str(names[1] or names[0]) if names else ""

    def windows(self) -> list[WindowInfo]:
        found = []
        for window_id in self._client_ids():
            window = self._display.create_resource_object("window", window_id)
            try:
                title = self._title(window)
                rect = self._rect(window)
                app, pid = self._app(window), self._pid(window)
            except self._xerror.XError:
                continue  # closed while we looked
            if title and rect.w > 1 and rect.h > 1:
                found.append(WindowInfo(window_id, title, rect, app, pid))
        return found

    def private_stack(self, pids: frozenset[int]) -> list[StackedWindow]:
        """The root's mapped children, bottom to top, marked private when they belong to one of
        ``pids`` (see :class:`PrivateWindows`); nothing below the lowest private one."""
        return self._private_windows(pids).stack()

    def _private_windows(self, pids: frozenset[int]) -> PrivateWindows:
        if self._private is None or self._private.pids != pids:
            self._private = PrivateWindows(self, pids)
        return self._private

    def rects(self, ids: list[int]) -> list[Rect]:
        rects = []
        for window_id in ids:
            window = self._display.create_resource_object("window", window_id)
            try:
                if window.get_attributes().map_state != self._X.IsViewable:
                    continue
                rects.append(self._rect(window))
            except self._xerror.XError:
                continue
        return rects


class PrivateWindows:
    """Which of the root's children belong to the agent app, and where they all are now.

    A top-level window is the app's when it, or a window inside it (a window manager's frame
    holds the client one or two levels down), carries ``_NET_WM_PID`` of one of ``pids``. That
    answer is kept per root child (a new child is looked at once); where the windows are, their
    stacking and whether they are mapped are read again on every call: one QueryTree plus a
    GetWindowAttributes and a GetGeometry per child from the lowest private window up (~0.1 ms
    each on a local display).
    """

    FRAME_DEPTH = 2

    def __init__(self, windows: X11WindowList, pids: frozenset[int]) -> None:
        self.pids = pids
        self._list = windows
        self._owned: dict[int, bool] = {}

    def stack(self) -> list[StackedWindow]:
        x_list, xerror = self._list, self._list._xerror
        children = x_list._root.query_tree().children
        known = {child.id for child in children}
        self._owned = {wid: owned for wid, owned in self._owned.items() if wid in known}
        first = next((i for i, child in enumerate(children) if self._is_private(child)), None)
        if first is None:
            return []
        stack = []
        for child in children[first:]:
            try:
                attributes = child.get_attributes()
                if attributes.map_state != x_list._X.IsViewable:
                    continue
                geometry = child.get_geometry()
            except xerror.XError:
                continue  # gone while we looked
            border = geometry.border_width
            rect = Rect(geometry.x, geometry.y, geometry.width + 2 * border,
                        geometry.height + 2 * border)  # fmt: skip
            opaque = (
                not attributes.override_redirect and attributes.win_class == x_list._X.InputOutput
            )
            stack.append(StackedWindow(rect, self._is_private(child), opaque))
        return stack

    def _is_private(self, window: Any) -> bool:
        owned = self._owned.get(window.id)
        if owned is None:
            try:
                owned = self._owns(window, self.FRAME_DEPTH)
            except self._list._xerror.XError:
                return False  # gone: not cached, the next QueryTree leaves it out
            self._owned[window.id] = owned
        return owned

    def _owns(self, window: Any, depth: int) -> bool:
        if self._list._pid(window) in self.pids:
            return True
        if depth == 0:
            return False
        return any(self._owns(child, depth - 1) for child in window.query_tree().children)
