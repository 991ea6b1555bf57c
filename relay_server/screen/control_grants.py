"""Control handover (P3): who may move the agent's pointer and type on the agent's keyboard.

Pure (no sockets, no gevent): members are anything with ``send(frame)``, ``offer(frame)``
(send if there is room, else drop: True when queued), a ``name`` and a ``customer_id`` (the
public id of the customer token the socket said hello with; empty for the agent). The caller
passes the session's viewers, presenter and the agent's chat socket, and the current time.

The rules (``docs/protocol.md``, *Control handover*):

- A viewer asks with ``request_control``; the agent's chat socket sees ``requested: true`` and
  ``requested_by`` (the asker's customer id and name, taken from its socket, never from the
  message).
- A grant names one customer (``grant_control``'s ``customer_id``, else the session's current
  customer) and is bound at grant time to (that customer id, socket): the socket that asked,
  when that customer asked, or else every viewer socket that customer has open now (a browser
  tab and the one-time viewer belong to the same person). A grant replaces the previous holders
  of that kind. Sockets opened later, and sockets of any other customer token, hold nothing.
- ``revoke_control`` takes either back at any moment and drops a pending request.
- A holder that disconnects loses its grant; pause, stop, the customer's removal and the end of
  the session clear it.
- Input is forwarded to the presenter only from a socket holding the matching grant (mouse
  events need the mouse, keys and text the keyboard) and within its rate: every kind takes a
  token from the viewer's bucket. Over the rate, the one event still let through is an ``up``
  releasing something this socket pressed through the relay and has not released (at most one
  per forwarded ``down``, so no flood): dropping it would leave a key stuck. Anything else is
  refused with ``error`` (at most 10 a second per viewer) and dropped. Forwarded input is
  offered to the presenter's socket, never forced: a presenter too slow to take it loses input,
  never its socket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from relay_server.throttle import TokenBucket
from suite.protocol import (
    ControlState,
    ErrorCode,
    GrantControl,
    KeyInput,
    MessageType,
    MouseInput,
    ProtocolError,
    RequestControl,
    RevokeControl,
)

# Mouse moves are coalesced by the viewer to ~60 a second; clicks, wheel and keys come on top.
INPUT_EVENTS_PER_S = 120.0
INPUT_BURST = 240.0
# Refused input is answered with `error` at most this often per viewer; the rest is dropped
# silently, so that a flooding client's own error replies do not fill its send queue (which
# would close it as too slow) and the relay does no work per refused event beyond counting.
INPUT_ERRORS_PER_S = 10.0
# Keys and buttons remembered as pressed per viewer (for the release that passes over the rate).
MAX_PRESSED = 64


class Sendable(Protocol):
    name: str
    customer_id: str

    def send(self, frame: str | bytes) -> None: ...

    def offer(self, frame: str | bytes) -> bool: ...


@dataclass(frozen=True, slots=True)
class Holder:
    """A grant's binding: this customer token's id, and this one socket."""

    customer_id: str
    socket: Any

    def binds(self, member: Any) -> bool:
        """True for the very socket it was given to, still of the same customer token."""
        return self.socket is member and self.customer_id == member.customer_id


def who(member: Any) -> dict[str, str] | None:
    """``{customer_id, name}`` of a customer's socket, as the agent is shown it."""
    if member is None:
        return None
    return {"customer_id": member.customer_id, "name": member.name}


def _press_key(message: MouseInput | KeyInput) -> str | None:
    """What a down/up presses or lets go of (None for moves, wheel and text)."""
    if message.action not in ("down", "up"):
        return None
    if isinstance(message, MouseInput):
        return f"button:{message.button}"
    return f"key:{message.key}"


