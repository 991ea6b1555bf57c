"""Control handover inside the presenter process (P3): sink, grant check and hotkey, wired.

:class:`PresenterControl` lives as long as the presenter runner (across reconnects). Each new
screen channel is attached to it: the channel's reader thread hands it ``control_state``,
``mouse_input`` and ``key_input``, which go to :class:`suite.control.remote_control.RemoteControl`.
The hotkey (:mod:`suite.control.hotkey`) revokes locally first, then tells the relay.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from suite.agent.presenter.status import Report, no_report
from suite.control.hotkey import HOTKEY_LABEL, ControlHotkey
from suite.control.injector import open_sink
from suite.control.input_map import InputGeometry
from suite.control.remote_control import RemoteControl
from suite.screen.errors import ScreenError

logger = logging.getLogger(__name__)

CONTROL_MESSAGES = frozenset({"control_state", "mouse_input", "key_input"})


class PresenterControl:
    """Remote control for one presenter runner.

    Args:
        hotkey: grab the take-back hotkey (Ctrl+Alt+End).
        open_sink: makes the input sink (XTEST / pyautogui by default).
        open_hotkey: makes the hotkey grabber.
        report: tells the agent app what the customer holds (``control`` event).
    """

    def __init__(
        self,
        hotkey: bool = True,
        open_sink: Callable[[], Any] = open_sink,
        open_hotkey: Callable[[Callable[[], None]], Any] = ControlHotkey,
        report: Report = no_report,
    ) -> None:
        self._report = report
        self.control: RemoteControl | None = None
        self.hotkey: Any = None
        self._channel: Any = None
        self._geometry: Callable[[], InputGeometry | None] = lambda: None
        try:
            self.control = RemoteControl(open_sink(), lambda: self._geometry())
        except ScreenError as exc:
            logger.warning("remote control is off: %s", exc)
        if hotkey and self.control is not None:
            try:
                self.hotkey = open_hotkey(self.revoke_by_hotkey)
            except ScreenError as exc:
                logger.warning("no %s hotkey: %s", HOTKEY_LABEL, exc)

    def attach(self, channel: Any, geometry: Callable[[], InputGeometry | None]) -> None:
        """Take control messages from a (new) screen channel; forget the old grant."""
        self._channel = channel
        self._geometry = geometry
        if self.control is not None:
            self.control.revoke()  # the relay sends the current control_state after welcome
        channel.on_control = self.on_message

    def on_message(self, body: dict[str, Any]) -> None:
        """A control message from the relay (on the channel's reader thread)."""
        if self.control is None:
            return
        if body.get("type") == "control_state":
            self.control.on_state(body)
            mouse, keyboard = self.control.mouse, self.control.keyboard
            logger.info("control state: mouse %s, keyboard %s", mouse, keyboard)
            self._report("control", mouse=mouse, keyboard=keyboard)
        else:
            self.control.on_input(body)

    def revoke_by_hotkey(self) -> None:
        """The agent pressed the hotkey: nothing more gets in from now, then tell the relay."""
        self.take_back(f"{HOTKEY_LABEL} pressed")

    def take_back(self, why: str) -> None:
        """Take both kinds of control back (the hotkey, or the app's ``revoke`` command)."""
        if self.control is not None:
            self.control.revoke()
        logger.info("%s: control taken back", why)
        channel = self._channel
        if channel is not None and not channel.closed:
            try:
                channel.send_message("revoke_control")
            except Exception as exc:  # the socket is going: the relay clears it anyway
                logger.warning("could not tell the relay about the revoke: %s", exc)

    def close(self) -> None:
        if self.hotkey is not None:
            self.hotkey.close()
            self.hotkey = None
        if self.control is not None:
            self.control.close()
