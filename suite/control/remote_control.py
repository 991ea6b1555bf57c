"""The presenter's side of control handover (P3): check the grant again, map, inject (pure).

The relay forwards ``mouse_input`` / ``key_input`` only from a viewer holding the matching
grant; this gate does not trust that. It keeps its own copy of the grant from the relay's
``control_state`` (and the agent's hotkey revokes it locally at once, before the relay hears
of it), parses every input message again with the protocol's own parsers, maps pointer events
onto the desktop (:mod:`suite.control.input_map`) and hands them to an :class:`InputSink`.

Everything pressed through the sink is remembered, and released when a grant is lost, when
``control_state`` changes at all (a holder left, control moved to another viewer), and when
the presenter stops: a customer's held Shift or mouse button never outlives their control.

Thread-safe: the socket's reader thread delivers input and state, the hotkey thread revokes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from suite.control.input_map import InputGeometry
from suite.protocol import KeyInput, MessageType, MouseInput, ProtocolError

logger = logging.getLogger(__name__)

# DOM KeyboardEvent.key names -> X keysym names (the sinks' common key language). A single
# printable character is passed as itself.
DOM_TO_KEYSYM = {
    "Enter": "Return", "Backspace": "BackSpace", "Tab": "Tab", "Escape": "Escape",
    "Delete": "Delete", "Insert": "Insert", "Home": "Home", "End": "End",
    "PageUp": "Prior", "PageDown": "Next", "ArrowLeft": "Left", "ArrowRight": "Right",
    "ArrowUp": "Up", "ArrowDown": "Down", "CapsLock": "Caps_Lock", "ContextMenu": "Menu",
    "PrintScreen": "Print", "ScrollLock": "Scroll_Lock", "Pause": "Pause",
    "NumLock": "Num_Lock", " ": "space", "Spacebar": "space",
    **{f"F{n}": f"F{n}" for n in range(1, 25)},
}  # fmt: skip
MODIFIER_KEYSYMS = {"shift": "Shift_L", "ctrl": "Control_L", "alt": "Alt_L", "meta": "Super_L"}
# Bare modifier keys travel in `modifiers`, never as keys of their own (docs/protocol.md).
MODIFIER_DOM_KEYS = frozenset({"Shift", "Control", "Alt", "Meta", "AltGraph", "OS", "Super"})


class InputSink(Protocol):
    """Injects input into the agent's desktop (``suite.control.injector``)."""

    def move(self, x: int, y: int) -> None: ...
    def button(self, button: str, down: bool) -> None: ...
    def scroll(self, dx: int, dy: int) -> None: ...
    def key(self, name: str, down: bool) -> None: ...
    def type_text(self, text: str) -> None: ...
    def close(self) -> None: ...


def keysym_name(dom_key: str) -> str | None:
    """The sink's name for a DOM ``key``; None for keys that are not injected."""
    if dom_key in MODIFIER_DOM_KEYS:
        return None
    if dom_key in DOM_TO_KEYSYM:
        return DOM_TO_KEYSYM[dom_key]
    if len(dom_key) == 1 and dom_key.isprintable():
        return dom_key.lower() if dom_key.isascii() else dom_key
    return None


@dataclass
class ControlStats:
    injected: int = 0
    refused: int = 0
    outside: int = 0
    releases: int = 0


