"""The agent's global "take control back" hotkey (P3): Ctrl+Alt+End, grabbed on the X root.

The presenter child grabs the key on the root window of its display with python-xlib, so it
works whichever window has the focus, the agent app's own included. The grab is made for
every combination of Caps Lock and Num Lock as well (they count as modifiers in X). A press
calls ``on_press`` on this module's thread; the presenter then revokes locally at once
(releasing anything the customer holds) and tells the relay (``revoke_control``).

If another program already holds the combination, X refuses the grab (BadAccess): the
presenter logs it and goes on; the chat window's buttons still revoke.
"""

from __future__ import annotations

import logging
import select
import threading
from collections.abc import Callable

from suite.screen.errors import NotSupportedError, ScreenError

logger = logging.getLogger(__name__)

HOTKEY_LABEL = "Ctrl+Alt+End"
HOTKEY_KEYSYM = "End"
POLL_S = 0.2


class ControlHotkey:
    """Grabs Ctrl+Alt+End until :meth:`close`; calls ``on_press`` on each press.

    Raises:
        ScreenError: no X display, or the key is already grabbed by another client.
    """

    def __init__(self, on_press: Callable[[], None], display_name: str | None = None) -> None:
        try:
            from Xlib import XK, X  # noqa: PLC0415
            from Xlib import display as xdisplay  # noqa: PLC0415
            from Xlib import error as xerror  # noqa: PLC0415
        except ImportError as exc:
            raise NotSupportedError(f"python-xlib is not installed: {exc}") from None
        self._X = X
        self.on_press = on_press
        self.presses = 0
        try:
            self._display = xdisplay.Display(display_name)
        except Exception as exc:
            raise ScreenError(f"cannot open the X display for the hotkey: {exc}") from None
        self._root = self._display.screen().root
        self._keycode = self._display.keysym_to_keycode(XK.string_to_keysym(HOTKEY_KEYSYM))
        base = X.ControlMask | X.Mod1Mask
        self._masks = [
            base | extra for extra in (0, X.LockMask, X.Mod2Mask, X.LockMask | X.Mod2Mask)
        ]
        catcher = xerror.CatchError(xerror.BadAccess)
        for mask in self._masks:
            self._root.grab_key(
                self._keycode, mask, True, X.GrabModeAsync, X.GrabModeAsync, onerror=catcher
            )
        self._display.sync()
        if catcher.get_error():
            self._display.close()
            raise ScreenError(f"{HOTKEY_LABEL} is already taken by another program")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="control-hotkey", daemon=True)
        self._thread.start()
        logger.info("%s takes control back", HOTKEY_LABEL)

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                readable, _, _ = select.select([self._display.fileno()], [], [], POLL_S)
                if not readable and not self._display.pending_events():
                    continue
                while self._display.pending_events():
                    event = self._display.next_event()
                    if event.type == self._X.KeyPress and event.detail == self._keycode:
                        self.presses += 1
                        try:
                            self.on_press()
                        except Exception:
                            logger.exception("the control hotkey's action failed")
        except Exception:
            if not self._stop.is_set():
                logger.exception("the control hotkey stopped listening")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        try:
            for mask in self._masks:
                self._root.ungrab_key(self._keycode, mask)
            self._display.sync()
        except Exception:
            logger.debug("ungrab failed (display gone)", exc_info=True)
        self._display.close()
