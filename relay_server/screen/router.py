"""The screen channel of every session: presenter, viewers, and the fan-out between them."""

from __future__ import annotations

import logging
import time
from typing import Any

from relay_server.screen.control_grants import ControlDesk
from relay_server.screen.drawing_board import Drawings
from relay_server.screen.fanout import CallLater, KeptFrame, Presentation
from relay_server.sessions.rooms import Member
from suite.protocol import (
    DRAWING_MESSAGES,
    Channel,
    CloseCode,
    Cursor,
    ErrorCode,
    KeyInput,
    MouseInput,
    PaintReport,
    PresentPause,
    PresentResume,
    PresentStart,
    PresentStop,
    ProtocolError,
    RequestControl,
    RevokeControl,
    Role,
    ScreenAck,
)

CONTROL_MESSAGES = (RequestControl, RevokeControl, MouseInput, KeyInput)  # P3

logger = logging.getLogger(__name__)


class Screens:
    def __init__(self, call_later: CallLater | None = None) -> None:
        """``call_later``: the shell's timer, for early capture credits (see screen_fanout)."""
        self._call_later = call_later
        self._presentations: dict[str, Presentation[Member]] = {}
        self.paint_reports = 0
        self.control = ControlDesk()  # control handover (P3); Relay sets its agent_chat
        self.drawings = Drawings()  # P5: strokes over each presentation

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
                self._control_call("clear", member.session_id)  # nobody injects any more
        else:
            presentation.remove_viewer(member)
            self._control_call("viewer_left", member.session_id, member)

    def handle(self, member: Member, message: Any) -> None:
        """A text message on the screen channel.

        Raises:
            ProtocolError: a message this role may not send here, or out of order.
        """
        presentation = self.presentation(member.session_id)
        if member.role is Role.CUSTOMER and id(member) not in presentation.viewers:
            # Unseated: refused for lack of room, or its customer token was retired.
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, "this viewer is not in the session", str(message.type)
            )
        if isinstance(message, CONTROL_MESSAGES):
            self.handle_control(member, message)
            return
        presenter_only = (PresentStart, PresentPause, PresentResume, PresentStop, Cursor)
        if isinstance(message, presenter_only):
            if member.role is not Role.AGENT or presentation.presenter is not member:
                raise ProtocolError(
                    ErrorCode.NOT_ALLOWED,
                    f"only the presenter sends {message.type}",
                    str(message.type),
                )
            if isinstance(message, PresentStart):
                self._drawing_resize(presentation, member.session_id, message)
                presentation.start(message.screen_w, message.screen_h)
                presentation.grant_credit()
            elif isinstance(message, PresentPause):
                presentation.pause()
                self._control_call("clear", member.session_id)
            elif isinstance(message, PresentResume):
                presentation.resume()
            elif isinstance(message, PresentStop):
                presentation.stop()
                self._control_call("clear", member.session_id)
                self.drawings.clear(member.session_id, self._members_of(presentation))
            else:
                frame = message.to_frame()
                for viewer in list(presentation.viewers.values()):
                    viewer.member.send(frame)
        elif isinstance(message, ScreenAck | PaintReport):
            if member.role is not Role.CUSTOMER:
                raise ProtocolError(
                    ErrorCode.NOT_ALLOWED, f"only viewers send {message.type}", str(message.type)
                )
            if isinstance(message, ScreenAck):
                presentation.ack(member, message.seq)
            else:
                self.paint_reports += 1
        elif isinstance(message, DRAWING_MESSAGES):
            others = [m for m in self._members_of(presentation) if m is not member]
            live = presentation.state in ("live", "paused")
            self.drawings.handle(member.session_id, member, message, others, live, time.monotonic())
        else:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED,
                f"{message.type} is not sent on the screen channel",
                str(message.type),
            )

    def region(self, member: Member, data: bytes) -> None:
        """A binary frame on the screen channel.

        Raises:
            ProtocolError: not the presenter's, malformed, or before ``present_start``.
        """
        presentation = self.presentation(member.session_id)
        if member.role is not Role.AGENT or presentation.presenter is not member:
            raise ProtocolError(ErrorCode.NOT_ALLOWED, "only the presenter sends screen frames")
        try:
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

    def handle_control(self, member: Member, message: Any, customer_id: str = "") -> None:
        """A control handover message (P3), from a viewer, the presenter or the agent's chat.

        ``customer_id``: the session's current customer (a grant naming nobody goes there).

        Raises:
            ProtocolError: refused (``relay_server.screen.control_grants`` says when).
        """
        presenter, viewers = self._control_members(member.session_id)
        is_agent = member.role is Role.AGENT
        if is_agent and member.channel is Channel.SCREEN and presenter is not member:
            raise ProtocolError(ErrorCode.NOT_ALLOWED, "not the presenter", str(message.type))
        self.control.handle(
            member.session_id,
            member,
            message,
            presenter,
            viewers,
            is_agent,
            time.monotonic(),
            customer_id,
        )

    def clear_control(self, session_id: str) -> None:
        """Drop every control grant and request of a session (the customer was removed)."""
        self._control_call("clear", session_id)

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

    def _control_call(self, action: str, session_id: str, *members: Member) -> None:
        """``control.viewer_left`` or ``control.clear`` with the session's current members."""
        presenter, viewers = self._control_members(session_id)
        getattr(self.control, action)(session_id, *members, presenter, viewers)

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