class RemoteControl:
    """Grant check, mapping and held-input bookkeeping in front of an :class:`InputSink`.

    Args:
        sink: does the injecting; called with this object's lock held.
        geometry: returns where the shared picture is now (None before the first capture).
    """

    def __init__(self, sink: InputSink, geometry: Callable[[], InputGeometry | None]) -> None:
        self.sink = sink
        self.geometry = geometry
        self.mouse = False
        self.keyboard = False
        self.stats = ControlStats()
        self._buttons: set[str] = set()
        self._keys: dict[str, tuple[str, ...]] = {}  # held key -> the modifiers pressed with it
        self._modifiers: dict[str, int] = {}  # held modifier keysym -> how many keys hold it
        self._lock = threading.Lock()

    # -- grant ---------------------------------------------------------------------------------

    def on_state(self, body: dict[str, Any]) -> None:
        """The relay's ``control_state``: take the grant, release whatever was held."""
        with self._lock:
            self.mouse = body.get("mouse") is True
            self.keyboard = body.get("keyboard") is True
            self._release_all()

    def revoke(self, mouse: bool = True, keyboard: bool = True) -> None:
        """Take both back here and now (the agent's hotkey, a pause, the presenter stopping),
        or only one kind (the connection notice). Whatever was held is released, as a
        ``control_state`` does."""
        with self._lock:
            self.mouse = self.mouse and not mouse
            self.keyboard = self.keyboard and not keyboard
            self._release_all()

    # -- input ---------------------------------------------------------------------------------

    def on_input(self, body: dict[str, Any]) -> bool:
        """Inject one ``mouse_input`` / ``key_input`` from the relay if it is allowed.

        Returns:
            True when something was injected.
        """
        kind = body.get("type")
        try:
            if kind == MessageType.MOUSE_INPUT:
                message: MouseInput | KeyInput = MouseInput.parse(body)
            elif kind == MessageType.KEY_INPUT:
                message = KeyInput.parse(body)
            else:
                return False
        except ProtocolError as error:
            logger.warning("ignoring malformed input: %s", error.message)
            self.stats.refused += 1
            return False
        with self._lock:
            if isinstance(message, MouseInput):
                return self._mouse(message)
            return self._key(message)

    def _mouse(self, message: MouseInput) -> bool:
        if not self.mouse:
            self.stats.refused += 1
            return False
        if message.action == "up":
            if message.button not in self._buttons:
                return False  # never pressed here: nothing to let go of
            self._buttons.discard(message.button)
            self.sink.button(message.button, False)
            self.stats.injected += 1
            return True
        geometry = self.geometry()
        point = geometry.to_desktop(message.x, message.y) if geometry else None
        if point is None:
            self.stats.outside += 1
            return False
        self.sink.move(*point)
        if message.action == "down":
            if message.button in self._buttons:
                self.sink.button(message.button, False)
            self._buttons.add(message.button)
            self.sink.button(message.button, True)
        elif message.action == "wheel":
            self.sink.scroll(message.dx, message.dy)
        self.stats.injected += 1
        return True

    def _key(self, message: KeyInput) -> bool:
        if not self.keyboard:
            self.stats.refused += 1
            return False
        if message.action == "text":
            self.sink.type_text(message.text)
            self.stats.injected += 1
            return True
        name = keysym_name(message.key)
        if name is None:
            return False
        if message.action == "up":
            modifiers = self._keys.pop(name, None)
            if modifiers is None:
                return False
            self.sink.key(name, False)
            self._let_go_modifiers(modifiers)
            self.stats.injected += 1
            return True
        if name in self._keys:  # auto-repeat: press again without new modifiers
            self.sink.key(name, False)
            self.sink.key(name, True)
            self.stats.injected += 1
            return True
        modifiers = tuple(MODIFIER_KEYSYMS[m] for m in message.modifiers)
        for modifier in modifiers:
            if not self._modifiers.get(modifier):
                self.sink.key(modifier, True)
            self._modifiers[modifier] = self._modifiers.get(modifier, 0) + 1
        self._keys[name] = modifiers
        self.sink.key(name, True)
        self.stats.injected += 1
        return True

    def _let_go_modifiers(self, modifiers: tuple[str, ...]) -> None:
        for modifier in reversed(modifiers):
            count = self._modifiers.get(modifier, 0) - 1
            if count <= 0:
                self._modifiers.pop(modifier, None)
                self.sink.key(modifier, False)
            else:
                self._modifiers[modifier] = count

    def _release_all(self) -> None:
        """Let go of every key, modifier and button pressed through the sink."""
        try:
            for name in list(self._keys):
                self.sink.key(name, False)
                self.stats.releases += 1
            for modifier in list(self._modifiers):
                self.sink.key(modifier, False)
                self.stats.releases += 1
            for button in list(self._buttons):
                self.sink.button(button, False)
                self.stats.releases += 1
        except Exception:
            logger.exception("releasing held input failed")
        finally:
            self._keys.clear()
            self._modifiers.clear()
            self._buttons.clear()

    @property
    def held(self) -> dict[str, list[str]]:
        """What is pressed now (for tests and stats)."""
        with self._lock:
            return {
                "keys": sorted(self._keys),
                "modifiers": sorted(self._modifiers),
                "buttons": sorted(self._buttons),
            }

    def close(self) -> None:
        """The presentation is over: release everything, close the sink."""
        self.revoke()
        try:
            self.sink.close()
        except Exception:
            logger.exception("closing the input sink failed")
