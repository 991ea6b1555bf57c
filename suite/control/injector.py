"""Input sinks: inject the customer's pointer and keys into the agent's desktop (P3).

Two implementations of :class:`suite.control.remote_control.InputSink`:

- :class:`XTestSink` (Linux/X11): the XTEST extension through python-xlib, which is what
  pyautogui itself does on X11. It is used there instead of pyautogui for two reasons:
  pyautogui's ``write()`` cannot type what the keyboard map lacks (Korean, accented letters),
  and pip's pyautogui requires ``python3-xlib`` 0.15, which installs over the ``python-xlib``
  0.33 that the presenter already uses (same ``Xlib`` package; seen here: it broke it). Text
  the keymap cannot type is typed as xdotool does: a spare keycode is remapped to the
  character's keysym (Latin-1 keysym or ``0x01000000 + code point``), pressed and released.
  Spare keycodes are used in turn and restored when the sink closes, so a client that looks
  the keysym up a little late still finds the right character.
- :class:`PyAutoGuiSink` (Windows, macOS): pyautogui, with ``PAUSE = 0`` (its 0.1 s sleep after
  every call would cap control at 10 events a second; the relay rate-limits instead) and
  ``FAILSAFE = False`` (its corner abort would fire whenever the customer moves to a corner;
  the agent's hotkey and revoke button are the way out). Text outside ASCII is not typed
  there (logged); not tested on this Linux machine.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any

from suite.screen.errors import NotSupportedError, ScreenError

logger = logging.getLogger(__name__)

BUTTONS = {"left": 1, "middle": 2, "right": 3}
WHEEL_BUTTONS = {"up": 4, "down": 5, "left": 6, "right": 7}
MAX_SCRATCH_KEYCODES = 32
# After a remap, clients must see the new mapping before the key press reaches them; after
# the last key, before the spare keycodes are restored, the same in reverse.
REMAP_SETTLE_S = 0.01
RESTORE_SETTLE_S = 0.2


def char_keysym(char: str) -> int:
    """The X keysym of one character: Latin-1 keysyms are the code point, others Unicode."""
    point = ord(char)
    if 0x20 <= point <= 0x7E or 0xA0 <= point <= 0xFF:
        return point
    return 0x01000000 | point


class XTestSink:
    """Injects through XTEST on one X display (``$DISPLAY`` by default).

    Raises:
        ScreenError: no X display, or it lacks the XTEST extension.
    """

    def __init__(self, display_name: str | None = None) -> None:
        try:
            from Xlib import XK, X  # noqa: PLC0415
            from Xlib import display as xdisplay  # noqa: PLC0415
            from Xlib.ext import xtest  # noqa: PLC0415
        except ImportError as exc:
            raise NotSupportedError(f"python-xlib is not installed: {exc}") from None
        self._X, self._XK, self._xtest = X, XK, xtest
        try:
            self._display = xdisplay.Display(display_name)
        except Exception as exc:
            raise ScreenError(f"cannot open the X display for input: {exc}") from None
        if not self._display.has_extension("XTEST"):
            self._display.close()
            raise NotSupportedError("the X server has no XTEST extension: no remote control")
        self._root = self._display.screen().root
        self._lock = threading.Lock()
        info = self._display.display.info
        self._min_keycode, self._max_keycode = info.min_keycode, info.max_keycode
        self._scratch = self._spare_keycodes()
        self._scratch_next = 0
        self._remapped: dict[int, int] = {}  # keysym -> spare keycode now holding it
        self._per_keycode = len(
            self._display.get_keyboard_mapping(self._min_keycode, 1)[0]
        )  # keysyms per keycode
        self._closed = False

    def _spare_keycodes(self) -> list[int]:
        count = self._max_keycode - self._min_keycode + 1
        mapping = self._display.get_keyboard_mapping(self._min_keycode, count)
        spare = [
            self._min_keycode + i for i, syms in enumerate(mapping) if not any(syms)
        ]  # keycodes with no keysym at all, as xdotool picks them
        return spare[-MAX_SCRATCH_KEYCODES:]

    # -- pointer ---------------------------------------------------------------------------

    def move(self, x: int, y: int) -> None:
        with self._lock:
            self._xtest.fake_input(self._display, self._X.MotionNotify, x=x, y=y, root=self._root)
            self._display.sync()

    def button(self, button: str, down: bool) -> None:
        event = self._X.ButtonPress if down else self._X.ButtonRelease
        with self._lock:
            self._xtest.fake_input(self._display, event, BUTTONS[button])
            self._display.sync()

    def scroll(self, dx: int, dy: int) -> None:
        clicks = [(WHEEL_BUTTONS["down" if dy > 0 else "up"], abs(dy))]
        clicks.append((WHEEL_BUTTONS["right" if dx > 0 else "left"], abs(dx)))
        with self._lock:
            for button, count in clicks:
                for _ in range(count):
                    self._xtest.fake_input(self._display, self._X.ButtonPress, button)
                    self._xtest.fake_input(self._display, self._X.ButtonRelease, button)
            self._display.sync()

    # -- keys ------------------------------------------------------------------------------

    def key(self, name: str, down: bool) -> None:
        """Press or release a key named by its X keysym name or a single character."""
        if len(name) == 1:
            keysym = char_keysym(name)
        else:
            keysym = self._XK.string_to_keysym(name)
            if not keysym:
                logger.warning("no keysym named %r; key ignored", name)
                return
        with self._lock:
            keycode, _shift = self._keycode(keysym)
            if keycode:
                event = self._X.KeyPress if down else self._X.KeyRelease
                self._xtest.fake_input(self._display, event, keycode)
                self._display.sync()

    def type_text(self, text: str) -> None:
        """Type text character by character, whatever the keyboard map holds."""
        with self._lock:
            for char in text:
                if char == "\n":
                    keysym = self._XK.string_to_keysym("Return")
                elif char == "\t":
                    keysym = self._XK.string_to_keysym("Tab")
                else:
                    keysym = char_keysym(char)
                keycode, shift = self._keycode(keysym)
                if not keycode:
                    continue
                shift_code = self._display.keysym_to_keycode(self._XK.XK_Shift_L)
                if shift:
                    self._xtest.fake_input(self._display, self._X.KeyPress, shift_code)
                self._xtest.fake_input(self._display, self._X.KeyPress, keycode)
                self._xtest.fake_input(self._display, self._X.KeyRelease, keycode)
                if shift:
                    self._xtest.fake_input(self._display, self._X.KeyRelease, shift_code)
                self._display.sync()

    def _keycode(self, keysym: int) -> tuple[int, bool]:
        """(keycode, needs Shift) for a keysym, remapping a spare keycode when none has it."""
        if keysym in self._remapped:
            return self._remapped[keysym], False
        keycode = self._display.keysym_to_keycode(keysym)
        if keycode:
            if self._display.keycode_to_keysym(keycode, 0) == keysym:
                return keycode, False
            if self._display.keycode_to_keysym(keycode, 1) == keysym:
                return keycode, True
        if not self._scratch:
            logger.warning("no spare keycode to type keysym 0x%x", keysym)
            return 0, False
        keycode = self._scratch[self._scratch_next % len(self._scratch)]
        self._scratch_next += 1
        for old, code in list(self._remapped.items()):
            if code == keycode:
                del self._remapped[old]
        self._display.change_keyboard_mapping(keycode, [(keysym,) * self._per_keycode])
        self._display.sync()
        self._remapped[keysym] = keycode
        time.sleep(REMAP_SETTLE_S)
        return keycode, False

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                if self._remapped:
                    time.sleep(RESTORE_SETTLE_S)
                    for keycode in set(self._remapped.values()):
                        self._display.change_keyboard_mapping(keycode, [(0,) * self._per_keycode])
                    self._display.sync()
            finally:
                self._display.close()


# pyautogui's key names for the X keysym names of remote_control.DOM_TO_KEYSYM.
_PYAUTOGUI_KEYS = {
    "Return": "enter", "BackSpace": "backspace", "Escape": "esc", "Prior": "pageup",
    "Next": "pagedown", "Caps_Lock": "capslock", "Menu": "apps", "Print": "printscreen",
    "Scroll_Lock": "scrolllock", "Num_Lock": "numlock", "Shift_L": "shift",
    "Control_L": "ctrl", "Alt_L": "alt", "Super_L": "win", "space": "space",
}  # fmt: skip


class PyAutoGuiSink:
    """Injects with pyautogui (Windows, macOS); see the module docstring for its settings."""

    def __init__(self) -> None:
        try:
            import pyautogui  # noqa: PLC0415
        except ImportError as exc:
            raise NotSupportedError(f"pyautogui is not installed: {exc}") from None
        pyautogui.PAUSE = 0
        pyautogui.FAILSAFE = False
        self._gui: Any = pyautogui

    def move(self, x: int, y: int) -> None:
        self._gui.moveTo(x, y)

    def button(self, button: str, down: bool) -> None:
        (self._gui.mouseDown if down else self._gui.mouseUp)(button=button)

    def scroll(self, dx: int, dy: int) -> None:
        if dy:
            self._gui.scroll(-dy)  # pyautogui: positive scrolls up
        if dx:
            self._gui.hscroll(dx)

    def key(self, name: str, down: bool) -> None:
        key = _PYAUTOGUI_KEYS.get(name, name.lower())
        (self._gui.keyDown if down else self._gui.keyUp)(key)

    def type_text(self, text: str) -> None:
        typable = "".join(c for c in text if c.isascii())
        if typable != text:
            logger.warning("pyautogui cannot type non-ASCII text; %d characters dropped",
                           len(text) - len(typable))  # fmt: skip
        self._gui.write(typable)

    def close(self) -> None:
        pass


def open_sink(display_name: str | None = None) -> Any:
    """The platform's sink: XTEST on Linux, pyautogui elsewhere.

    Raises:
        ScreenError: nothing can inject input here (the message says why).
    """
    if sys.platform.startswith("linux"):
        return XTestSink(display_name)
    return PyAutoGuiSink()
