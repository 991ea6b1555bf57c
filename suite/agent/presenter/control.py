"""Control handover inside the presenter process (P3): sink, grant check and hotkey, wired.

:class:`PresenterControl` lives as long as the presenter runner (across reconnects). Each new
screen channel is attached to it: the channel's reader thread hands it ``control_state``,
``mouse_input`` and ``key_input``, which go to :class:`suite.control.remote_control.RemoteControl`.
The hotkey (:mod:`suite.control.hotkey`) revokes locally first, then tells the relay.

Input is injected on a thread of its own, fed by a bounded queue: the reader thread only
queues, so a burst of input never holds up ``control_state`` (a revoke applies at once) or
capture credits, and a queue that is full drops input (counted in :attr:`dropped`, logged at
most every few seconds) and never the socket. A ``control_state`` drops what is still queued:
it was sent under the grant that just changed.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from suite.agent.presenter.status import Report, no_report
from suite.control.hotkey import HOTKEY_LABEL, ControlHotkey
from suite.control.injector import open_sink
from suite.control.input_map import InputGeometry
from suite.control.remote_control import RemoteControl
from suite.protocol import MessageType, RevokeControl
from suite.screen.errors import ScreenError

logger = logging.getLogger(__name__)

# Two seconds of input at the relay's per-viewer rate (120 events/s, docs/protocol.md).
INPUT_QUEUE_EVENTS = 256
DROP_LOG_INTERVAL_S = 5.0
_STOP = object()


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
        self._inputs: queue.Queue[Any] = queue.Queue(INPUT_QUEUE_EVENTS)
        self._injector: threading.Thread | None = None
        self.dropped = 0
        self._drops_logged_at = float("-inf")
        try:
            self.control = RemoteControl(open_sink(), lambda: self._geometry())
        except ScreenError as exc:
            logger.warning("remote control is off: %s", exc)
        if self.control is not None:
            self._injector = threading.Thread(
                target=self._inject_loop, name="control-input", daemon=True
            )
            self._injector.start()
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
        if body.get("type") == MessageType.CONTROL_STATE:
            self._discard_queued()
            self.control.on_state(body)
            mouse, keyboard = self.control.mouse, self.control.keyboard
            logger.info("control state: mouse %s, keyboard %s", mouse, keyboard)
            self._report("control", mouse=mouse, keyboard=keyboard)
            return
        try:
            self._inputs.put_nowait(body)
        except queue.Full:
            self._dropped(1)

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until every queued input was handled (tests); False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self._inputs.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def _inject_loop(self) -> None:
        assert self.control is not None
        while True:
            body = self._inputs.get()
            try:
                if body is _STOP:
                    return
                self.control.on_input(body)
            except Exception:
                logger.exception("injecting input failed")
            finally:
                self._inputs.task_done()

    def _discard_queued(self) -> None:
        discarded = 0
        while True:
            try:
                self._inputs.get_nowait()
            except queue.Empty:
                break
            self._inputs.task_done()
            discarded += 1
        if discarded:
            self._dropped(discarded)

    def _dropped(self, count: int) -> None:
        self.dropped += count
        now = time.monotonic()
        if now - self._drops_logged_at >= DROP_LOG_INTERVAL_S:
            self._drops_logged_at = now
            logger.warning("input dropped: more than the desktop takes (%d so far)", self.dropped)

    def revoke_by_hotkey(self) -> None:
        """The agent pressed the hotkey: nothing more gets in from now, then tell the relay."""
        self.take_back(f"{HOTKEY_LABEL} pressed")

    def take_back(self, why: str, mouse: bool = True, keyboard: bool = True) -> None:
        """Take control back (the hotkey: both; the app's ``revoke`` command: both or one)."""
        if self.control is not None:
            self.control.revoke(mouse, keyboard)
        kinds = "mouse and keyboard" if mouse and keyboard else "mouse" if mouse else "keyboard"
        logger.info("%s: %s control taken back", why, kinds)
        channel = self._channel
        if channel is not None and not channel.closed:
            try:
                channel.send_message(RevokeControl(mouse=mouse, keyboard=keyboard))
            except Exception as exc:  # the socket is going: the relay clears it anyway
                logger.warning("could not tell the relay about the revoke: %s", exc)

    def close(self) -> None:
        if self.hotkey is not None:
            self.hotkey.close()
            self.hotkey = None
        if self._injector is not None:
            self._discard_queued()
            self._inputs.put(_STOP)
            self._injector.join(timeout=2)
            self._injector = None
        if self.control is not None:
            self.control.close()
