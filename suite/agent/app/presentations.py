"""The agent app's presenter child processes: one per support session (P2, P8).

``POST /local/presentation`` (docs/agent-local-api.md) starts ``python -m
suite.agent.presenter --control-stdin --status-stdout`` for a session, drives it with text
commands on its stdin (``suite.agent.presenter.commands``: pause, resume, monitor, windows, stop)
and follows its state (presenting, drawing tool, control) in the JSON lines of its stdout
(``presenter_status``); its stderr is its log, kept for error messages. The child is
stopped on ``stop``, when the session ends (the relay closes its screen socket with 4000 and
it exits by itself; the app also stops it when the chat window closes or the session leaves
the notice list) and when the app exits. If the app dies without stopping it, the child sees
end-of-file on its stdin and stops by itself, so no presenter outlives the app. A stop that
comes while the child is still starting is kept: the child is stopped as soon as it is spawned
and the start answers idle. Each child
gets ``--private-pid`` with the app's pid: the app's own windows (chat, notes, notice, help)
are painted out of every capture (docs/architecture.md, "Leaving the app's windows out").
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from suite.agent.app.errors import AgentError
from suite.agent.app.presenting_desktop import PresentingDesktop
from suite.agent.app.settings import DEFAULT_PRESET, QUALITY_PRESETS
from suite.agent.presenter.commands import (
    Audio,
    Command,
    DrawCommand,
    DrawTool,
    Monitor,
    Pause,
    Resume,
    Revoke,
    Stop,
    Windows,
    encode_command,
)
from suite.agent.presenter.status import parse_status
from suite.child_processes import STOP_WAIT_S, stop_child
from suite.net.connect import POLICY_ENV
from suite.net.policy import NetworkPolicy
from suite.screen.sources import screens_in_child

TOKEN_ENV = "REMOTESALES_AGENT_TOKEN"  # the presenter child reads its bearer token here

logger = logging.getLogger(__name__)

# How long "start" waits for the child to report that it presents (or to fail); past it the
# child is stopped and the start fails. Generous: a loaded or slow PC takes seconds to start
# Python, capture and the relay's socket (8 s was seen to pass on a busy 2-core machine).
START_WAIT_S = 30.0
# The presenter's log prefix ("2026-01-01 12:00:00,123 ERROR logger.name "), left off in errors.
LOG_PREFIX_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (?P<level>[A-Z]+) \S+ ")
ERROR_LEVELS = frozenset({"ERROR", "CRITICAL"})
# settings.remote_support keys passed on to the presenter, with the type each must have.
OPTION_FLAGS: dict[str, tuple[str, type | tuple[type, ...]]] = {
    "quality": ("--quality", int),
    "codec": ("--codec", str),
    "colors": ("--colors", str),
    "max_fps": ("--max-fps", (int, float)),
}


@dataclass
class _Child:
    process: subprocess.Popen[str]
    monitor: int
    state: str = "live"
    windows: list[int] | None = None  # the shared windows; None: the whole monitor
    recording: bool = False  # P9: the child records (its ``recording`` status, until finished)
    drawing_tool: str | None = None  # P5: the agent's tool on the overlay (None: off)
    overlay_error: str | None = None  # P5: why this desktop shows no drawings, if it does not
    control: dict[str, bool] = field(  # P3: what the customer holds (the child reports it)
        default_factory=lambda: {"mouse": False, "keyboard": False}
    )
    last_error: str = ""  # its last ERROR line; before one, its last line of any kind
    error_logged: bool = False
    started: threading.Event = field(default_factory=threading.Event)
    readers: list[threading.Thread] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def apply(self, status: dict[str, Any]) -> None:
        """Take one of the child's status events (``presenter_status``)."""
        event = status["event"]
        if event == "presenting":
            self.started.set()
        elif event == "drawing_tool":  # P5: also Escape on the overlay
            tool = status.get("tool")
            self.drawing_tool = tool if isinstance(tool, str) else None
        elif event == "recording":  # P9
            self.recording = True
        elif event in ("recording_finished", "recording_failed"):
            self.recording = False
        elif event == "overlay_unavailable":
            self.overlay_error = str(status.get("reason") or "unknown")
        elif event == "control":  # P3
            self.control = {
                "mouse": status.get("mouse") is True,
                "keyboard": status.get("keyboard") is True,
            }


def effective_remote_support(remote_support: Mapping[str, Any]) -> Mapping[str, Any]:
    """The options a presentation runs with: a named preset's (A8, ``QUALITY_PRESETS``), or the
    stored ones for "custom"; nothing stored at all (a new install) is the default preset."""
    preset = remote_support.get("preset")
    if preset is None and not remote_support:
        preset = DEFAULT_PRESET
    if isinstance(preset, str) and preset in QUALITY_PRESETS:
        return QUALITY_PRESETS[preset]
    return remote_support


