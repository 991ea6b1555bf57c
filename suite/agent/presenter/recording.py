"""The presenter's recording (P9): decides at each connection, and wires the recorder in.

At every (re)connection the relay's ``welcome`` says the admin's ``recording_policy``;
with the agent's own setting (``--record``) :func:`suite.recording.rules.should_record`
decides. A recording, once started, runs in one file across reconnects until the
presentation stops. While it runs, the presenter says ``set_recording {recording: true}``
on each screen socket (the relay tells the customer and copies the chat lines here) and the
loop's ``on_frame`` tap feeds the recorder. The file always has an audio track: the call's
sound comes from the agent app (``audio`` commands, :meth:`PresenterRecording.audio`), and
silence stands where no call runs.

The admin may change the policy while a presentation runs: the relay says
``recording_policy`` on the screen socket and :meth:`PresenterRecording.policy_changed`
follows at once. A recording that the new policy forbids (``off``; ``agent_choice`` when the
agent's setting is off) is finished there, a playable file, and ``set_recording false`` lets
the relay tell the customers (their mark goes) and the agent's chat window (a note); a policy
that now asks for a recording starts one at once, as a new connection would.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from suite.agent.presenter.loop import Channel, Presenter
from suite.agent.presenter.status import Report, no_report
from suite.files.names import unique_path
from suite.protocol import SetRecording
from suite.recording.recorder import MAX_FPS, Recorder
from suite.recording.rules import DEFAULT_FOLDER, customer_name, recording_name, should_record

logger = logging.getLogger(__name__)


class PresenterRecording:
    """The recording of one presenter process.

    Args:
        wanted: the agent's setting "Record presentations automatically".
        folder: where recordings go (created when the first one starts).
        report: ``presenter_status`` events (``recording``, ``recording_finished``).
    """

    def __init__(
        self,
        wanted: bool,
        folder: Path = DEFAULT_FOLDER,
        report: Report = no_report,
        max_fps: float = MAX_FPS,
    ) -> None:
        self.wanted = wanted
        self.folder = folder
        self.max_fps = max_fps
        self._report = report
        self.recorder: Recorder | None = None
        self.error: str | None = None
        # The connection the recording follows (the newest attach): its channel, presenter,
        # welcome.session and session id, for a policy change that comes on it.
        self._attached: tuple[Channel, Presenter, dict[str, Any], str] | None = None
        self._lock = threading.Lock()

    def attach(
        self, channel: Channel, welcome: dict[str, Any], presenter: Presenter, session_id: str
    ) -> None:
        """A new screen socket and presenter: start recording if the policy says so (or go on
        with the recording already running), and wire the frames and the chat to it."""
        session = welcome.get("session") if isinstance(welcome.get("session"), dict) else {}
        assert isinstance(session, dict)
        session = dict(session)
        with self._lock:
            self._attached = (channel, presenter, session, session_id)
            channel.on_recording_policy = self.policy_changed  # type: ignore[attr-defined]
            self._follow(channel, presenter, session, session_id)

    def policy_changed(self, message: dict[str, Any]) -> None:
        """``recording_policy`` from the relay (the screen socket's reader thread): stop and
        finish the file, or start one, by the new policy."""
        policy = message.get("policy")
        with self._lock:
            if self._attached is None:
                return
            channel, presenter, session, session_id = self._attached
            session["recording_policy"] = policy
            if self.recorder is not None and not should_record(policy, self.wanted):
                logger.info("the admin's policy is now %r: the recording stops", policy)
                presenter.on_frame = None
                channel.on_chat = None  # type: ignore[attr-defined]
                self._finish(reason="policy")
                channel.send_message(SetRecording(recording=False))
                return
            self._follow(channel, presenter, session, session_id)

    def _follow(
        self, channel: Channel, presenter: Presenter, session: dict[str, Any], session_id: str
    ) -> None:
        if self.recorder is None:
            policy = session.get("recording_policy")
            if not should_record(policy, self.wanted):
                logger.info("not recording (policy %r, agent's setting %s)", policy, self.wanted)
                return
            if not self._start(session, session_id):
                return
        recorder = self.recorder
        assert recorder is not None
        presenter.on_frame = recorder.offer
        channel.on_chat = recorder.chat  # type: ignore[attr-defined]
        channel.send_message(SetRecording(recording=True))

    def _start(self, session: dict[str, Any], session_id: str) -> bool:
        now = time.time()
        customer = customer_name(session)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = unique_path(self.folder, recording_name(customer, now))
        except OSError as exc:
            self.error = f"cannot write recordings into {self.folder}: {exc.strerror or exc}"
            logger.error("%s", self.error)
            self._report("recording_failed", reason=self.error)
            return False
        metadata = {"title": customer, "session_id": session_id, "comment": "RemoteSales"}
        self.recorder = Recorder(path, metadata, self.max_fps, audio=True)
        self._report("recording", path=str(path))
        return True

    def audio(self, pcm: bytes, at: float) -> None:
        """The call's sound heard at ``at`` (wall-clock seconds): into the running recording,
        if one runs."""
        if self.recorder is not None:
            self.recorder.audio(pcm, at)

    def pause(self) -> None:
        if self.recorder is not None:
            self.recorder.pause()

    def resume(self) -> None:
        if self.recorder is not None:
            self.recorder.resume()

    def stop(self) -> None:
        """Finish the file (the presentation stopped, or the process is ending)."""
        with self._lock:
            self._finish(reason="stopped")

    def _finish(self, reason: str) -> None:
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return
        recorder.stop()
        self._report(
            "recording_finished", path=str(recorder.path), frames=recorder.frames,
            error=recorder.error, reason=reason,
        )  # fmt: skip
