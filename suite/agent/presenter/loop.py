"""The presenter's capture loop: the agent's screen as changed regions to the relay.

The loop, per capture: wait for the relay's ``capture_credit`` (no viewer or paused: no credit,
so no capture), grab the chosen monitor with mss, hand the frame to
:class:`suite.screen.stream.ScreenStream` (mask, diff, rectangles, encode, lossless refresh)
and send the region frames. The pointer goes out as ``cursor`` messages, at most
``CURSOR_HZ`` a second and only when it moved. Control (pause, resume, stop, another monitor,
other windows) comes from other threads through :class:`Presenter`'s methods.

The process around it: :mod:`.runner` (reconnects, stdin commands through :mod:`.commands`)
and :mod:`.cli` (``python -m suite.agent.presenter``).
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from suite.agent.presenter.status import Report, no_report
from suite.control.input_map import InputGeometry
from suite.protocol import (
    Cursor,
    MessageType,
    PresentPause,
    PresentResume,
    PresentStart,
    PresentStop,
    ProtocolError,
    RequestKeyFrame,
    VideoCodecs,
    WireMessage,
)
from suite.screen.capture import FrameSource, MssGrabber
from suite.screen.errors import ScreenError
from suite.screen.masks import PrivateCover, WindowMask, private_parts
from suite.screen.pointer import PointerState
from suite.screen.regions import Rect
from suite.screen.stream import ScreenStream, StreamOptions
from suite.screen.video_frame import VideoLayer
from suite.screen.windows_x11 import WindowList, open_window_list

if TYPE_CHECKING:
    from suite.screen.video.hybrid import MotionVideo

logger = logging.getLogger(__name__)

MAX_FPS = 60.0
CURSOR_HZ = 30.0
# A pointer that has not moved for CURSOR_STILL_S is read only CURSOR_STILL_HZ times a second
# (the first move then waits at most 0.1 s): most of an idle presenter's wake-ups were these.
CURSOR_STILL_S = 1.0
CURSOR_STILL_HZ = 10.0
# The longest sleep waiting for damage: commands (pause, stop) are read between sleeps.
DAMAGE_WAIT_S = 0.1
WINDOW_POLL_S = 0.25
# After this long without a change, poll the screen less often (saves CPU while a viewer
# watches a still screen; the first change then waits at most 1/IDLE_POLL_HZ).
IDLE_AFTER_S = 2.0
IDLE_POLL_HZ = 30.0
# With change notification (X11 DAMAGE) the loop sleeps until something is drawn; a full
# capture this often still catches what a notification might miss (~5 ms of CPU each).
SAFETY_CAPTURE_S = 5.0


class Channel(Protocol):
    """What the presenter needs from its socket (:class:`.channel.ScreenChannel`)."""

    paced_by_relay: bool

    @property
    def closed(self) -> bool: ...
    def wait_credit(self, timeout_s: float) -> bool: ...
    def take_credit(self) -> None: ...
    def drop_credit(self) -> None: ...
    def send_message(self, message: WireMessage) -> None: ...
    def send_frame(self, frame: bytes) -> None: ...


class ChangeNotifier(Protocol):
    """Where the screen changed (``suite.screen.damage_x11.X11Damage``)."""

    def wait(self, timeout_s: float) -> bool: ...
    def take(self) -> list[Rect]: ...
    def close(self) -> None: ...


class Pointer(Protocol):
    """Where the pointer is (``suite.screen.pointer.X11Pointer``)."""

    def state(self) -> PointerState: ...
    def close(self) -> None: ...


@dataclass
class PresenterConfig:
    """What to share and how (A8 network and colour settings, P6 windows)."""

    monitor: int = 1
    options: StreamOptions = field(default_factory=StreamOptions)
    window_ids: list[int] | None = None
    max_fps: float = MAX_FPS
    # Processes whose windows are left out of every capture (the agent app's own).
    private_pids: frozenset[int] = frozenset()
    # Regions in motion as VP8/VP9 (suite.screen.video) when every viewer decodes it.
    video: bool = True


@dataclass
class PresenterStats:
    captures: int = 0
    sent_captures: int = 0
    frames: int = 0
    bytes: int = 0
    cursor_messages: int = 0
    refresh_frames: int = 0
    key_frames: int = 0
    last_send_ms: float = 0.0
    private_covered: int = 0  # captures in which some of the app's windows were painted out


class Presenter:
    """Runs one presentation until :meth:`stop` or until the channel closes.

    Args:
        channel: an open screen channel.
        config: monitor, stream options, windows.
        open_source: makes the frame source for a monitor index (mss by default).
        open_pointer: makes the pointer reader, or None for no cursor messages.
        open_windows: makes the window list (needed only with ``config.window_ids``).
        open_damage: makes the change notifier for a monitor's origin and size, or None to
            poll the screen (platforms without one; see docs/architecture.md).
        clock: wall-clock seconds (stamps ``capture_ms``).
        report: tells the agent app when a presentation (re)starts (``presenter_status``).
    """

    def __init__(
        self,
        channel: Channel,
        config: PresenterConfig,
        open_source: Callable[[int], FrameSource] = MssGrabber,
        open_pointer: Callable[[], Pointer] | None = None,
        open_windows: Callable[[], WindowList] = open_window_list,
        open_damage: Callable[[tuple[int, int], tuple[int, int]], ChangeNotifier] | None = None,
        clock: Callable[[], float] = time.time,
        report: Report = no_report,
    ) -> None:
        self.channel = channel
        self._report = report
        self.config = config
        self._open_source = open_source
        self._open_pointer = open_pointer
        self._open_windows = open_windows
        self._open_damage = open_damage
        self._damage: ChangeNotifier | None = None
        self._next_safety_capture = 0.0
        self._clock = clock
        self._commands: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self.stats = PresenterStats()
        self.paused = False
        self.stream: ScreenStream | None = None
        self._source: FrameSource | None = None
        self._origin = (0, 0)
        self._pointer: Pointer | None = None
        self._last_cursor: tuple[int, int, bool, str | None] | None = None
        self._next_cursor = 0.0
        self._cursor_moved = 0.0
        self._windows: WindowList | None = None
        self._private_cover: PrivateCover | None = PrivateCover() if config.private_pids else None
        self._next_window_poll = 0.0
        self._last_change = 0.0
        self._last_capture = 0.0
        # The recorder's tap (P9): every grabbed frame, after the app's windows are painted out,
        # with whether the stream found a change in it and the shared windows' mask (None: the
        # whole monitor), so the recording shows what the customer saw (Recorder.offer).
        self.on_frame: Callable[[Any, bool, Any], None] | None = None
        self._video_codecs: list[str] = []  # what every viewer decodes (the relay's word)
        if hasattr(channel, "on_video"):
            channel.on_video = lambda body: self._commands.put(("video", body))
            early = getattr(channel, "video_codecs", None)
            if early is not None:  # came before this presenter was made
                self._commands.put(("video", early))

    # -- control, from any thread ----------------------------------------------------------

    def pause(self) -> None:
        """P2 "stop showing": viewers keep the last picture; nothing is captured."""
        self._commands.put(("pause", None))

    def resume(self) -> None:
        self._commands.put(("resume", None))

    def stop(self) -> None:
        """End the presentation (``present_stop``) and make :meth:`run` return."""
        self._commands.put(("stop", None))

    def input_geometry(self) -> InputGeometry | None:
        """Where remote input lands (P3): the monitor's origin and size, the shared windows."""
        stream = self.stream
        if stream is None:
            return None
        mask = stream.mask
        if mask is None and self.config.window_ids is not None:
            mask = WindowMask([], stream.width, stream.height)  # windows not found yet: none
        return InputGeometry(self._origin[0], self._origin[1], stream.width, stream.height, mask)

    def switch_monitor(self, monitor: int) -> None:
        self._commands.put(("monitor", monitor))

    def share_windows(self, window_ids: list[int] | None) -> None:
        """Share only these windows (None: the whole monitor)."""
        self._commands.put(("windows", window_ids))

    # -- the loop --------------------------------------------------------------------------

    def run(self) -> None:
        """Present until stopped or the channel closes.

        Raises:
            ScreenError: the screen cannot be captured (the presentation is stopped first).
        """
        try:
            self._start(self.config.monitor)
            if self._open_pointer is not None:
                try:
                    self._pointer = self._open_pointer()
                except ScreenError as exc:
                    logger.warning("no cursor messages: %s", exc)
            while not self.channel.closed:
                if not self._handle_commands():
                    break
                if self.paused:
                    self._wait_command(0.5)
                    continue
                self._step()
        finally:
            self._close()

    def _start(self, monitor: int) -> None:
        if self._source is not None:
            self._source.close()
        self._source = self._open_source(monitor)
        self._origin = (int(getattr(self._source, "left", 0)), int(getattr(self._source, "top", 0)))
        width, height = self._source.width, self._source.height
        self.stream = ScreenStream(width, height, self.config.options)
        if self.config.video and not self.config.options.lossless:  # video is lossy
            self.stream.video = motion_video(width, height, self.config.options.tile_px)
            if self.stream.video is not None:
                self.stream.video.set_codecs(self._video_codecs)
        self._open_change_notifier((width, height))
        self._next_window_poll = 0.0
        self.channel.drop_credit()
        self.channel.send_message(PresentStart(screen_w=width, screen_h=height))
        logger.info("presenting monitor %s (%dx%d)", monitor, width, height)
        self._report("presenting", monitor=monitor, width=width, height=height)

    def _handle_commands(self) -> bool:
        while True:
            try:
                command, argument = self._commands.get_nowait()
            except queue.Empty:
                return True
            if command == "stop":
                self.channel.send_message(PresentStop())
                return False
            if command == "pause" and not self.paused:
                # Credit left over stays valid (the relay does not grant again on resume
                # while it thinks we hold some); only present_start resets it on both sides.
                self.paused = True
                self.channel.send_message(PresentPause())
            elif command == "resume" and self.paused:
                self.paused = False
                self.channel.send_message(PresentResume())
            elif command == "monitor":
                self.config.monitor = argument
                self._start(argument)
            elif command == "video":
                self._video_message(argument)
            elif command == "windows":
                self.config.window_ids = argument
                self._next_window_poll = 0.0
                if argument is None and self.stream is not None:
                    self.stream.set_mask(None)

    def _video_message(self, body: dict[str, Any]) -> None:
        """``video_codecs`` or ``request_key_frame`` from the relay."""
        try:
            if body.get("type") == MessageType.VIDEO_CODECS:
                self._video_codecs = VideoCodecs.parse(body).codecs
                if self.stream is not None and self.stream.video is not None:
                    self.stream.video.set_codecs(self._video_codecs)
            elif self.stream is not None and self.stream.video is not None:
                layer = RequestKeyFrame.parse(body).layer
                self.stream.video.request_key(VideoLayer[layer.upper()])
        except ProtocolError as error:
            logger.warning("ignoring a video message: %s", error.message)

    def _wait_command(self, timeout_s: float) -> None:
        try:
            self._commands.put(self._commands.get(timeout=timeout_s))
        except queue.Empty:
            pass

    def _open_change_notifier(self, size: tuple[int, int]) -> None:
        if self._damage is not None:
            self._damage.close()
            self._damage = None
        if self._open_damage is None:
            return
        try:
            self._damage = self._open_damage(self._origin, size)
        except ScreenError as exc:
            logger.warning("no change notification, polling the screen: %s", exc)

    def _sleep_until_damage(self, now: float) -> bool:
        """With a change notifier: wait a little for a change; True if none came (no capture).

        Captures still run while a lossless refresh is due, while shared windows are followed
        (their mask may move without drawing) and every ``SAFETY_CAPTURE_S``.
        """
        assert self.stream is not None
        if (
            self._damage is None
            or self.stream.refresh_pending
            or self.config.window_ids is not None
            or now >= self._next_safety_capture
        ):
            return False
        timeout = min(DAMAGE_WAIT_S, self._next_safety_capture - now)
        if self._pointer is not None:
            timeout = min(timeout, max(self._next_cursor - now, 0.001))
        if self._damage.wait(timeout):
            return False
        self._poll_cursor(time.monotonic())
        return True

    def _step(self) -> None:
        assert self.stream is not None and self._source is not None
        now = time.monotonic()
        if self._sleep_until_damage(now):
            return
        idle = now - self._last_change > IDLE_AFTER_S and not self.stream.refresh_pending
        interval = 1.0 / (IDLE_POLL_HZ if idle else self.config.max_fps)
        cursor_interval = 1.0 / CURSOR_HZ
        if self.channel.paced_by_relay:
            if not self.channel.wait_credit(cursor_interval):
                self._poll_cursor(time.monotonic())
                return
        wait = self._last_capture + interval - time.monotonic()
        if wait > 0:
            self._wait_command(min(wait, cursor_interval))
            self._poll_cursor(time.monotonic())
            return
        self._poll_windows(now)
        self._last_capture = time.monotonic()
        # The app's windows are read just before and just after the grab, and both places are
        # covered: a window moved or raised while the grab ran is covered where it was and where
        # it went.
        before = self._private_rects()
        damage = self._take_damage(now)
        frame = self._source.grab()
        capture_ms = self._clock() * 1000.0
        if self._private_cover is not None:
            hidden = before + self._private_rects()
            if self._private_cover.paint(frame, hidden):
                self.stats.private_covered += 1
        frames = self.stream.encode(frame, capture_ms, damage)
        self.stats.captures += 1
        if self.on_frame is not None:
            self.on_frame(frame, bool(frames), self.stream.mask)
        if frames:
            for region in frames:
                data = bytes(region)
                self.channel.send_frame(data)
                self.stats.frames += 1
                self.stats.bytes += len(data)
            self.channel.take_credit()
            self.stats.sent_captures += 1
            self.stats.last_send_ms = self._clock() * 1000.0
            self.stats.refresh_frames = self.stream.stats.refresh_frames
            self.stats.key_frames = self.stream.stats.key_frames
            self._last_change = time.monotonic()
        self._poll_cursor(time.monotonic())

    def _take_damage(self, now: float) -> list[Rect] | None:
        """The damage since the last capture as the diff's hint; None: diff everything."""
        if self._damage is None:
            return None
        damage = self._damage.take()
        if now >= self._next_safety_capture:
            self._next_safety_capture = now + SAFETY_CAPTURE_S
            return None
        return damage

    def _poll_cursor(self, now: float) -> None:
        if self._pointer is None or now < self._next_cursor or self.stream is None:
            return
        still = now - self._cursor_moved >= CURSOR_STILL_S
        self._next_cursor = now + 1.0 / (CURSOR_STILL_HZ if still else CURSOR_HZ)
        try:
            pointer = self._pointer.state()
        except Exception as exc:  # a lost X connection: stop asking, keep presenting
            logger.warning("pointer query failed, no more cursor messages: %s", exc)
            self._pointer = None
            return
        x, y = pointer.x - self._origin[0], pointer.y - self._origin[1]
        visible = 0 <= x < self.stream.width and 0 <= y < self.stream.height
        mask = self.stream.mask
        if visible and mask is not None:
            visible = mask.contains(x, y)  # never reveal where it is outside shared windows
        state = (x, y, True, pointer.shape) if visible else (0, 0, False, None)
        if state != self._last_cursor:
            self._cursor_moved = now
            self._last_cursor = state
            cursor = Cursor(x=state[0], y=state[1], visible=visible, shape=state[3])
            self.channel.send_message(cursor)
            self.stats.cursor_messages += 1

    def _private_rects(self) -> list[Rect]:
        """The visible parts of the app's windows, in this monitor's pixels."""
        if self._private_cover is None:
            return []
        try:
            if self._windows is None:
                self._windows = self._open_windows()
            stack = self._windows.private_stack(self.config.private_pids)
        except ScreenError as exc:
            # No window list here (not X11): nothing can be left out; the picker's warning and
            # docs/architecture.md say what each platform would need.
            logger.warning("cannot leave the app's windows out of the capture: %s", exc)
            self._private_cover = None
            return []
        left, top = self._origin
        return [Rect(r.x - left, r.y - top, r.w, r.h) for r in private_parts(stack)]

    def _poll_windows(self, now: float) -> None:
        ids = self.config.window_ids
        if ids is None or now < self._next_window_poll or self.stream is None:
            return
        self._next_window_poll = now + WINDOW_POLL_S
        if self._windows is None:
            self._windows = self._open_windows()
        left, top = self._origin
        rects = [Rect(r.x - left, r.y - top, r.w, r.h) for r in self._windows.rects(ids)]
        mask = WindowMask(rects, self.stream.width, self.stream.height)
        if mask != self.stream.mask:
            logger.info("shared windows now at %s", mask.rects)
            self.stream.set_mask(mask)

    def _close(self) -> None:
        for resource in (self._source, self._pointer, self._windows, self._damage):
            if resource is not None:
                try:
                    resource.close()
                except Exception:
                    logger.exception("closing %r failed", resource)
        self._source = self._pointer = self._windows = self._damage = None


def motion_video(width: int, height: int, tile_px: int) -> MotionVideo | None:
    """Video for regions in motion, or None where PyAV is missing (tiles only, as before)."""
    try:
        from suite.screen.video.hybrid import MotionVideo
        from suite.screen.video.libvpx import encoder_factory
    except ImportError as exc:  # pragma: no cover - PyAV is a dependency of the presenter
        logger.warning("no video for motion (PyAV missing): %s", exc)
        return None
    # libvpx directly at speed 9 where it loads (FFmpeg's encoder otherwise; one log line).
    return MotionVideo(width, height, tile_px, make_encoder=encoder_factory())