def presenter_options(remote_support: Mapping[str, Any]) -> list[str]:
    """Command-line options from ``settings.remote_support`` (wrong types are ignored); a
    preset's options replace the stored ones (:func:`effective_remote_support`)."""
    remote_support = effective_remote_support(remote_support)
    args: list[str] = []
    for key, (flag, kind) in OPTION_FLAGS.items():
        value = remote_support.get(key)
        if isinstance(value, kind) and not isinstance(value, bool):
            args += [flag, str(value)]
    if remote_support.get("lossless") is True:
        args.append("--lossless")
    return args


class Presentations:
    """The presenter children of this launch, by session id. Thread-safe.

    Args:
        env: the children's environment (default: this process's; it carries ``DISPLAY``).
        desktop: what changes on this desktop while anything is presented (A8: wallpaper,
            outlines; ``suite.agent.app.presenting_desktop``); put back when the last child
            stops or dies, and by :meth:`stop_all`.
    """

    def __init__(
        self, env: Mapping[str, str] | None = None, desktop: PresentingDesktop | None = None
    ) -> None:
        self._env = dict(env) if env is not None else None
        self._children: dict[str, _Child] = {}
        self._lock = threading.Lock()
        self._desktop = desktop
        # Sessions whose child is being started (the desktop is changed before they run), and
        # those of them whose stop came meanwhile: the start then ends instead of presenting.
        self._starting: dict[str, int] = {}
        self._stopped_while_starting: set[str] = set()

    # ----- queries -----

    def status(self, session_id: str) -> dict[str, Any]:
        """``{state: idle|live|paused, monitor, windows}`` (null when idle; windows: null is
        the whole monitor, else the shared window ids)."""
        child = self._alive(session_id)
        if child is None:
            return {"state": "idle", "monitor": None, "windows": None}
        windows = list(child.windows) if child.windows is not None else None
        return {"state": child.state, "monitor": child.monitor, "windows": windows}

    def any_live(self) -> bool:
        """Whether some support's screen is being shown right now (live, not paused)."""
        with self._lock:
            sessions = list(self._children)
        return any(self.status(session_id)["state"] == "live" for session_id in sessions)

    def screens(self) -> dict[str, Any]:
        """The monitors and open windows of the children's display (see suite.screen.sources)."""
        return screens_in_child(self._env, private_pids=(os.getpid(),))

    def pid(self, session_id: str) -> int | None:
        """The child's process id (for tests and logs), or None."""
        child = self._alive(session_id)
        return child.process.pid if child else None

    def _alive(self, session_id: str) -> _Child | None:
        with self._lock:
            child = self._children.get(session_id)
            if child is not None and child.process.poll() is not None:
                del self._children[session_id]
                return None
            return child

    # ----- control -----

    def start(
        self,
        session_id: str,
        relay_ws_url: str,
        token: str,
        monitor: int | None = None,
        options: list[str] | None = None,
        window_ids: list[int] | None = None,
        policy: NetworkPolicy | None = None,
    ) -> dict[str, Any]:
        """Start presenting (or, if already presenting, resume and switch to ``monitor``).

        ``window_ids``: share only these windows from the first frame (chosen before the
        customer accepted); None shares the whole monitor. ``policy``: the network settings
        the child's screen socket follows (A7); a running child keeps the ones it started with.

        Raises:
            AgentError: ``presentation_failed`` (502) when the child exits before it presents.
        """
        child = self._alive(session_id)
        if child is not None:
            if monitor is not None and monitor != child.monitor:
                self._send(child, Monitor(monitor))
                child.monitor = monitor
            if window_ids is not None and window_ids != child.windows:
                self.share_windows(session_id, window_ids)
            if child.state == "paused":
                self._send(child, Resume())
                child.state = "live"
            return self.status(session_id)
        monitor = monitor or 1
        if window_ids:
            options = [*(options or []), f"--windows={','.join(map(str, window_ids))}"]
        # "--name=value": a session id may start with "-". The token goes in the child's
        # environment, not its command line, which other local users can read.
        command = [
            sys.executable, "-m", "suite.agent.presenter", f"--relay={relay_ws_url}",
            f"--session={session_id}", "--control-stdin", "--status-stdout", "--overlay",
            f"--private-pid={os.getpid()}",  # this app's windows never reach the customer
            "--monitor", str(monitor), *(options or []),
        ]  # fmt: skip
        env = dict(self._env if self._env is not None else os.environ)
        env[TOKEN_ENV] = token
        if policy is not None:  # A7: the child connects as the app does (password included)
            env[POLICY_ENV] = policy.to_json()
        with self._lock:
            self._starting[session_id] = self._starting.get(session_id, 0) + 1
            self._stopped_while_starting.discard(session_id)
        try:
            if self._desktop is not None:
                self._desktop.begin()  # before the first frame: it goes out without wallpaper
            return self._spawn(session_id, command, env, monitor, window_ids)
        finally:
            with self._lock:
                self._starting[session_id] -= 1
                if not self._starting[session_id]:
                    del self._starting[session_id]
                    self._stopped_while_starting.discard(session_id)
            self._desktop_follow()

    def _spawn(
        self, session_id: str, command: list[str], env: dict[str, str], monitor: int,
        window_ids: list[int] | None,
    ) -> dict[str, Any]:  # fmt: skip
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, bufsize=1, env=env,
        )  # fmt: skip
        child = _Child(process, monitor)
        child.windows = list(window_ids) if window_ids else None
        for read, stream, name in (
            (self._read_status_then_follow, process.stdout, "status"),
            (_read_log, process.stderr, "log"),
        ):
            reader = threading.Thread(
                target=read, args=(child, stream, session_id),
                name=f"presenter-{name}-{session_id}", daemon=True,
            )  # fmt: skip
            reader.start()
            child.readers.append(reader)
        deadline = time.monotonic() + START_WAIT_S
        while not child.started.wait(0.05):
            if process.poll() is not None or time.monotonic() > deadline:
                break
            if self._stop_came(session_id):
                break
        if self._stop_came(session_id):
            # Stop was pressed before the presenter had started: it ends, nothing is shown.
            _stop_child(child)
            logger.info("presenter for %s stopped before it started", session_id)
            return {"state": "idle", "monitor": None, "windows": None}
        if process.poll() is not None:
            process.wait()
            for reader in child.readers:
                reader.join(timeout=1.0)  # let them take the last lines
            raise AgentError(
                "presentation_failed",
                child.last_error or f"the presenter exited with {process.returncode}",
                502,
            )
        if not child.started.is_set():
            # Neither presenting nor failed in time: it is not called live (it would fail
            # later, after the page said it presents); it is stopped and the start fails.
            _stop_child(child)
            logger.warning("presenter for %s did not start in %g s", session_id, START_WAIT_S)
            raise AgentError(
                "presentation_failed", f"the presenter did not start in {START_WAIT_S:g} s", 502
            )
        with self._lock:
            self._children[session_id] = child
        logger.info("presenter for %s started (pid %d)", session_id, process.pid)
        return self.status(session_id)

    def _stop_came(self, session_id: str) -> bool:
        with self._lock:
            return session_id in self._stopped_while_starting

    def _read_status_then_follow(
        self, child: _Child, stream: IO[str] | None, session_id: str
    ) -> None:
        """The child's status lines; at their end (it exited, or crashed) the desktop is put
        back if no other presenter runs."""
        try:
            _read_status(child, stream, session_id)
        finally:
            child.process.wait()
            self._desktop_follow()

    def _desktop_follow(self) -> None:
        """Put the desktop back once no presenter runs or starts (A8)."""
        if self._desktop is None:
            return
        with self._lock:
            running = bool(self._starting) or any(
                c.process.poll() is None for c in self._children.values()
            )
        if not running:
            self._desktop.end()

    def pause(self, session_id: str) -> dict[str, Any]:
        return self._set(session_id, Pause(), "paused")

    def resume(self, session_id: str) -> dict[str, Any]:
        return self._set(session_id, Resume(), "live")

    def switch_monitor(self, session_id: str, monitor: int) -> dict[str, Any]:
        """Present another monitor (mss index, 1 = first); the caller checked that it exists."""
        child = self._running(session_id)
        self._send(child, Monitor(monitor))
        child.monitor = monitor
        return self.status(session_id)

    def share_windows(self, session_id: str, window_ids: list[int] | None) -> dict[str, Any]:
        """Share only these windows (everything else masked), or None: the whole monitor."""
        child = self._running(session_id)
        self._send(child, Windows(tuple(window_ids) if window_ids else None))
        child.windows = list(window_ids) if window_ids else None
        return self.status(session_id)

    # ----- the call's audio in the recording (P9) -----

    def recording(self, session_id: str) -> bool:
        """Whether the session's presenter records right now."""
        child = self._alive(session_id)
        return child is not None and child.recording

    def call_audio(self, session_id: str, at_ms: int, pcm: bytes) -> bool:
        """Pass a chunk of the call's audio to the session's recording; False (and dropped)
        when nothing records."""
        child = self._running(session_id)
        if not child.recording:
            return False
        self._send(child, Audio(at_ms, pcm))
        return True

    # ----- drawing (P5) -----

    def draw(self, session_id: str, command: DrawCommand) -> dict[str, Any]:
        """Pass a drawing command (a tool, undo, clear; see ``commands.draw_command``) to the
        session's presenter."""
        child = self._running(session_id)
        self._send(child, command)
        if isinstance(command, DrawTool):
            child.drawing_tool = None if command.tool is None else str(command.tool)
        return self.drawing(session_id)

    def drawing(self, session_id: str) -> dict[str, Any]:
        """``{tool, overlay_error}``: the agent's drawing tool on the overlay (null: off, or not
        presenting), and why this desktop cannot show drawings (null: it can)."""
        child = self._alive(session_id)
        if child is None:
            return {"tool": None, "overlay_error": None}
        return {"tool": child.drawing_tool, "overlay_error": child.overlay_error}

    def control(self, session_id: str) -> dict[str, bool]:
        """``{mouse, keyboard}``: what the customer controls now (both false when not
        presenting). Follows the relay's ``control_state`` as the presenter reports it."""
        child = self._alive(session_id)
        if child is None:
            return {"mouse": False, "keyboard": False}
        return dict(child.control)

    def revoke_control(
        self, session_id: str, mouse: bool = True, keyboard: bool = True
    ) -> dict[str, bool]:
        """Take mouse and keyboard back (the connection notice's button; as the hotkey does),
        or only one of them."""
        child = self._running(session_id)
        self._send(child, Revoke(mouse=mouse, keyboard=keyboard))
        child.control = {
            "mouse": child.control.get("mouse", False) and not mouse,
            "keyboard": child.control.get("keyboard", False) and not keyboard,
        }
        return dict(child.control)

    def _set(self, session_id: str, command: Command, state: str) -> dict[str, Any]:
        child = self._running(session_id)
        self._send(child, command)
        child.state = state
        return self.status(session_id)

    def _running(self, session_id: str) -> _Child:
        child = self._alive(session_id)
        if child is None:
            raise AgentError("not_presenting", "no presentation runs for that session", 409)
        return child

    def stop(self, session_id: str) -> dict[str, Any]:
        """Stop the session's presenter and wait for it; one still starting is stopped by its
        start (which then answers idle); nothing to do if there is none."""
        with self._lock:
            child = self._children.pop(session_id, None)
            if session_id in self._starting:
                self._stopped_while_starting.add(session_id)
        if child is not None:
            _stop_child(child)
            logger.info("presenter for %s stopped", session_id)
        self._desktop_follow()
        return {"state": "idle", "monitor": None, "windows": None}

    def stop_all(self) -> None:
        """Stop every presenter (the app is quitting)."""
        with self._lock:
            children, self._children = list(self._children.values()), {}
        for child in children:
            _stop_child(child)
        if self._desktop is not None:
            self._desktop.end()

    def _send(self, child: _Child, command: Command) -> None:
        try:
            with child.lock:
                assert child.process.stdin is not None
                child.process.stdin.write(encode_command(command) + "\n")
                child.process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            child.process.wait(timeout=STOP_WAIT_S)
            raise AgentError(
                "presentation_failed",
                child.last_error or f"the presenter exited with {child.process.returncode}",
                502,
            ) from None


