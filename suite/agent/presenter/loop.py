"""The presenter: captures the agent's screen and streams changed regions to the relay.

The loop, per capture: wait for the relay's ``capture_credit`` (no viewer or paused: no credit,
so no capture), grab the chosen monitor with mss, hand the frame to
:class:`suite.screen.stream.ScreenStream` (mask, diff, rectangles, encode, lossless refresh)
and send the region frames. The pointer goes out as ``cursor`` messages, at most
``CURSOR_HZ`` a second and only when it moved. Control (pause, resume, stop, another monitor,
other windows) comes from other threads through :class:`Presenter`'s methods.

Run it alone for tests and benchmarks::

    python -m suite.agent.presenter --relay URL --token T --session ID [--monitor N]
    (or the token in $REMOTESALES_AGENT_TOKEN instead of --token)
        [--quality 70] [--lossless] [--colors full|65k|256] [--windows ID,ID]
        [--private-pid PID ...] [--control-stdin] [--overlay] [--status-stdout]

The agent app can run it as a child process (the encoder's CPU then never competes with the
GUI for one interpreter's GIL), drive it with text commands on stdin and follow its state in
JSON lines on stdout (``presenter_status``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from suite.agent.app.presentations import TOKEN_ENV
from suite.agent.presenter.drawing import PresenterDrawing
from suite.agent.presenter.status import Report, StatusWriter, no_report
from suite.control.input_map import InputGeometry
from suite.screen.capture import FrameSource, MssGrabber
from suite.screen.encoders import DEFAULT_QUALITY, ColorDepth, LossyCodec
from suite.screen.errors import ScreenError
from suite.screen.masks import PrivateCover, WindowMask, private_parts
from suite.screen.pointer import PointerState
from suite.screen.regions import Rect
from suite.screen.stream import ScreenStream, StreamOptions
from suite.screen.windows_x11 import WindowList, open_window_list

logger = logging.getLogger(__name__)

MAX_FPS = 60.0
CURSOR_HZ = 30.0
WINDOW_POLL_S = 0.25
# After this long without a change, poll the screen less often (saves CPU while a viewer
# watches a still screen; the first change then waits at most 1/IDLE_POLL_HZ).
IDLE_AFTER_S = 2.0
IDLE_POLL_HZ = 30.0
STATS_INTERVAL_S = 0.5


class Channel(Protocol):
    """What the presenter needs from its socket (``presenter_client.ScreenChannel``)."""

    paced_by_relay: bool

    @property
    def closed(self) -> bool: ...
    def wait_credit(self, timeout_s: float) -> bool: ...
    def take_credit(self) -> None: ...
    def drop_credit(self) -> None: ...
    def send_message(self, kind: str, **fields: Any) -> None: ...
    def send_frame(self, frame: bytes) -> None: ...


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
    # Processes whose windows are left out of every capture (the agent app's own; issue 12 #2).
    private_pids: frozenset[int] = frozenset()


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
        clock: Callable[[], float] = time.time,
        report: Report = no_report,
    ) -> None:
        self.channel = channel
        self._report = report
        self.config = config
        self._open_source = open_source
        self._open_pointer = open_pointer
        self._open_windows = open_windows
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
        self._windows: WindowList | None = None
        self._private_cover: PrivateCover | None = PrivateCover() if config.private_pids else None
        self._next_window_poll = 0.0
        self._last_change = 0.0
        self._last_capture = 0.0

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
        self._next_window_poll = 0.0
        self.channel.drop_credit()
        self.channel.send_message("present_start", screen_w=width, screen_h=height)
        logger.info("presenting monitor %s (%dx%d)", monitor, width, height)
        self._report("presenting", monitor=monitor, width=width, height=height)

    def _handle_commands(self) -> bool:
        while True:
            try:
                command, argument = self._commands.get_nowait()
            except queue.Empty:
                return True
            if command == "stop":
                self.channel.send_message("present_stop")
                return False
            if command == "pause" and not self.paused:
                # Credit left over stays valid (the relay does not grant again on resume
                # while it thinks we hold some); only present_start resets it on both sides.
                self.paused = True
                self.channel.send_message("present_pause")
            elif command == "resume" and self.paused:
                self.paused = False
                self.channel.send_message("present_resume")
            elif command == "monitor":
                self.config.monitor = argument
                self._start(argument)
            elif command == "windows":
                self.config.window_ids = argument
                self._next_window_poll = 0.0
                if argument is None and self.stream is not None:
                    self.stream.set_mask(None)

    def _wait_command(self, timeout_s: float) -> None:
        try:
            self._commands.put(self._commands.get(timeout=timeout_s))
        except queue.Empty:
            pass

    def _step(self) -> None:
        assert self.stream is not None and self._source is not None
        now = time.monotonic()
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
        frame = self._source.grab()
        capture_ms = self._clock() * 1000.0
        if self._private_cover is not None:
            hidden = before + self._private_rects()
            if self._private_cover.paint(frame, hidden):
                self.stats.private_covered += 1
        frames = self.stream.encode(frame, capture_ms)
        self.stats.captures += 1
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

    def _poll_cursor(self, now: float) -> None:
        if self._pointer is None or now < self._next_cursor or self.stream is None:
            return
        self._next_cursor = now + 1.0 / CURSOR_HZ
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
            self._last_cursor = state
            fields: dict[str, Any] = {"x": state[0], "y": state[1], "visible": visible}
            if state[3] is not None:
                fields["shape"] = state[3]
            self.channel.send_message("cursor", **fields)
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
        for resource in (self._source, self._pointer, self._windows):
            if resource is not None:
                try:
                    resource.close()
                except Exception:
                    logger.exception("closing %r failed", resource)
        self._source = self._pointer = self._windows = None


# -- command line ---------------------------------------------------------------------------


def _parse_ids(text: str) -> list[int]:
    return [int(part, 0) for part in text.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m suite.agent.presenter",
        description="Stream this screen to a RemoteSales relay's screen channel.",
    )
    parser.add_argument("--relay", help="relay address (https://host or ws://host:port/ws)")
    parser.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENV),
        help=f"the agent's bearer token (default: ${TOKEN_ENV}, which keeps it off the "
        "process list)",
    )
    parser.add_argument("--session", help="the support session id")
    parser.add_argument("--monitor", type=int, default=1, help="mss monitor index (1 = first)")
    parser.add_argument("--quality", type=int, default=DEFAULT_QUALITY, help="lossy quality")
    parser.add_argument("--codec", choices=[c.value for c in LossyCodec], default="jpeg")
    parser.add_argument("--lossless", action="store_true", help="high-speed network: PNG only")
    parser.add_argument("--colors", choices=[c.value for c in ColorDepth], default="full")
    parser.add_argument("--windows", type=_parse_ids, help="share only these window ids (a,b)")
    parser.add_argument("--list-windows", action="store_true", help="print open windows, exit")
    parser.add_argument(
        "--private-pid", type=int, action="append", default=[], metavar="PID",
        help="leave this process's windows out of the capture (repeatable; the agent app "
        "passes its own pid)",
    )  # fmt: skip
    parser.add_argument("--max-fps", type=float, default=MAX_FPS)
    parser.add_argument("--no-cursor", action="store_true", help="send no cursor messages")
    parser.add_argument(
        "--no-control", action="store_true",
        help="never inject the customer's input (control handover off; no hotkey grab)",
    )  # fmt: skip
    parser.add_argument("--stats-file", type=Path, help="keep counters here (JSON, every 0.5 s)")
    parser.add_argument(
        "--control-stdin", action="store_true",
        help="read commands from stdin: pause, resume, stop, monitor N, windows ID,ID|all",
    )  # fmt: skip
    parser.add_argument(
        "--overlay", action="store_true",
        help="show drawings on this desktop (P5; X11 with Shape) and draw with 'draw' commands",
    )  # fmt: skip
    parser.add_argument(
        "--status-stdout", action="store_true",
        help="report state changes as JSON lines on stdout (the agent app's channel)",
    )  # fmt: skip
    parser.add_argument("--log-level", default="INFO")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(message)s")
    if args.list_windows:
        try:
            windows = open_window_list()
        except ScreenError as exc:
            print(exc, file=sys.stderr)
            return 2
        for info in windows.windows():
            r = info.rect
            print(f"0x{info.id:08x}\t{r.w}x{r.h}+{r.x}+{r.y}\t{info.title}")
        windows.close()
        return 0
    if not (args.relay and args.token and args.session):
        print("--relay, --token and --session are required", file=sys.stderr)
        return 2
    options = StreamOptions(
        lossless=args.lossless, quality=args.quality, codec=LossyCodec(args.codec),
        colors=ColorDepth(args.colors),
    )  # fmt: skip
    config = PresenterConfig(
        args.monitor, options, args.windows, args.max_fps, frozenset(args.private_pid)
    )
    report = StatusWriter(sys.stdout) if args.status_stdout else no_report
    runner = PresenterRunner(
        args.relay, args.token, args.session, config, not args.no_cursor, args.overlay, report
    )
    runner.remote_control = not args.no_control
    signal.signal(signal.SIGTERM, lambda *_: runner.command("stop"))
    signal.signal(signal.SIGINT, lambda *_: runner.command("stop"))
    if args.control_stdin:
        threading.Thread(target=runner.read_commands, args=(sys.stdin,), daemon=True).start()
    if args.stats_file:
        threading.Thread(target=runner.write_stats, args=(args.stats_file,), daemon=True).start()
    worker = threading.Thread(target=runner.run, name="presenter")
    worker.start()
    while worker.is_alive():
        worker.join(timeout=0.2)  # the main thread stays free for signal handlers
    if args.stats_file and runner.presenter is not None:
        _write_stats(runner.presenter, args.stats_file)
    return runner.status


# A close with one of these means "do not come back" (docs/protocol.md, close codes).
FINAL_CLOSE_CODES = frozenset({1000, 4000, 4001, 4002, 4003, 4004, 4005, 4006})
RECONNECT_DELAYS_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class PresenterRunner:
    """The command line's presenter: reconnects after a lost socket, takes text commands.

    Commands (one per line on stdin with ``--control-stdin``, or :meth:`command`): ``pause``,
    ``resume``, ``stop``, ``monitor N``, ``windows ID,ID`` and ``windows all``; with the
    overlay (P5), ``draw tool TOOL|none [#rrggbb] [WIDTH]``, ``draw undo`` and ``draw clear``;
    ``revoke`` takes mouse and keyboard control back from the customer (P3).
    Pause, monitor and windows survive a reconnect; a reconnect starts the presentation again
    (key frame).
    """

    def __init__(
        self,
        relay: str,
        token: str,
        session_id: str,
        config: PresenterConfig,
        cursor: bool,
        overlay: bool = False,
        report: Report = no_report,
    ) -> None:
        self.relay, self.token, self.session_id = relay, token, session_id
        self._report = report
        self.config = config
        self.cursor = cursor
        self.presenter: Presenter | None = None
        self.status = 0
        self._paused = False
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.remote_control = True  # P3: inject granted input, grab the hotkey
        self.remote: Any = None
        self._drawing = PresenterDrawing(config.monitor, report=report) if overlay else None

    def command(self, line: str) -> None:
        """Apply one text command; unknown ones are logged and ignored."""
        words = line.split()
        if not words:
            return
        with self._lock:
            presenter = self.presenter
            verb = words[0]
            try:
                if verb == "stop":
                    self._stopping.set()
                    if presenter is not None:
                        presenter.stop()
                elif verb in ("pause", "resume"):
                    self._paused = verb == "pause"
                    if presenter is not None and self._paused:
                        presenter.pause()
                    elif presenter is not None:
                        presenter.resume()
                elif verb == "monitor" and len(words) == 2:
                    self.config.monitor = int(words[1])
                    if presenter is not None:
                        presenter.switch_monitor(self.config.monitor)
                    if self._drawing is not None:
                        self._drawing.switch_monitor(self.config.monitor)
                elif verb == "draw" and self._drawing is not None:
                    self._drawing.command(words[1:])
                elif verb == "revoke" and self.remote is not None:  # P3 from the app
                    self.remote.take_back("the agent app")
                elif verb == "windows" and len(words) == 2:
                    ids = None if words[1] == "all" else _parse_ids(words[1])
                    self.config.window_ids = ids
                    if presenter is not None:
                        presenter.share_windows(ids)
                else:
                    logger.warning("unknown command %r", line.strip())
            except ValueError:
                logger.warning("bad command %r", line.strip())

    def read_commands(self, stream: Any) -> None:
        for line in stream:
            self.command(line)
        self.command("stop")  # the controlling process went away

    def write_stats(self, path: Path) -> None:
        while not self._stopping.wait(STATS_INTERVAL_S):
            if self.presenter is not None:
                _write_stats(self.presenter, path)

    def run(self) -> None:
        """Present until stopped, or until the relay says not to come back."""
        if self.remote_control:
            from suite.agent.presenter.control import PresenterControl  # noqa: PLC0415

            self.remote = PresenterControl(report=self._report)
        if self._drawing is not None:
            self._drawing.start()
        try:
            self._run()
        finally:
            if self.remote is not None:
                self.remote.close()  # releases whatever the customer still holds
            if self._drawing is not None:
                self._drawing.stop()

    def _run(self) -> None:
        from suite.agent.presenter.channel import PresenterError, ScreenChannel  # noqa: PLC0415
        from suite.screen.pointer import X11Pointer  # noqa: PLC0415

        attempt = 0
        while not self._stopping.is_set():
            channel = ScreenChannel(self.relay, self.token, self.session_id)
            if self._drawing is not None:
                self._drawing.attach(channel)
            try:
                channel.open()
            except PresenterError as exc:
                if exc.code == "refused" and exc.details.get("close_code") in FINAL_CLOSE_CODES:
                    logger.error("%s", exc.message)
                    self.status = 1
                    return
                delay = RECONNECT_DELAYS_S[min(attempt, len(RECONNECT_DELAYS_S) - 1)]
                logger.warning("%s; trying again in %.1f s", exc.message, delay)
                attempt += 1
                self._stopping.wait(delay)
                continue
            attempt = 0
            with self._lock:
                self.presenter = Presenter(
                    channel, self.config, open_pointer=X11Pointer if self.cursor else None,
                    report=self._report,
                )  # fmt: skip
                if self.remote is not None:
                    self.remote.attach(channel, self.presenter.input_geometry)
                if self._paused:
                    self.presenter.pause()
                if self._stopping.is_set():
                    self.presenter.stop()
            _run_logged(self.presenter)
            channel.close()
            code = channel.close_code
            if self._stopping.is_set():
                return
            if code in FINAL_CLOSE_CODES:
                logger.error("the relay closed the screen channel (%s); not reconnecting", code)
                self.status = 1
                return
            logger.warning("screen channel lost (%s); reconnecting", code)


def _write_stats(presenter: Presenter, path: Path) -> None:
    stats: dict[str, Any] = asdict(presenter.stats)
    stats["time_ms"] = time.time() * 1000.0
    stream = presenter.stream
    if stream is not None:
        stats["stream"] = asdict(stream.stats)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(stats))
    temporary.replace(path)  # readers never see half a file


def _run_logged(presenter: Presenter) -> None:
    from suite.agent.app.errors import AgentError  # noqa: PLC0415

    try:
        presenter.run()
    except AgentError as exc:  # the socket closed under a send: the runner reconnects
        logger.info("presentation interrupted: %s", exc.message)
    except Exception:
        logger.exception("the presenter stopped on an error")
