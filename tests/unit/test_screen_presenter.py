"""The presenter loop with a recording channel and a synthetic screen (no X, no relay)."""

from __future__ import annotations

import json
import threading
from typing import Any

import numpy as np

from suite.agent.presenter.channel import ScreenChannel
from suite.agent.presenter.loop import Presenter, PresenterConfig
from suite.agent.presenter.runner import PresenterRunner
from suite.protocol import WireMessage
from suite.screen.capture import SyntheticSource
from suite.screen.frames import RegionFrame
from suite.screen.pointer import css_cursor
from suite.screen.regions import Rect
from suite.screen.windows_x11 import WindowInfo

W, H = 256, 128
TIMEOUT_S = 5.0


class RecordingChannel:
    """Hands out credit on demand and records what the presenter sends."""

    def __init__(self, paced_by_relay: bool = True) -> None:
        self.paced_by_relay = paced_by_relay
        self.messages: list[dict[str, Any]] = []
        self.frames: list[RegionFrame] = []
        self.credit = 0
        self.cond = threading.Condition()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def grant(self, frames: int = 1) -> None:
        with self.cond:
            self.credit += frames
            self.cond.notify_all()

    def wait_credit(self, timeout_s: float) -> bool:
        with self.cond:
            self.cond.wait_for(lambda: self.credit > 0 or not self.paced_by_relay, timeout_s)
            return self.credit > 0 or not self.paced_by_relay

    def take_credit(self) -> None:
        with self.cond:
            self.credit = max(0, self.credit - 1)

    def drop_credit(self) -> None:
        with self.cond:
            self.credit = 0

    def send_message(self, message: WireMessage) -> None:
        with self.cond:
            self.messages.append(json.loads(message.to_frame()))
            self.cond.notify_all()

    def send_frame(self, frame: bytes) -> None:
        with self.cond:
            self.frames.append(RegionFrame.parse(frame))
            self.cond.notify_all()

    def wait(self, predicate, what: str) -> None:
        with self.cond:
            assert self.cond.wait_for(predicate, TIMEOUT_S), f"timed out waiting for {what}"


def screen(n: int) -> np.ndarray:
    frame = np.zeros((H, W, 4), np.uint8)
    frame[..., 3] = 255
    frame[: 10 + n % 50, :100, 1] = 200  # grows each capture: always a change
    return frame


class FixedWindows:
    def __init__(self, rects: list[Rect]) -> None:
        self.current = rects

    def windows(self) -> list[WindowInfo]:
        return [WindowInfo(i, f"w{i}", r) for i, r in enumerate(self.current)]

    def rects(self, ids: list[int]) -> list[Rect]:
        return [self.current[i] for i in ids]

    def close(self) -> None:
        pass


def start(channel: RecordingChannel, config: PresenterConfig | None = None, **kwargs) -> tuple:
    source = SyntheticSource(W, H, screen)
    presenter = Presenter(channel, config or PresenterConfig(max_fps=1000),
                          open_source=lambda monitor: source, **kwargs)  # fmt: skip
    thread = threading.Thread(target=presenter.run, daemon=True)
    thread.start()
    return presenter, thread, source


def test_nothing_is_captured_without_credit():
    """present_start goes out at once; captures wait for capture_credit."""
    channel = RecordingChannel()
    presenter, thread, source = start(channel)
    channel.wait(lambda: channel.messages, "present_start")
    assert channel.messages[0] == {
        "type": "present_start", "screen_w": W, "screen_h": H, "control": True,
    }  # fmt: skip
    assert source.count == 0 and not channel.frames
    channel.grant(1)
    # The presenter may send the frame a moment before it takes the credit: wait for both.
    channel.wait(lambda: channel.frames and channel.credit == 0, "a frame, its credit spent")
    assert channel.frames[0].key and len({f.capture_ms for f in channel.frames}) == 1
    presenter.stop()
    thread.join(TIMEOUT_S)
    assert channel.messages[-1] == {"type": "present_stop"}


def test_each_credit_buys_one_capture():
    """Three credits, three captures sent, each with its own capture time."""
    channel = RecordingChannel()
    presenter, thread, source = start(channel)
    for expected in (1, 2, 3):
        channel.grant(1)
        channel.wait(lambda n=expected: len({f.capture_ms for f in channel.frames}) == n,
                     f"capture {expected}")  # fmt: skip
    presenter.stop()
    thread.join(TIMEOUT_S)
    assert [f.seq for f in channel.frames] == list(range(1, len(channel.frames) + 1))


