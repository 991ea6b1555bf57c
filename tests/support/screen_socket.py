"""Customer screen sockets for the integration tests: watch what the relay forwards.

- :func:`screen_hello`: the ``hello`` of a screen socket, built with ``suite.protocol.encode``.
- :func:`screen_sockets`: the agent's presenter socket and N customer viewer sockets, each
  welcomed (ChatClient objects, read by the test itself).
- :class:`ScreenWatcher`: a customer screen socket read on its own thread: keeps the text
  messages, counts and acks the region frames; ``wait_for(predicate, what)`` blocks on them.
- :class:`CanvasWatcher`: also pastes every region onto an RGB picture of the shared screen
  (Pillow decodes), so a test can ask for the colour of one pixel.
- :class:`Viewer`: pastes regions with the presenter's own decoder and remembers which pixels
  came from a lossless frame, and when each frame arrived.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from suite.protocol import Channel, MessageType, Role, encode
from suite.screen.frames import RegionFrame
from tests.support.chat_client import ChatClient, hello_frame, open_socket
from tests.support.conversation import Conversation

# The first picture needs the presenter process started and capturing: 15 s was too short for
# parallel runs on a loaded machine (the wait ends on the frame, so it costs nothing otherwise).
WAIT_S = 30.0


def screen_hello(role: Role | str, session_id: str, token: str) -> str:
    """The ``hello`` frame that opens a screen socket (agent: presenter; customer: viewer)."""
    return hello_frame(role, session_id, token, channel=Channel.SCREEN)


def screen_sockets(relay, talk: Conversation, viewers: int = 1):
    """The agent's screen socket and ``viewers`` customer screen sockets, all welcomed; each
    viewer has read its first ``screen_state`` (waiting).

    Returns:
        (presenter, [viewer, ...]) as ChatClient objects; the test closes them.
    """
    presenter = ChatClient(relay.ws_url, Role.AGENT, talk.session_id, talk.token)
    assert presenter.connect(channel=Channel.SCREEN)["type"] == MessageType.WELCOME
    sockets = []
    for _ in range(viewers):
        viewer = ChatClient(
            relay.ws_url, Role.CUSTOMER, talk.session_id, talk.joined["customer_token"]
        )
        assert viewer.connect(channel=Channel.SCREEN)["type"] == MessageType.WELCOME
        assert viewer.recv_type(MessageType.SCREEN_STATE)["state"] == "waiting"
        sockets.append(viewer)
    return presenter, sockets


class ScreenWatcher:
    """A customer's screen socket: keeps the text messages, counts (and acks) region frames."""

    def __init__(self, conversation: Conversation, ws_url: str) -> None:
        self.ws = open_socket(ws_url)
        self.ws.send(
            screen_hello(
                Role.CUSTOMER, conversation.session_id, conversation.joined["customer_token"]
            )
        )
        welcome = json.loads(self.ws.recv(timeout=5))
        assert welcome["type"] == MessageType.WELCOME, welcome
        self.texts: list[dict[str, Any]] = []
        self.frames = 0
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for message in self.ws:
                if isinstance(message, str):
                    with self._cond:
                        self.texts.append(json.loads(message))
                        self._cond.notify_all()
                    continue
                frame = RegionFrame.parse(message)
                with self._cond:
                    self._on_frame(frame)
                    self.frames += 1
                    self._cond.notify_all()
                self.ws.send(encode(MessageType.SCREEN_ACK, seq=frame.seq))
        except Exception:  # closed at the end of the test
            with self._cond:
                self._cond.notify_all()

    def _on_frame(self, frame: RegionFrame) -> None:
        """What a subclass keeps of each region frame (called with the lock held)."""

    def states(self) -> list[str]:
        """The ``state`` of every ``screen_state`` received so far, in order."""
        return [t["state"] for t in self.texts if t.get("type") == MessageType.SCREEN_STATE]

    def wait_for(
        self, predicate: Callable[[Any], Any], what: str = "", timeout: float = WAIT_S
    ) -> None:
        """Block until ``predicate(self)`` holds (checked after every message).

        Raises:
            AssertionError: not within ``timeout`` seconds; names ``what`` and the last texts.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self), timeout):
                raise AssertionError(
                    f"timed out waiting for {what or predicate}; got {self.texts[-10:]}"
                )

    def close(self) -> None:
        self.ws.close()


class CanvasWatcher(ScreenWatcher):
    """A screen socket that also pastes every region frame onto an RGB picture of the screen."""

    def __init__(self, *args: Any) -> None:
        self.canvas: np.ndarray | None = None
        self.regions: list[np.ndarray] = []  # every region received, decoded
        super().__init__(*args)

    def _on_frame(self, frame: RegionFrame) -> None:
        from PIL import Image  # noqa: PLC0415 - only the canvas tests need Pillow

        region = np.asarray(Image.open(io.BytesIO(frame.payload)).convert("RGB"))
        self.regions.append(region)
        shape = (frame.screen_h, frame.screen_w, 3)
        if self.canvas is None or self.canvas.shape != shape:
            self.canvas = np.zeros(shape, dtype=np.uint8)
        self.canvas[frame.y : frame.y + frame.h, frame.x : frame.x + frame.w] = region

    def pixel(self, x: int, y: int) -> tuple[int, ...] | None:
        with self._cond:
            return None if self.canvas is None else tuple(int(v) for v in self.canvas[y, x])

    def frames_with(self, color: tuple[int, int, int]) -> int:
        """How many of the regions received so far contain a pixel of exactly ``color``."""
        with self._cond:
            return sum(bool(np.all(r == color, axis=-1).any()) for r in self.regions)


@dataclass
class Received:
    """One region frame a :class:`Viewer` got: the frame, its decoded RGB pixels, and when."""

    frame: RegionFrame
    pixels: np.ndarray
    at: float


class Viewer(ScreenWatcher):
    """A customer's screen socket that composites every region frame onto a canvas of the
    given size with the presenter's own decoder, and marks the pixels painted losslessly."""

    def __init__(self, conversation: Conversation, ws_url: str, screen: tuple[int, int]) -> None:
        width, height = screen
        self.canvas = np.zeros((height, width, 3), np.uint8)
        self.exact = np.zeros((height, width), bool)
        self.received: list[Received] = []
        super().__init__(conversation, ws_url)

    def _on_frame(self, frame: RegionFrame) -> None:
        from suite.screen.encoders import decode  # noqa: PLC0415 - a desktop dependency

        pixels = decode(frame.payload)
        area = (slice(frame.y, frame.y + frame.h), slice(frame.x, frame.x + frame.w))
        self.canvas[area] = pixels
        self.exact[area] = frame.lossless
        self.received.append(Received(frame, pixels, time.monotonic()))
