"""The desktop while presenting (A8): no wallpaper, and window outlines only while moving.

Both are changes to the agent's own desktop that make the stream lighter; both are undone when
the last presentation stops, when a presenter dies, when the app quits, and, should the app
itself die, at its next start (what to put back is kept in ``presenting-desktop.json`` in the
settings folder until it is put back).

What is supported where (docs/architecture.md, "The desktop while presenting"):

- X11 wallpaper: the root window's background pixmap, as set by feh, nitrogen, xwallpaper,
  hsetroot, Esetroot and most desktops without their own desktop window. Such setters publish
  the pixmap in ``_XROOTPMAP_ID`` / ``ESETROOT_PMAP_ID`` (and keep it alive after they exit);
  the app paints the root a plain colour, removes the two properties (compositors and
  pseudo-transparent terminals read them) and puts both back afterwards. A root background
  set without those properties (``xsetroot -bitmap``) cannot be read back, so it is left alone.
- GNOME (and Cinnamon/Budgie/Unity on the same schema): ``org.gnome.desktop.background
  picture-options`` through ``gsettings`` is set to ``none`` and put back.
- KDE Plasma draws its wallpaper in its own desktop window, changeable only through a Plasma
  script over D-Bus: not done (said in the docs). Windows (``SystemParametersInfo(
  SPI_SETDESKWALLPAPER)``) and macOS (no public API without the Finder's scripting): on paper.
- Outlines while moving: openbox only (``_OB_CONFIG_FILE``'s ``<resize><drawContents>`` set to
  ``no``, then openbox is told to reconfigure); openbox always moves windows whole, so it only
  affects resizing. GNOME's mutter and KDE's KWin have no such option any more; Windows has
  ``SPI_SETDRAGFULLWINDOWS`` (on paper).

The module touches only the local X display (python-xlib) and the ``gsettings`` command.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

STATE_FILE = "presenting-desktop.json"
WALLPAPER_PROPERTIES = ("_XROOTPMAP_ID", "ESETROOT_PMAP_ID")
PLAIN_BACKGROUND = 0x2B3A55  # a calm dark blue: the customer sees a desktop, not a hole
GNOME_SCHEMA = "org.gnome.desktop.background"
GSETTINGS_TIMEOUT_S = 3.0
DRAW_CONTENTS_RE = re.compile(r"(<resize>.*?<drawContents>\s*)(yes|no)(\s*</drawContents>)", re.S)
OB_RECONFIGURE = 1  # openbox's _OB_CONTROL client message: 1 reconfigure, 2 restart, 3 exit


class PresentingDesktop:
    """Changes the desktop while at least one presentation runs; thread-safe.

    Args:
        options: the current ``settings.presenting_desktop`` (read at each :meth:`begin`).
        state_dir: where what to put back is kept until it is put back.
        env: the environment holding ``DISPLAY`` (default: this process's).
    """

    def __init__(
        self,
        options: Callable[[], Mapping[str, Any]],
        state_dir: Path,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._options = options
        self._state_path = Path(state_dir) / STATE_FILE
        self._env = dict(env) if env is not None else dict(os.environ)
        self._lock = threading.Lock()
        self._active = False

    @property
    def active(self) -> bool:
        with self._lock:
            return self._active

    def begin(self) -> None:
        """A presentation starts: hide the wallpaper, outline moves (as the settings say)."""
        with self._lock:
            if self._active:
                return
            self._active = True
            options = self._options()
            saved: dict[str, Any] = {}
            if options.get("hide_wallpaper", True):
                saved.update(self._guard("wallpaper", self._hide_wallpaper))
            if options.get("outlines_while_moving", False):
                saved.update(self._guard("outlines", self._outline_moves))
            if saved:
                self._state_path.write_text(json.dumps(saved))
                logger.info("desktop changed while presenting: %s", ", ".join(sorted(saved)))

    def end(self) -> None:
        """No presentation runs any more: put back what :meth:`begin` changed."""
        with self._lock:
            self._active = False
            self._restore()

    def recover(self) -> None:
        """At start-up: put back what an app that died while presenting left changed."""
        with self._lock:
            if self._state_path.exists():
                logger.info("putting back the desktop a previous run changed")
                self._restore()

    # ----- internals (called with the lock held) -----

    def _restore(self) -> None:
        try:
            saved = json.loads(self._state_path.read_text())
        except FileNotFoundError:
            return
        except ValueError:
            logger.warning("%s is unreadable; nothing put back", self._state_path)
            self._state_path.unlink(missing_ok=True)
            return
        if "x11_wallpaper" in saved:
            self._guard("wallpaper", lambda: _x11_put_back(self._env, saved["x11_wallpaper"]))
        if "gnome_picture_options" in saved:
            self._guard(
                "wallpaper", lambda: _gsettings_set(self._env, saved["gnome_picture_options"])
            )
        if "openbox" in saved:
            self._guard("outlines", lambda: _openbox_put_back(self._env, saved["openbox"]))
        self._state_path.unlink(missing_ok=True)

    def _guard(self, what: str, change: Callable[[], Any]) -> Any:
        """Run a desktop change; one that fails is logged, never stops a presentation."""
        try:
            return change() or {}
        except Exception:
            logger.warning("the %s could not be changed", what, exc_info=True)
            return {}

    def _hide_wallpaper(self) -> dict[str, Any]:
        saved: dict[str, Any] = {}
        if self._env.get("DISPLAY"):
            x11 = _x11_hide(self._env)
            if x11:
                saved["x11_wallpaper"] = x11
        desktop = self._env.get("XDG_CURRENT_DESKTOP", "").upper()
        if any(name in desktop for name in ("GNOME", "CINNAMON", "BUDGIE", "UNITY")):
            before = _gsettings_get(self._env)
            if before and before != "'none'":
                _gsettings_set(self._env, "'none'")
                saved["gnome_picture_options"] = before
        return saved

    def _outline_moves(self) -> dict[str, Any]:
        if not self._env.get("DISPLAY"):
            return {}
        openbox = _openbox_outline(self._env)
        return {"openbox": openbox} if openbox else {}


# ----- X11 root background -----


def _open_display(env: Mapping[str, str]) -> Any:
    from Xlib import display  # noqa: PLC0415 (python-xlib: only where X11 is used)

    return display.Display(env.get("DISPLAY"))


def _x11_hide(env: Mapping[str, str]) -> dict[str, Any] | None:
    """Paint the root plain; returns the wallpaper's pixmap ids by property (None: none set)."""
    from Xlib import Xatom  # noqa: PLC0415

    connection = _open_display(env)
    try:
        root = connection.screen().root
        pixmaps: dict[str, int] = {}
        for name in WALLPAPER_PROPERTIES:
            value = root.get_full_property(connection.intern_atom(name), Xatom.PIXMAP)
            if value is not None and len(value.value) and int(value.value[0]):
                pixmaps[name] = int(value.value[0])
        if not pixmaps:
            return None  # nothing we could put back: leave the desktop as it is
        root.change_attributes(background_pixel=PLAIN_BACKGROUND)
        for name in pixmaps:
            root.delete_property(connection.intern_atom(name))
        root.clear_area(0, 0, 0, 0, False)  # repaint the uncovered root now
        connection.sync()
        return pixmaps
    finally:
        connection.close()


def _x11_put_back(env: Mapping[str, str], pixmaps: Mapping[str, int]) -> None:
    """Make the saved pixmap the root's background again (if it still exists)."""
    from Xlib import Xatom, error  # noqa: PLC0415

    connection = _open_display(env)
    try:
        root = connection.screen().root
        pixmap_id = next(iter(pixmaps.values()))
        pixmap = connection.create_resource_object("pixmap", pixmap_id)
        try:
            pixmap.get_geometry()
        except error.XError:
            logger.warning("the wallpaper's pixmap 0x%x is gone; the background stays plain",
                           pixmap_id)  # fmt: skip
            return
        root.change_attributes(background_pixmap=pixmap_id)
        for name, value in pixmaps.items():
            root.change_property(connection.intern_atom(name), Xatom.PIXMAP, 32, [int(value)])
        root.clear_area(0, 0, 0, 0, False)
        connection.sync()
    finally:
        connection.close()


# ----- GNOME -----


def _gsettings_get(env: Mapping[str, str]) -> str | None:
    if not shutil.which("gsettings"):
        return None
    result = subprocess.run(
        ["gsettings", "get", GNOME_SCHEMA, "picture-options"], env=dict(env),
        capture_output=True, text=True, timeout=GSETTINGS_TIMEOUT_S, check=False,
    )  # fmt: skip
    return result.stdout.strip() if result.returncode == 0 else None


def _gsettings_set(env: Mapping[str, str], value: str) -> None:
    subprocess.run(
        ["gsettings", "set", GNOME_SCHEMA, "picture-options", value.strip("'")], env=dict(env),
        capture_output=True, timeout=GSETTINGS_TIMEOUT_S, check=True,
    )  # fmt: skip


# ----- openbox: outlines while resizing -----


def _openbox_config(env: Mapping[str, str]) -> Path | None:
    """The rc.xml the running openbox read (its ``_OB_CONFIG_FILE``), or None: no openbox."""
    connection = _open_display(env)
    try:
        root = connection.screen().root
        value = root.get_full_property(connection.intern_atom("_OB_CONFIG_FILE"), 0)
        if value is None or not value.value:
            return None
        raw = value.value
        path = raw.decode() if isinstance(raw, bytes) else str(raw)
        return Path(path)
    finally:
        connection.close()


def _openbox_reconfigure(env: Mapping[str, str]) -> None:
    """What ``openbox --reconfigure`` does: an ``_OB_CONTROL`` message to the root."""
    from Xlib import X  # noqa: PLC0415
    from Xlib.protocol import event  # noqa: PLC0415

    connection = _open_display(env)
    try:
        root = connection.screen().root
        message = event.ClientMessage(
            window=root, client_type=connection.intern_atom("_OB_CONTROL"),
            data=(32, [OB_RECONFIGURE, 0, 0, 0, 0]),
        )  # fmt: skip
        mask = X.SubstructureNotifyMask | X.SubstructureRedirectMask
        root.send_event(message, event_mask=mask)
        connection.sync()
    finally:
        connection.close()


def _openbox_outline(env: Mapping[str, str]) -> dict[str, str] | None:
    """Set ``drawContents`` to ``no`` in the running openbox's rc.xml; returns what to put back."""
    path = _openbox_config(env)
    if path is None or not path.is_file():
        return None
    text = path.read_text()
    found = DRAW_CONTENTS_RE.search(text)
    if found is None or found.group(2) == "no":
        return None
    path.write_text(DRAW_CONTENTS_RE.sub(r"\g<1>no\g<3>", text, count=1))
    _openbox_reconfigure(env)
    return {"path": str(path), "draw_contents": found.group(2)}


def _openbox_put_back(env: Mapping[str, str], saved: Mapping[str, str]) -> None:
    path = Path(saved["path"])
    text = path.read_text()
    path.write_text(DRAW_CONTENTS_RE.sub(rf"\g<1>{saved['draw_contents']}\g<3>", text, count=1))
    _openbox_reconfigure(env)