def _read_status(child: _Child, stream: IO[str] | None, session_id: str) -> None:
    """The child's state changes (stdout): applied to ``child`` as they come."""
    if stream is None:
        return
    for line in stream:
        status = parse_status(line)
        if status is None:
            if line.strip():
                logger.debug("presenter %s wrote on stdout: %r", session_id, line[:120])
            continue
        child.apply(status)


def _read_log(child: _Child, stream: IO[str] | None, session_id: str) -> None:
    """The child's log (stderr): its last ERROR line (or, before one, its last line) is the
    error shown if the child exits; a warning logged while it exits (its overlay slow to stop)
    does not hide why it stopped."""
    if stream is None:
        return
    for line in stream:
        line = line.rstrip()
        if not line:
            continue
        logger.debug("presenter %s: %s", session_id, line)
        prefix = LOG_PREFIX_RE.match(line)
        is_error = prefix is not None and prefix["level"] in ERROR_LEVELS
        if is_error or not child.error_logged:
            child.last_error = line[prefix.end() :] if prefix else line
            child.error_logged = child.error_logged or is_error


def _stop_child(child: _Child) -> None:
    def ask() -> None:
        with child.lock:
            if child.process.stdin is not None:
                child.process.stdin.write(encode_command(Stop()) + "\n")
                child.process.stdin.close()

    stop_child(child.process, ask=ask, wait_s=STOP_WAIT_S, name="presenter")
