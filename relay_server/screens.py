"""The screen channel of every session: presenter, viewers, and the fan-out between them."""

from __future__ import annotations

import logging
from typing import Any

from relay_server.rooms import Member
from relay_server.screen_fanout import CallLater, KeptFrame, Presentation
from suite.protocol import (
    CloseCode,
    Cursor,
    ErrorCode,
    PaintReport,
    PresentPause,
    PresentResume,
    PresentStart,
    PresentStop,
    ProtocolError,
    Role,
    ScreenAck,
)

logger = logging.getLogger(__name__)


class Screens:
    def __init__(self, call_later: CallLater | None = None) -> None:
        """``call_later``: the shell's timer, for early capture credits (see screen_fanout)."""
        self._call_later = call_later
        self._presentations: dict[str, Presentation] = {}
        self.paint_reports = 0

    def presentation(self, session_id: str) -> Presentation:
        found = self._presentations.get(session_id)
        if found is None:
            found = Presentation(call_later=self._call_later)
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
        elif not presentation.add_viewer(member):
            member.close(CloseCode.REPLACED, "too many viewers on this presentation")

    def leave(self, member: Member) -> None:
        presentation = self._presentations.get(member.session_id)
        if presentation is None:
            return
        if member.role is Role.AGENT:
            if presentation.presenter is member:
                presentation.presenter = None
        else:
            presentation.remove_viewer(member)

    def handle(self, member: Member, message: Any) -> None:
        """A text message on the screen channel.

        Raises:
            ProtocolError: a message this role may not send here, or out of order.
        """
        presentation = self.presentation(member.session_id)
        presenter_only = (PresentStart, PresentPause, PresentResume, PresentStop, Cursor)
        if isinstance(message, presenter_only):
            if member.role is not Role.AGENT or presentation.presenter is not member:
                raise ProtocolError(
                    ErrorCode.NOT_ALLOWED,
                    f"only the presenter sends {message.type}",
                    str(message.type),
                )
            if isinstance(message, PresentStart):
                presentation.start(message.screen_w, message.screen_h)
                presentation.grant_credit()
            elif isinstance(message, PresentPause):
                presentation.pause()
            elif isinstance(message, PresentResume):
                presentation.resume()
            elif isinstance(message, PresentStop):
                presentation.stop()
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
        presentation = self._presentations.pop(session_id, None)
        if presentation is None:
            return
        for member in self._members_of(presentation):
            member.close(code, reason)

    def stats(self) -> dict[str, int]:
        """Counters for /health: how much the screen channel has carried."""
        presentations = self._presentations.values()
        return {
            "presentations": len(self._presentations),
            "viewers": sum(len(p.viewers) for p in presentations),
            "frames_in": sum(p.frames_in for p in presentations),
            "frames_dropped": sum(p.frames_dropped for p in presentations),
            "paint_reports": self.paint_reports,
        }

    def members(self) -> list[Member]:
        return [m for p in self._presentations.values() for m in self._members_of(p)]

    @staticmethod
    def _members_of(presentation: Presentation) -> list:
        members = [viewer.member for viewer in presentation.viewers.values()]
        if presentation.presenter is not None:
            members.append(presentation.presenter)
        return members
