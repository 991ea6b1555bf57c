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
from suite.screen.regions import Rect


@dataclass(frozen=True, slots=True)
class WindowInfo:
    """One open window: its id (X window id on X11), title and rectangle on the screen."""

    id: int
    title: str
    rect: Rect


class WindowList(Protocol):
    def windows(self) -> list[WindowInfo]:
        """Every open, visible window, topmost last."""
        ...

    def rects(self, ids: list[int]) -> list[Rect]:
        """The current rectangles of the windows ``ids`` (closed ones are left out)."""
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
        self._atoms = {
            name: self._display.intern_atom(name)
            for name in ("_NET_CLIENT_LIST_STACKING", "_NET_CLIENT_LIST", "_NET_WM_NAME",
                         "UTF8_STRING", "WM_STATE")
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

    def windows(self) -> list[WindowInfo]:
        found = []
        for window_id in self._client_ids():
            window = self._display.create_resource_object("window", window_id)
            try:
                title = self._title(window)
                rect = self._rect(window)
            except self._xerror.XError:
                continue  # closed while we looked
            if title and rect.w > 1 and rect.h > 1:
                found.append(WindowInfo(window_id, title, rect))
        return found

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