@dataclass(slots=True)
class SessionControl:
    """One session's grants: holders of each kind, the viewer that asked, rate buckets."""

    mouse: list[Holder] = field(default_factory=list)
    keyboard: list[Holder] = field(default_factory=list)
    requester: Any = None
    _buckets: dict[int, TokenBucket] = field(default_factory=dict)
    _error_buckets: dict[int, TokenBucket] = field(default_factory=dict)
    _pressed: dict[int, set[str]] = field(default_factory=dict)

    # -- state changes (each returns True when something changed) ---------------------------

    def request(self, viewer: Any) -> bool:
        if self.requester is viewer:
            return False
        self.requester = viewer
        return True

    def grant(self, mouse: bool, keyboard: bool, viewers: list[Any], customer_id: str) -> bool:
        """Hand over the named kinds to one customer's sockets (see the module's rules).

        Raises:
            ProtocolError: ``not_allowed`` when that customer has no viewer connected.
        """
        theirs = [v for v in viewers if v.customer_id == customer_id]
        asked = self.requester is not None and any(v is self.requester for v in theirs)
        targets = [self.requester] if asked else theirs
        if not targets:
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED,
                "no viewer of this customer is connected to hand control to",
                str(MessageType.GRANT_CONTROL),
            )
        holders = [Holder(customer_id, target) for target in targets]
        if mouse:
            self.mouse = list(holders)
        if keyboard:
            self.keyboard = list(holders)
        if self.requester is not None and self.requester.customer_id == customer_id:
            self.requester = None
        return True

    def revoke(self, mouse: bool, keyboard: bool) -> bool:
        changed = self.requester is not None
        self.requester = None
        if mouse and self.mouse:
            self.mouse, changed = [], True
        if keyboard and self.keyboard:
            self.keyboard, changed = [], True
        return changed

    def viewer_left(self, viewer: Any) -> bool:
        """Forget a viewer's grants and request; True when it held or asked for anything."""
        self._buckets.pop(id(viewer), None)
        self._error_buckets.pop(id(viewer), None)
        self._pressed.pop(id(viewer), None)
        changed = False
        if self.requester is viewer:
            self.requester, changed = None, True
        for kind in (self.mouse, self.keyboard):
            if any(holder.socket is viewer for holder in kind):
                kind[:] = [holder for holder in kind if holder.socket is not viewer]
                changed = True
        return changed

    def clear(self) -> bool:
        return self.revoke(mouse=True, keyboard=True)

    # -- input -------------------------------------------------------------------------------

    def check_input(self, viewer: Any, message: MouseInput | KeyInput, now: float) -> None:
        """Let an input event through, or say why not.

        Raises:
            ProtocolError: ``not_allowed`` without the matching grant, ``rate_limited`` over
                the viewer's rate.
        """
        is_mouse = isinstance(message, MouseInput)
        holders = self.mouse if is_mouse else self.keyboard
        if not any(holder.binds(viewer) for holder in holders):
            kind = "mouse" if is_mouse else "keyboard"
            raise ProtocolError(
                ErrorCode.NOT_ALLOWED, f"control not granted: {kind}", str(message.type)
            )
        bucket = self._buckets.get(id(viewer))
        if bucket is None:
            bucket = self._buckets[id(viewer)] = TokenBucket(INPUT_EVENTS_PER_S, INPUT_BURST)
        pressed = self._pressed.setdefault(id(viewer), set())
        press = _press_key(message)
        if not bucket.take(now):
            if message.action == "up" and press in pressed:
                pressed.discard(press)  # the one release of a forwarded press: never dropped
                return
            raise ProtocolError(
                ErrorCode.RATE_LIMITED, "slow down: too many input events", str(message.type)
            )
        if press is None:
            return
        if message.action == "up":
            pressed.discard(press)
        elif len(pressed) < MAX_PRESSED:
            pressed.add(press)

    def report_refusal(self, viewer: Any, now: float) -> bool:
        """True when a refused input may be answered with ``error`` (else: drop it silently)."""
        bucket = self._error_buckets.get(id(viewer))
        if bucket is None:
            bucket = self._error_buckets[id(viewer)] = TokenBucket(
                INPUT_ERRORS_PER_S, INPUT_ERRORS_PER_S
            )
        return bucket.take(now)

    # -- views -------------------------------------------------------------------------------

    def viewer_state(self, viewer: Any) -> dict[str, Any]:
        """What one viewer holds (it is told nothing about the others)."""
        return {
            "mouse": any(holder.binds(viewer) for holder in self.mouse),
            "keyboard": any(holder.binds(viewer) for holder in self.keyboard),
            "requested": self.requester is viewer,
        }

    def agent_state(self) -> dict[str, Any]:
        """What the agent's chat window and the presenter see: each kind, and who."""
        return {
            "mouse": bool(self.mouse),
            "keyboard": bool(self.keyboard),
            "requested": self.requester is not None,
            "requested_by": who(self.requester),
            "mouse_holder": who(self.mouse[0].socket) if self.mouse else None,
            "keyboard_holder": who(self.keyboard[0].socket) if self.keyboard else None,
        }


