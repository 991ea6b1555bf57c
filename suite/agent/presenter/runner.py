"""The presenter process's runner: reconnects after a lost socket, applies stdin commands.

Commands arrive as lines (:mod:`suite.agent.presenter.commands` reads them) and each has one
``apply_<command>`` method (:data:`COMMAND_HANDLERS`).
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from suite.agent.presenter.commands import (
    Audio,
    Command,
    DrawClear,
    DrawTool,
    DrawUndo,
    Monitor,
    Pause,
    Resume,
    Revoke,
    Stop,
    Windows,
    parse_command,
)
from suite.agent.presenter.drawing import PresenterDrawing
from suite.agent.presenter.loop import Presenter, PresenterConfig
from suite.agent.presenter.recording import PresenterRecording
from suite.agent.presenter.status import Report, no_report
from suite.protocol import CloseCode
from suite.protocol.wrong_node import lease_hint_of_reason, wrong_node_delay_s

logger = logging.getLogger(__name__)

STATS_INTERVAL_S = 0.5

# A close with one of these means "do not come back" (docs/protocol.md, close codes).
FINAL_CLOSE_CODES = frozenset({
    CloseCode.NORMAL, CloseCode.SESSION_ENDED, CloseCode.UNAUTHORIZED,
    CloseCode.UNSUPPORTED_VERSION, CloseCode.SESSION_NOT_FOUND, CloseCode.REMOVED,
    CloseCode.REPLACED, CloseCode.HANDSHAKE_FAILED, CloseCode.ACCOUNT_DISABLED,
})  # fmt: skip
RECONNECT_DELAYS_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class PresenterRunner:
    """The command line's presenter: reconnects after a lost socket, takes text commands.

    Commands (one per line on stdin with ``--control-stdin``, or :meth:`command`) are those of
    :mod:`suite.agent.presenter.commands`. Pause, monitor and windows survive a reconnect; a
    reconnect starts the presentation again (key frame).
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
        self.change_notification = True  # sleep until the X server reports damage
        self.remote: Any = None
        self._drawing = PresenterDrawing(config.monitor, report=report) if overlay else None
        # P9: set before run() (the command line's --record, --recordings-dir)
        self.recording = PresenterRecording(False, report=report)

    def command(self, line: str) -> None:
        """Apply one text command; unknown or malformed ones are logged and ignored."""
        if not line.strip():
            return
        try:
            command = parse_command(line)
        except ValueError as error:
            logger.warning("bad command %r: %s", line.strip()[:80], error)
            return
        self.apply(command)

    def apply(self, command: Command) -> None:
        """Apply one command (from stdin, or a signal's :class:`Stop`)."""
        with self._lock:
            COMMAND_HANDLERS[type(command)](self, command)

    def apply_stop(self, command: Stop) -> None:
        """``stop``: end the presentation and do not reconnect."""
        self._stopping.set()
        self.recording.pause()  # the recording ends now, not when the process gets round to it
        if self.presenter is not None:
            self.presenter.stop()

    def apply_pause(self, command: Pause) -> None:
        """``pause``: viewers keep the last picture; survives a reconnect."""
        self._paused = True
        if self.presenter is not None:
            self.presenter.pause()
        self.recording.pause()  # the paused time is left out of the recording

    def apply_resume(self, command: Resume) -> None:
        """``resume``: show again."""
        self._paused = False
        if self.presenter is not None:
            self.presenter.resume()
        self.recording.resume()

    def apply_monitor(self, command: Monitor) -> None:
        """``monitor N``: share another monitor (the overlay moves with it)."""
        self.config.monitor = command.index
        if self.presenter is not None:
            self.presenter.switch_monitor(command.index)
        if self._drawing is not None:
            self._drawing.switch_monitor(command.index)

    def apply_windows(self, command: Windows) -> None:
        """``windows ID,ID`` or ``windows all``: what part of the monitor is shared."""
        ids = list(command.ids) if command.ids is not None else None
        self.config.window_ids = ids
        if self.presenter is not None:
            self.presenter.share_windows(ids)

    def apply_revoke(self, command: Revoke) -> None:
        """``revoke``: take mouse and keyboard control back, or one of them (P3, the app)."""
        if self.remote is None:
            logger.warning("no remote control in this presenter: nothing to revoke")
            return
        self.remote.take_back("the agent app", command.mouse, command.keyboard)

    def apply_draw(self, command: DrawTool | DrawUndo | DrawClear) -> None:
        """``draw tool|undo|clear``: the overlay's drawing (P5)."""
        if self._drawing is None:
            logger.warning("no drawing overlay in this presenter: %s ignored", command)
            return
        self._drawing.command(command)

    def apply_audio(self, command: Audio) -> None:
        """``audio AT_MS BASE64``: the call's sound for the running recording (P9)."""
        self.recording.audio(command.pcm, command.at_ms / 1000)

    def read_commands(self, stream: Any) -> None:
        for line in stream:
            self.command(line)
        self.apply(Stop())  # the controlling process went away

    def write_stats(self, path: Path) -> None:
        while not self._stopping.wait(STATS_INTERVAL_S):
            if self.presenter is not None:
                write_stats(self.presenter, path)

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
            self.recording.stop()  # the file is finished before the process ends
            if self.remote is not None:
                self.remote.close()  # releases whatever the customer still holds
            if self._drawing is not None:
                self._drawing.stop()

    def _run(self) -> None:
        from suite.agent.presenter.channel import PresenterError, ScreenChannel  # noqa: PLC0415
        from suite.screen.damage_x11 import X11Damage  # noqa: PLC0415
        from suite.screen.pointer import X11Pointer  # noqa: PLC0415

        attempt = 0
        wrong_nodes = 0  # wrong_node refusals since the last welcome (several relay nodes)
        while not self._stopping.is_set():
            channel = ScreenChannel(self.relay, self.token, self.session_id)
            if self._drawing is not None:
                self._drawing.attach(channel)
            try:
                welcome = channel.open()
            except PresenterError as exc:
                if exc.code == "refused" and exc.details.get("close_code") in FINAL_CLOSE_CODES:
                    logger.error("%s", exc.message)
                    self.status = 1
                    return
                delay = RECONNECT_DELAYS_S[min(attempt, len(RECONNECT_DELAYS_S) - 1)]
                hint = lease_hint_of_reason(exc.details.get("close_reason"))
                if hint is not None:  # come back when the dead owner's lease ends
                    delay = wrong_node_delay_s(hint, wrong_nodes, delay, random.random())
                    wrong_nodes += 1
                logger.warning("%s; trying again in %.1f s", exc.message, delay)
                attempt += 1
                self._stopping.wait(delay)
                continue
            attempt = 0
            wrong_nodes = 0
            with self._lock:
                self.presenter = Presenter(
                    channel, self.config, open_pointer=X11Pointer if self.cursor else None,
                    open_damage=X11Damage if self.change_notification else None,
                    report=self._report,
                )  # fmt: skip
                if self.remote is not None:
                    self.remote.attach(channel, self.presenter.input_geometry)
                try:
                    self.recording.attach(channel, welcome, self.presenter, self.session_id)
                except Exception:  # the presentation goes on without a recording
                    logger.exception("the recording could not start")
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


def write_stats(presenter: Presenter, path: Path) -> None:
    """Keep the presenter's counters in ``path`` (JSON, replaced whole)."""
    stats: dict[str, Any] = asdict(presenter.stats)
    stats["time_ms"] = time.time() * 1000.0
    times = os.times()
    stats["cpu_s"] = times.user + times.system  # this process's own CPU time, all threads
    stream = presenter.stream
    if stream is not None:
        stats["stream"] = asdict(stream.stats)
        if stream.video is not None:
            stats["video"] = asdict(stream.video.stats)
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


COMMAND_HANDLERS: dict[type, Callable[[PresenterRunner, Any], None]] = {
    Stop: PresenterRunner.apply_stop,
    Pause: PresenterRunner.apply_pause,
    Resume: PresenterRunner.apply_resume,
    Monitor: PresenterRunner.apply_monitor,
    Windows: PresenterRunner.apply_windows,
    Revoke: PresenterRunner.apply_revoke,
    DrawTool: PresenterRunner.apply_draw,
    DrawUndo: PresenterRunner.apply_draw,
    DrawClear: PresenterRunner.apply_draw,
    Audio: PresenterRunner.apply_audio,
}
"""One method per presenter command."""
