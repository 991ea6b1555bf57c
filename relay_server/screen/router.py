"""The screen channel of every session: presenter, viewers, and the fan-out between them.

Each message type has one ``handle_<type>`` method (:data:`SCREEN_HANDLERS`). No clock is read
here: the websocket adapter passes ``now`` (monotonic seconds) with every message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from relay_server.screen.control_grants import ControlDesk
from relay_server.screen.drawing_board import Drawings
from relay_server.screen.fanout import CallLater, KeptFrame, Presentation
from relay_server.screen.video_fanout import KeptVideo
from relay_server.sessions.rooms import Member
from suite.protocol import (
    Channel,
    ClearDrawing,
    CloseCode,
    Cursor,
    DecoderSupport,
    EndSession,
    ErrorCode,
    GrantControl,
    KeyInput,
    MouseInput,
    PaintReport,
    PresentPause,
    PresentResume,
    PresentStart,
    PresentStop,
    ProtocolError,
    RecordingPolicy,
    RecordingState,
    RequestControl,
    RevokeControl,
    Role,
    ScreenAck,
    SetRecording,
    StrokeBegin,
    StrokeEnd,
    StrokePoints,
    UndoStroke,
    VideoLost,
    require_channel,
)
from suite.screen.frames import FrameKind
from suite.screen.video_frame import frame_kind

ControlMessage = RequestControl | GrantControl | RevokeControl | MouseInput | KeyInput
DrawingMessage = StrokeBegin | StrokePoints | StrokeEnd | UndoStroke | ClearDrawing

logger = logging.getLogger(__name__)


class Screens:
    def __init__(
        self,
        call_later: CallLater | None = None,
        end_session: Callable[[Member, float], None] | None = None,
    ) -> None:
        """``call_later``: the shell's timer, for early capture credits (see screen_fanout);
        ``end_session``: ends a member's session (Relay's), for the viewer's End button."""
        self._call_later = call_later
        self._end_session = end_session
        self._presentations: dict[str, Presentation[Member]] = {}
        self.paint_reports = 0
        self.control = ControlDesk()  # control handover (P3); Relay sets its agent_chat
        self.drawings = Drawings()  # P5: strokes over each presentation
        # Told (session id, "presentations" | "control_grants") for the history (A10).
        self.on_usage: Callable[[str, str], None] = lambda session_id, what: None
        # P9: sessions whose presenter records on the agent's machine; Relay sets to_chat
        # (a frame to the session's chat sockets and viewers) to tell everyone.
        self._recording: set[str] = set()
        self.to_chat: Callable[[str, str], None] = lambda session_id, frame: None

    def presentation(self, session_id: str) -> Presentation[Member]:
        found = self._presentations.get(session_id)
        if found is None:
            found = Presentation[Member](call_later=self._call_later)
            self._presentations[session_id] = found
        return found

    def enter(self, member: Member) -> None:
        """Seat a screen socket: the agent presents, customers view."""
        presentation = self.presentation(member.session_id)
        if member.role is Role.AGENT:
            previous, presentation.presenter = presentation.presenter, member
            if previous is not None and previous is not member:
                previous.close(CloseCode.REPLACED, "presenting from another window")
            presentation.credit = 0  # a new presenter starts without credit
            presentation.tell_codecs(again=True)
            presentation.grant_credit()
            member.send(self.control.state_for_agent(member.session_id))
        elif not presentation.add_viewer(member):
            member.close(CloseCode.REPLACED, "too many viewers on this presentation")
            return
        else:
            member.send(self.control.state_for_viewer(member.session_id, member))
        member.send(self.drawings.snapshot_frame(member.session_id))  # P5: the drawing so far

    def leave(self, member: Member) -> None:
        self.drawings.forget_member(member)
        presentation = self._presentations.get(member.session_id)
        if presentation is None:
            return
        if member.role is Role.AGENT:
            if presentation.presenter is member:
                presentation.presenter = None
                self.clear_control(member.session_id)  # nobody injects any more
                self._set_recording(member.session_id, False)  # a gone presenter records not
        else:
            presentation.remove_viewer(member)
            presenter, viewers = self._control_members(member.session_id)
            self.control.viewer_left(member.session_id, member, presenter, viewers)

    def handle(self, member: Member, message: Any, now: float) -> None:
        """A text message on the screen channel.

        Args:
            now: monotonic seconds (rate limits of input and drawing).

        Raises:
            ProtocolError: a message this role may not send here, or out of order.
        """
        require_channel(message, Channel.SCREEN)
        presentation = self.presentation(member.session_id)
        if member.role is Role.CUSTOMER and id(member) not in presentation.viewers:
            # Unseated: refused for lack of room, or its customer token was retired.
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, "this viewer is not in the session", str(message.type)
            )
        SCREEN_HANDLERS[type(message)](self, member, message, now)

    # -- presenter -> relay (protocol.md, *Text messages on the screen channel*) ---------------

    def handle_present_start(self, member: Member, message: PresentStart, now: float) -> None:
        """``present_start``: a presentation (re)starts; viewers get ``screen_state``."""
        presentation = self._presenter_only(member, message)
        self._drawing_resize(presentation, member.session_id, message)
        presentation.start(message.screen_w, message.screen_h, message.control)
        presentation.grant_credit()
        self.on_usage(member.session_id, "presentations")

    def handle_present_pause(self, member: Member, message: PresentPause, now: float) -> None:
        """``present_pause``: viewers keep the last picture; control goes back to the agent."""
        self._presenter_only(member, message).pause()
        self.clear_control(member.session_id)

    def handle_present_resume(self, member: Member, message: PresentResume, now: float) -> None:
        """``present_resume``: the paused presentation goes on."""
        self._presenter_only(member, message).resume()

    def handle_set_recording(self, member: Member, message: SetRecording, now: float) -> None:
        """``set_recording`` (P9): the presenter records, or stopped; everyone is told."""
        self._presenter_only(member, message)
        self._set_recording(member.session_id, message.recording)

    def recording(self, session_id: str) -> bool:
        """Whether the session's presenter says it records now (``session.recording``)."""
        return session_id in self._recording

    def recorder_of(self, session_id: str) -> Member | None:
        """The presenter that records the session (it gets a copy of each chat line)."""
        if session_id not in self._recording:
            return None
        presentation = self._presentations.get(session_id)
        return presentation.presenter if presentation is not None else None

    def recording_policy_changed(self, policy: str) -> None:
        """The admin changed ``recording.policy`` (P9): every presenter is told at once (its
        recording starts or stops by it; docs/architecture.md)."""
        frame = RecordingPolicy(policy).to_frame()
        for presentation in list(self._presentations.values()):
            if presentation.presenter is not None:
                presentation.presenter.send(frame)

    def _set_recording(self, session_id: str, recording: bool) -> None:
        if recording == (session_id in self._recording):
            return
        if recording:
            self._recording.add(session_id)
        else:
            self._recording.discard(session_id)
        self.to_chat(session_id, RecordingState(recording).to_frame())

    def handle_end_session(self, member: Member, message: EndSession, now: float) -> None:
        """``end_session`` on the screen channel: the viewer's End button (the guide's 종료)
        ends the session as it does from the chat."""
        if self._end_session is not None:
            self._end_session(member, now)

    def handle_present_stop(self, member: Member, message: PresentStop, now: float) -> None:
        """``present_stop``: the relay forgets the picture, the grants and the drawing."""
        presentation = self._presenter_only(member, message)
        presentation.stop()
        self.clear_control(member.session_id)
        self.drawings.clear(member.session_id, self._members_of(presentation))

    def handle_cursor(self, member: Member, message: Cursor, now: float) -> None:
        """``cursor``: forwarded to every viewer as it came (latest wins)."""
        presentation = self._presenter_only(member, message)
        frame = message.to_frame()
        for viewer in list(presentation.viewers.values()):
            viewer.member.send(frame)

    # -- viewer -> relay ----------------------------------------------------------------------

    def handle_screen_ack(self, member: Member, message: ScreenAck, now: float) -> None:
        """``screen_ack``: a viewer painted a frame; its window opens by one."""
        self._viewer_only(member, message).ack(member, message.seq)

    def handle_decoder_support(self, member: Member, message: DecoderSupport, now: float) -> None:
        """``decoder_support``: which video codecs this viewer decodes; the presenter is told
        what every viewer decodes (``video_codecs``)."""
        self._viewer_only(member, message).set_decoders(member, message.video)

    def handle_video_lost(self, member: Member, message: VideoLost, now: float) -> None:
        """``video_lost``: this viewer's decoder lost its place; it gets the next key frame."""
        self._viewer_only(member, message).video_lost(member, message.seq)

    def handle_paint_report(self, member: Member, message: PaintReport, now: float) -> None:
        """``paint_report``: counted for /health (benchmarks); not forwarded."""
        self._viewer_only(member, message)
        self.paint_reports += 1

    # -- control handover (protocol.md, *Screen channel: control handover*) -------------------

    def handle_request_control(self, member: Member, message: RequestControl, now: float) -> None:
        """``request_control``: a viewer asks; the agent's chat sees ``requested``."""
        self.handle_control(member, message, now)

    def handle_revoke_control(self, member: Member, message: RevokeControl, now: float) -> None:
        """``revoke_control`` from the presenter (its hotkey); the chat's goes through Relay."""
        self.handle_control(member, message, now)

    def handle_mouse_input(self, member: Member, message: MouseInput, now: float) -> None:
        """``mouse_input``: forwarded to the presenter when this viewer holds the mouse."""
        self.handle_control(member, message, now)

    def handle_key_input(self, member: Member, message: KeyInput, now: float) -> None:
        """``key_input``: forwarded to the presenter when this viewer holds the keyboard."""
        self.handle_control(member, message, now)

    # -- drawing (protocol.md, *Screen drawing*) ----------------------------------------------

    def handle_stroke_begin(self, member: Member, message: StrokeBegin, now: float) -> None:
        """``stroke_begin``: a new stroke, relayed to the others with its author."""
        self._draw(member, message, now)

    def handle_stroke_points(self, member: Member, message: StrokePoints, now: float) -> None:
        """``stroke_points``: more points of the sender's open stroke."""
        self._draw(member, message, now)

    def handle_stroke_end(self, member: Member, message: StrokeEnd, now: float) -> None:
        """``stroke_end``: the stroke is final."""
        self._draw(member, message, now)

    def handle_undo_stroke(self, member: Member, message: UndoStroke, now: float) -> None:
        """``undo_stroke``: removes the sender's newest stroke (``stroke_removed`` to all)."""
        self._draw(member, message, now)

    def handle_clear_drawing(self, member: Member, message: ClearDrawing, now: float) -> None:
        """``clear_drawing``: removes every stroke (``drawing_cleared`` to all)."""
        self._draw(member, message, now)

    def _presenter_only(self, member: Member, message: Any) -> Presentation:
        presentation = self.presentation(member.session_id)
        if member.role is not Role.AGENT or presentation.presenter is not member:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, f"only the presenter sends {message.type}", str(message.type)
            )
        return presentation

    def _viewer_only(self, member: Member, message: Any) -> Presentation:
        if member.role is not Role.CUSTOMER:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, f"only viewers send {message.type}", str(message.type)
            )
        return self.presentation(member.session_id)

    def _draw(self, member: Member, message: DrawingMessage, now: float) -> None:
        presentation = self.presentation(member.session_id)
        others = [m for m in self._members_of(presentation) if m is not member]
        live = presentation.state in ("live", "paused")
        self.drawings.handle(member.session_id, member, message, others, live, now)

    def region(self, member: Member, data: bytes) -> None:
        """A binary frame on the screen channel.

        Raises:
            ProtocolError: not the presenter's, malformed, or before ``present_start``.
        """
        presentation = self.presentation(member.session_id)
        if member.role is not Role.AGENT or presentation.presenter is not member:
            raise ProtocolError(ErrorCode.NOT_ALLOWED, "only the presenter sends screen frames")
        try:
            if frame_kind(data) == FrameKind.VIDEO:
                presentation.add_video(KeptVideo.parse(data))
            else:
                presentation.add_frame(KeptFrame.parse(data))
        except ValueError as error:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, str(error)) from None

    def end(self, session_id: str, code: int, reason: str) -> None:
        self.drawings.end(session_id)
        presentation = self._presentations.pop(session_id, None)
        self.control.forget(session_id)
        if presentation is None:
            return
        for member in self._members_of(presentation):
            member.close(code, reason)

    def handle_control(
        self, member: Member, message: ControlMessage, now: float, customer_id: str = ""
    ) -> None:
        """A control handover message (P3), from a viewer, the presenter or the agent's chat.

        Args:
            now: seconds for the input rate limits (monotonic on the screen channel; grants
                and revokes from the chat never reach a rate limit).
            customer_id: the session's current customer (a grant naming nobody goes there).

        Raises:
            ProtocolError: refused (``relay_server.screen.control_grants`` says when).
        """
        presenter, viewers = self._control_members(member.session_id)
        is_agent = member.role is Role.AGENT
        if is_agent and member.channel is Channel.SCREEN and presenter is not member:
            raise ProtocolError(ErrorCode.NOT_ALLOWED, "not the presenter", str(message.type))
        self.control.handle(
            member.session_id, member, message, presenter, viewers, is_agent, now, customer_id
        )
        if isinstance(message, GrantControl):
            self.on_usage(member.session_id, "control_grants")

    def clear_control(self, session_id: str) -> None:
        """Drop every control grant and request of a session (paused, stopped, presenter gone,
        customer removed)."""
        presenter, viewers = self._control_members(session_id)
        self.control.clear(session_id, presenter, viewers)

    def retire_customer(self, session_id: str, customer_id: str, code: int, reason: str) -> int:
        """Unseat and close every viewer socket of a customer token that stopped working.

        Their slots are free, their grants and requests gone and their strokes' authorship
        forgotten before this returns; nothing more is sent to them. Returns how many closed.
        """
        presentation = self._presentations.get(session_id)
        if presentation is None:
            return 0
        theirs = [
            viewer.member
            for viewer in list(presentation.viewers.values())
            if getattr(viewer.member, "customer_id", None) == customer_id
        ]
        for member in theirs:
            self.leave(member)
            member.close(code, reason)
        return len(theirs)

    def _control_members(self, session_id: str) -> tuple[Member | None, list[Member]]:
        """(presenter, viewers) of a session, without creating a presentation for it."""
        presentation = self._presentations.get(session_id)
        if presentation is None:
            return None, []
        return presentation.presenter, [v.member for v in presentation.viewers.values()]

    def stats(self) -> dict[str, int]:
        """Counters for /health: how much the screen channel has carried."""
        presentations = self._presentations.values()
        return {
            "presentations": len(self._presentations),
            "viewers": sum(len(p.viewers) for p in presentations),
            "frames_in": sum(p.frames_in for p in presentations),
            "frames_dropped": sum(p.frames_dropped for p in presentations),
            "paint_reports": self.paint_reports,
            "inputs_forwarded": self.control.forwarded,  # control handover (P3)
            "inputs_refused": self.control.refused,
            "inputs_dropped": self.control.dropped,  # no room at the presenter
        }

    def _drawing_resize(
        self, presentation: Presentation[Member], session_id: str, start: PresentStart
    ) -> None:
        """A (re)start on a screen of another size: strokes would land elsewhere, so go."""
        if (presentation.screen_w, presentation.screen_h) != (start.screen_w, start.screen_h):
            self.drawings.clear(session_id, self._members_of(presentation))
        self.drawings.resize(session_id, start.screen_w, start.screen_h)

    def viewers_of(self, session_id: str) -> list[Member]:
        """The customer's screen sockets in one session (none without a presentation)."""
        presentation = self._presentations.get(session_id)
        if presentation is None:
            return []
        return [viewer.member for viewer in presentation.viewers.values()]

    def members(self) -> list[Member]:
        return [m for p in self._presentations.values() for m in self._members_of(p)]

    @staticmethod
    def _members_of(presentation: Presentation[Member]) -> list:
        members = [viewer.member for viewer in presentation.viewers.values()]
        if presentation.presenter is not None:
            members.append(presentation.presenter)
        return members


SCREEN_HANDLERS: dict[type, Callable[..., None]] = {
    PresentStart: Screens.handle_present_start,
    PresentPause: Screens.handle_present_pause,
    PresentResume: Screens.handle_present_resume,
    PresentStop: Screens.handle_present_stop,
    Cursor: Screens.handle_cursor,
    ScreenAck: Screens.handle_screen_ack,
    PaintReport: Screens.handle_paint_report,
    DecoderSupport: Screens.handle_decoder_support,
    VideoLost: Screens.handle_video_lost,
    RequestControl: Screens.handle_request_control,
    RevokeControl: Screens.handle_revoke_control,
    MouseInput: Screens.handle_mouse_input,
    KeyInput: Screens.handle_key_input,
    StrokeBegin: Screens.handle_stroke_begin,
    StrokePoints: Screens.handle_stroke_points,
    StrokeEnd: Screens.handle_stroke_end,
    UndoStroke: Screens.handle_undo_stroke,
    ClearDrawing: Screens.handle_clear_drawing,
    EndSession: Screens.handle_end_session,
    SetRecording: Screens.handle_set_recording,
}
"""One handler per screen-channel message type: its keys are ``suite.protocol.SCREEN_MESSAGES``."""