class ControlDesk:
    """Every session's :class:`SessionControl`, and who is told what when it changes.

    Args:
        agent_chat: returns the agent's chat socket of a session, or None.
    """

    def __init__(self, agent_chat: Any = None) -> None:
        self._sessions: dict[str, SessionControl] = {}
        self.agent_chat = agent_chat or (lambda session_id: None)
        self.forwarded = 0
        self.refused = 0
        self.dropped = 0  # forwarded input the presenter's socket had no room for

    def session(self, session_id: str) -> SessionControl:
        found = self._sessions.get(session_id)
        if found is None:
            found = self._sessions[session_id] = SessionControl()
        return found

    def handle(
        self,
        session_id: str,
        member: Any,
        message: Any,
        presenter: Any,
        viewers: list[Any],
        is_agent: bool,
        now: float,
        customer_id: str = "",
    ) -> None:
        """Act on a control message (from a viewer, the presenter or the agent's chat).

        ``customer_id``: the session's current customer, whom a ``grant_control`` that names
        nobody goes to.

        Raises:
            ProtocolError: the sender may not send it, or the input is refused.
        """
        control = self.session(session_id)
        kind = str(message.type)
        if isinstance(message, GrantControl | RevokeControl):
            if not is_agent:
                raise ProtocolError(ErrorCode.NOT_ALLOWED, f"only the agent may send {kind}", kind)
            if isinstance(message, GrantControl):
                named = message.customer_id or customer_id
                changed = control.grant(message.mouse, message.keyboard, viewers, named)
            else:
                changed = control.revoke(message.mouse, message.keyboard)
        elif isinstance(message, RequestControl):
            if is_agent:
                raise ProtocolError(ErrorCode.NOT_ALLOWED, "only viewers ask for control", kind)
            changed = control.request(member)
        elif isinstance(message, MouseInput | KeyInput):
            if is_agent:
                raise ProtocolError(ErrorCode.NOT_ALLOWED, "only viewers send input", kind)
            try:
                control.check_input(member, message, now)
                if presenter is None:
                    raise ProtocolError(ErrorCode.NOT_ALLOWED, "the agent is not presenting", kind)
            except ProtocolError:
                self.refused += 1
                if control.report_refusal(member, now):
                    raise
                return
            if presenter.offer(message.to_frame()):
                self.forwarded += 1
            else:
                self.dropped += 1
            return
        else:
            raise ProtocolError(ErrorCode.NOT_ALLOWED, f"{kind} is not a control message", kind)
        if changed:
            self.tell(session_id, presenter, viewers)

    def viewer_left(self, session_id: str, viewer: Any, presenter: Any, viewers: list[Any]) -> None:
        control = self._sessions.get(session_id)
        if control is not None and control.viewer_left(viewer):
            self.tell(session_id, presenter, viewers)

    def clear(self, session_id: str, presenter: Any, viewers: list[Any]) -> None:
        """Pause or stop: every grant and request is dropped."""
        control = self._sessions.get(session_id)
        if control is not None and control.clear():
            self.tell(session_id, presenter, viewers)

    def forget(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def tell(self, session_id: str, presenter: Any, viewers: list[Any]) -> None:
        """Send ``control_state`` to every viewer (its own view), the presenter and the agent."""
        control = self.session(session_id)
        for viewer in viewers:
            viewer.send(ControlState(**control.viewer_state(viewer)).to_frame())
        agent_frame = ControlState(**control.agent_state()).to_frame()
        if presenter is not None:
            presenter.send(agent_frame)
        chat = self.agent_chat(session_id)
        if chat is not None:
            chat.send(agent_frame)

    def state_for_agent(self, session_id: str) -> str:
        return ControlState(**self.session(session_id).agent_state()).to_frame()

    def state_for_viewer(self, session_id: str, viewer: Any) -> str:
        return ControlState(**self.session(session_id).viewer_state(viewer)).to_frame()
