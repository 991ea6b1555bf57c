"""Control handover (P3): the customer asks, the agent grants or takes back, the viewer
sends input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from suite.protocol.base import (
    ErrorCode,
    MessageType,
    ProtocolError,
    WireMessage,
    _field,
    encode,
    wire,
)
from suite.protocol.screen import MAX_SCREEN_SIDE

MOUSE_ACTIONS = ("move", "down", "up", "wheel")
MOUSE_BUTTONS = ("left", "middle", "right")
KEY_ACTIONS = ("down", "up", "text")
KEY_MODIFIERS = ("shift", "ctrl", "alt", "meta")
MAX_INPUT_TEXT_CHARS = 256
MAX_KEY_NAME_CHARS = 32
MAX_WHEEL_STEPS = 20
MAX_CUSTOMER_ID_CHARS = 64


@dataclass(frozen=True, slots=True)
class RequestControl(WireMessage):
    type: ClassVar[MessageType] = MessageType.REQUEST_CONTROL


def _control_kinds(body: dict[str, Any], message_type: str, default: bool) -> tuple[bool, bool]:
    mouse = _field(body, "mouse", bool, message_type, required=False)
    keyboard = _field(body, "keyboard", bool, message_type, required=False)
    return (default if mouse is None else mouse, default if keyboard is None else keyboard)


@dataclass(frozen=True, slots=True)
class GrantControl(WireMessage):
    """The agent hands over the mouse and/or the keyboard (what is false stays as it is).

    ``customer_id`` names the customer it goes to (the ``customer_id`` of ``requested_by`` in
    the agent's ``control_state``); None: the session's current customer.
    """

    type: ClassVar[MessageType] = MessageType.GRANT_CONTROL
    mouse: bool = wire(bool, optional=True)
    keyboard: bool = wire(bool, optional=True)
    customer_id: str | None = wire(
        str, optional=True, low=1, high=MAX_CUSTOMER_ID_CHARS, default=None
    )

    @classmethod
    def parse(cls, body: dict[str, Any]) -> GrantControl:
        t = str(cls.type)
        mouse, keyboard = _control_kinds(body, t, default=False)
        if not (mouse or keyboard):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "grant_control grants nothing", t)
        customer_id = _field(body, "customer_id", str, t, required=False)
        if customer_id is not None and not 0 < len(customer_id) <= MAX_CUSTOMER_ID_CHARS:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE, f"'customer_id' must be 1-{MAX_CUSTOMER_ID_CHARS} chars", t
            )
        return cls(mouse=mouse, keyboard=keyboard, customer_id=customer_id)


@dataclass(frozen=True, slots=True)
class RevokeControl(WireMessage):
    """The agent takes back the mouse and/or the keyboard (both when neither is named)."""

    type: ClassVar[MessageType] = MessageType.REVOKE_CONTROL
    mouse: bool = wire(bool, optional=True, default=True)
    keyboard: bool = wire(bool, optional=True, default=True)

    @classmethod
    def parse(cls, body: dict[str, Any]) -> RevokeControl:
        mouse, keyboard = _control_kinds(body, str(cls.type), default=True)
        return cls(mouse=mouse, keyboard=keyboard)


def _choice(body: dict[str, Any], name: str, choices: tuple[str, ...], message_type: str) -> str:
    value = _field(body, name, str, message_type)
    if value not in choices:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE,
            f"'{name}' of {message_type} must be one of {', '.join(sorted(choices))}",
            message_type,
        )
    return value


@dataclass(frozen=True, slots=True)
class MouseInput(WireMessage):
    """A pointer event in pixels of the shared picture (the presenter adds the monitor origin)."""

    type: ClassVar[MessageType] = MessageType.MOUSE_INPUT
    action: str = wire(str, choices=MOUSE_ACTIONS)
    x: int = wire(int, low=0, high=MAX_SCREEN_SIDE - 1)
    y: int = wire(int, low=0, high=MAX_SCREEN_SIDE - 1)
    button: str = wire(str, optional=True, choices=MOUSE_BUTTONS, default="left")
    dx: int = wire(int, optional=True, low=-MAX_WHEEL_STEPS, high=MAX_WHEEL_STEPS, default=0)
    dy: int = wire(int, optional=True, low=-MAX_WHEEL_STEPS, high=MAX_WHEEL_STEPS, default=0)

    @classmethod
    def parse(cls, body: dict[str, Any]) -> MouseInput:
        t = str(cls.type)
        action = _choice(body, "action", MOUSE_ACTIONS, t)
        x, y = _field(body, "x", int, t), _field(body, "y", int, t)
        if not (0 <= x < MAX_SCREEN_SIDE and 0 <= y < MAX_SCREEN_SIDE):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "x and y must be on the screen", t)
        button = "left"
        if action in ("down", "up"):
            button = _choice(body, "button", MOUSE_BUTTONS, t)
        dx = dy = 0
        if action == "wheel":
            dx = _field(body, "dx", int, t, required=False) or 0
            dy = _field(body, "dy", int, t, required=False) or 0
            if max(abs(dx), abs(dy)) > MAX_WHEEL_STEPS:
                raise ProtocolError(
                    ErrorCode.BAD_MESSAGE, f"wheel steps are limited to {MAX_WHEEL_STEPS}", t
                )
        return cls(action=action, x=x, y=y, button=button, dx=dx, dy=dy)

    def to_frame(self) -> str:
        fields: dict[str, Any] = {"action": self.action, "x": self.x, "y": self.y}
        if self.action in ("down", "up"):
            fields["button"] = self.button
        elif self.action == "wheel":
            fields.update(dx=self.dx, dy=self.dy)
        return encode(MessageType.MOUSE_INPUT, **fields)


@dataclass(frozen=True, slots=True)
class KeyInput(WireMessage):
    """A key pressed or released (DOM ``key``/``code`` names), or text to type (IME, Korean)."""

    type: ClassVar[MessageType] = MessageType.KEY_INPUT
    action: str = wire(str, choices=KEY_ACTIONS)
    key: str = wire(str, optional=True, low=1, high=MAX_KEY_NAME_CHARS, default="")
    code: str = wire(str, optional=True, high=MAX_KEY_NAME_CHARS, default="")
    modifiers: tuple[str, ...] = wire(list, optional=True, default=())
    text: str = wire(str, optional=True, low=1, high=MAX_INPUT_TEXT_CHARS, default="")

    @classmethod
    def parse(cls, body: dict[str, Any]) -> KeyInput:
        t = str(cls.type)
        action = _choice(body, "action", KEY_ACTIONS, t)
        if action == "text":
            text = _field(body, "text", str, t)
            if not 0 < len(text) <= MAX_INPUT_TEXT_CHARS:
                raise ProtocolError(
                    ErrorCode.BAD_MESSAGE, f"'text' must be 1-{MAX_INPUT_TEXT_CHARS} chars", t
                )
            if any(ord(c) < 0x20 and c not in "\t\n" or ord(c) == 0x7F for c in text):
                raise ProtocolError(ErrorCode.BAD_MESSAGE, "'text' holds control characters", t)
            return cls(action=action, text=text)
        key = _field(body, "key", str, t)
        code = _field(body, "code", str, t, required=False) or ""
        if not 0 < len(key) <= MAX_KEY_NAME_CHARS or len(code) > MAX_KEY_NAME_CHARS:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE, f"'key' must be 1-{MAX_KEY_NAME_CHARS} chars", t
            )
        modifiers = _field(body, "modifiers", list, t, required=False) or []
        if not all(isinstance(m, str) and m in KEY_MODIFIERS for m in modifiers):
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE, f"'modifiers' may hold {', '.join(KEY_MODIFIERS)}", t
            )
        ordered = tuple(m for m in KEY_MODIFIERS if m in modifiers)
        return cls(action=action, key=key, code=code, modifiers=ordered)

    def to_frame(self) -> str:
        if self.action == "text":
            return encode(MessageType.KEY_INPUT, action=self.action, text=self.text)
        return encode(
            MessageType.KEY_INPUT,
            action=self.action,
            key=self.key,
            code=self.code,
            modifiers=list(self.modifiers),
        )
