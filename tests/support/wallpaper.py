"""A photo-like wallpaper on an X display's root, set the way feh or Esetroot set one.

The pixmap is drawn through python-xlib in strips (a core request is at most 256 KiB), kept
alive after this client disconnects (``RetainPermanent``), made the root's background and
published in ``_XROOTPMAP_ID`` and ``ESETROOT_PMAP_ID``.
"""

from __future__ import annotations

import mss
import numpy as np

STRIP_ROWS = 24  # 1920 px x 24 rows x 4 bytes = 184 KiB per PutImage request


def photo_like(width: int, height: int, seed: int = 7) -> np.ndarray:
    """A BGRA picture that compresses like a photo: soft gradients, shapes and grain."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    blue = 120 + 80 * np.sin(x / 210.0) * np.cos(y / 170.0)
    green = 110 + 70 * np.sin((x + y) / 260.0)
    red = 90 + 90 * np.cos(np.hypot(x - width * 0.6, y - height * 0.4) / 140.0)
    frame = np.stack([blue, green, red], axis=-1) + rng.normal(0, 14, (height, width, 3))
    bgra = np.empty((height, width, 4), np.uint8)
    bgra[..., :3] = np.clip(frame, 0, 255).astype(np.uint8)
    bgra[..., 3] = 255
    return bgra


def set_wallpaper(env: dict[str, str], picture: np.ndarray) -> int:
    """Make ``picture`` (BGRA) the root's background pixmap; returns the pixmap's id."""
    from Xlib import X, Xatom, display  # noqa: PLC0415

    connection = display.Display(env["DISPLAY"])
    try:
        screen = connection.screen()
        root = screen.root
        height, width = picture.shape[:2]
        pixmap = root.create_pixmap(width, height, screen.root_depth)
        gc = pixmap.create_gc()
        for top in range(0, height, STRIP_ROWS):
            strip = np.ascontiguousarray(picture[top : top + STRIP_ROWS])
            rows = strip.shape[0]
            pixmap.put_image(gc, 0, top, width, rows, X.ZPixmap, screen.root_depth, 0,
                             strip.tobytes())  # fmt: skip
        gc.free()
        root.change_attributes(background_pixmap=pixmap.id)
        for name in ("_XROOTPMAP_ID", "ESETROOT_PMAP_ID"):
            root.change_property(connection.intern_atom(name), Xatom.PIXMAP, 32, [pixmap.id])
        root.clear_area(0, 0, 0, 0, False)
        connection.set_close_down_mode(X.RetainPermanent)  # the pixmap outlives this client
        connection.sync()
        return pixmap.id
    finally:
        connection.close()


def root_pixels(env: dict[str, str]) -> np.ndarray:
    """The whole screen as BGRA (what a screen grab of the desktop shows)."""
    with mss.MSS(display=env["DISPLAY"]) as grabber:
        return np.array(grabber.grab(grabber.monitors[0]))


def root_pixmap_property(env: dict[str, str]) -> int | None:
    """The root's ``_XROOTPMAP_ID`` (None when not set)."""
    from Xlib import Xatom, display  # noqa: PLC0415

    connection = display.Display(env["DISPLAY"])
    try:
        root = connection.screen().root
        value = root.get_full_property(connection.intern_atom("_XROOTPMAP_ID"), Xatom.PIXMAP)
        return int(value.value[0]) if value is not None and len(value.value) else None
    finally:
        connection.close()
