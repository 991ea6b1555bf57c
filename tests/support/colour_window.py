"""A plain top-level X window of one colour, optionally marked as a process's (``_NET_WM_PID``):
what the private-window tests put on the screen."""

from __future__ import annotations

import os


class ColourWindow:
    """A plain top-level X window filled by the server with one colour (python-xlib)."""

    def __init__(
        self, env: dict[str, str], rgb: tuple[int, int, int], rect, pid: int | None,
        title: str | None = None,
    ) -> None:  # fmt: skip
        from Xlib import X, Xatom  # noqa: PLC0415
        from Xlib import display as xdisplay  # noqa: PLC0415

        self._X = X
        # python-xlib reads the cookie file from this process's environment.
        saved = os.environ.get("XAUTHORITY")
        os.environ["XAUTHORITY"] = env.get("XAUTHORITY", "")
        try:
            self.display = xdisplay.Display(env["DISPLAY"])
        finally:
            if saved is None:
                del os.environ["XAUTHORITY"]
            else:
                os.environ["XAUTHORITY"] = saved
        screen = self.display.screen()
        pixel = (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]  # Xvfb's 24-bit TrueColor
        x, y, w, h = rect
        self.window = screen.root.create_window(
            x, y, w, h, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
            background_pixel=pixel,
        )  # fmt: skip
        self.window.set_wm_name(title or ("Consultation notes" if pid else "Acme Pro"))
        self.window.set_wm_class("notes", "Notes-app")
        if pid is not None:
            atom = self.display.intern_atom("_NET_WM_PID")
            self.window.change_property(atom, Xatom.CARDINAL, 32, [pid])
        self.window.map()
        self.display.sync()

    def move(self, x: int, y: int) -> None:
        self.window.configure(x=x, y=y)
        self.display.sync()

    def raise_(self) -> None:
        self.window.configure(stack_mode=self._X.Above)
        self.display.sync()

    def close(self) -> None:
        self.window.destroy()
        self.display.close()