def test_pause_stops_capturing_and_resume_goes_on():
    """While paused no capture is made even with credit; resume restarts it."""
    channel = RecordingChannel()
    presenter, thread, source = start(channel)
    presenter.pause()
    channel.wait(lambda: {"type": "present_pause"} in channel.messages, "present_pause")
    captured = source.count
    channel.grant(5)
    presenter.resume()
    channel.wait(lambda: {"type": "present_resume"} in channel.messages, "present_resume")
    channel.wait(lambda: channel.frames, "a frame after resume")
    assert source.count > captured
    presenter.stop()
    thread.join(TIMEOUT_S)


def test_a_relay_without_credit_is_paced_locally():
    """With paced_by_relay False the presenter captures on its own clock."""
    channel = RecordingChannel(paced_by_relay=False)
    presenter, thread, _ = start(channel, PresenterConfig(max_fps=200))
    channel.wait(lambda: len(channel.frames) >= 3, "three frames")
    presenter.stop()
    thread.join(TIMEOUT_S)


def test_window_sharing_masks_and_follows_the_window():
    """Only the shared window's rectangle carries pixels; a move is followed."""
    channel = RecordingChannel(paced_by_relay=False)
    windows = FixedWindows([Rect(0, 0, 50, 40)])
    config = PresenterConfig(window_ids=[0], max_fps=200)
    presenter, thread, _ = start(channel, config, open_windows=lambda: windows)
    channel.wait(lambda: channel.frames, "the first frame")
    assert presenter.stream is not None and presenter.stream.mask is not None
    assert presenter.stream.mask.rects == (Rect(0, 0, 50, 40),)
    windows.current = [Rect(60, 10, 50, 40)]
    channel.wait(
        lambda: presenter.stream.mask.rects == (Rect(60, 10, 50, 40),), "the mask to follow"
    )
    presenter.stop()
    thread.join(TIMEOUT_S)


def test_x_cursor_names_become_css_cursors():
    """Theme and core-font names map to CSS; unknown or missing names give None."""
    assert css_cursor("xterm") == "text" and css_cursor("hand2") == "pointer"
    assert css_cursor("left_ptr") == "default" and css_cursor("sb_h_double_arrow") == "ew-resize"
    assert css_cursor("no-such-cursor") is None and css_cursor(None) is None


def test_runner_commands_change_what_the_next_presentation_shares():
    """monitor, windows and pause are kept for reconnects; bad commands are ignored."""
    runner = PresenterRunner("ws://relay/ws", "token", "session", PresenterConfig(), True)
    runner.command("monitor 2")
    runner.command("windows 0x10,17")
    runner.command("pause")
    runner.command("windows nonsense")
    runner.command("fly away")
    assert runner.config.monitor == 2 and runner.config.window_ids == [16, 17]
    assert runner._paused
    runner.command("windows all")
    assert runner.config.window_ids is None


def test_channel_counts_capture_credit():
    """capture_credit adds up; taking one spends one; malformed credit is ignored."""
    channel = ScreenChannel("ws://127.0.0.1:1/ws", "token", "session")
    assert not channel.wait_credit(0.01)
    channel._handle({"type": "capture_credit", "frames": 2})
    channel._handle({"type": "capture_credit", "frames": True})
    channel._handle({"type": "capture_credit", "frames": -1})
    assert channel.credit == 2 and channel.wait_credit(0.01)
    channel.take_credit()
    channel.take_credit()
    assert channel.credit == 0 and not channel.wait_credit(0.01)


def test_channel_paces_itself_only_for_a_relay_that_never_gives_credit():
    """A not_allowed before any credit means a preview relay; after credit it is just an error."""
    preview = ScreenChannel("ws://127.0.0.1:1/ws", "token", "session")
    preview._handle({"type": "error", "code": "not_allowed", "message": "binary only"})
    assert not preview.paced_by_relay and preview.wait_credit(0.01)
    modern = ScreenChannel("ws://127.0.0.1:1/ws", "token", "session")
    modern._handle({"type": "capture_credit", "frames": 1})
    modern._handle({"type": "error", "code": "not_allowed", "message": "no"})
    assert modern.paced_by_relay and modern.errors[-1]["code"] == "not_allowed"
