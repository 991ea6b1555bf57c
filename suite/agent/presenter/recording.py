"""The presenter's recording (P9): decides at each connection, and wires the recorder in.

At every (re)connection the relay's ``welcome`` says the admin's ``recording_policy``;
with the agent's own setting (``--record``) :func:`suite.recording.rules.should_record`
decides. A recording, once started, runs in one file across reconnects until the
presentation stops. While it runs, the presenter says ``set_recording {recording: true}``
on each screen socket (the relay tells the customer and copies the chat lines here) and the
loop's ``on_frame`` tap feeds the recorder.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from suite.agent.presenter.loop import Channel, Presenter
from suite.agent.presenter.status import Report, no_report
from suite.files.names import unique_path
from suite.protocol import SetRecording
from suite.recording.recorder import MAX_FPS, Recorder
from suite.recording.rules import customer_name, recording_name, should_record

logger = logging.getLogger(__name__)

DEFAULT_FOLDER = Path.home() / "RemoteSales" / "Recordings"


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

    def attach(
        self, channel: Channel, welcome: dict[str, Any], presenter: Presenter, session_id: str
    ) -> None:
        """A new screen socket and presenter: start recording if the policy says so (or go on
        with the recording already running), and wire the frames and the chat to it."""
        session = welcome.get("session") if isinstance(welcome.get("session"), dict) else {}
        assert isinstance(session, dict)
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
        self.recorder = Recorder(path, metadata, self.max_fps)
        self._report("recording", path=str(path))
        return True

    def pause(self) -> None:
        if self.recorder is not None:
            self.recorder.pause()

    def resume(self) -> None:
        if self.recorder is not None:
            self.recorder.resume()

    def stop(self) -> None:
        """Finish the file (the presentation stopped, or the process is ending)."""
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return
        recorder.stop()
        self._report(
            "recording_finished", path=str(recorder.path), frames=recorder.frames,
            error=recorder.error,
        )  # fmt: skip
