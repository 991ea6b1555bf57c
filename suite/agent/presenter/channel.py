"""The presenter's websocket to the relay's screen channel (``docs/protocol.md``).

The ``websockets`` sync client, with one reader thread: the agent app's GUI process must never
monkey-patch gevent, and the presenter loop must not block on reads. The reader turns
``capture_credit`` into a counter that :meth:`ScreenChannel.wait_credit` waits on.

A relay that predates the screen fan-out (the "preview" that only forwards binary frames)
answers ``present_start`` with ``error``; then no credit ever comes and the presenter paces
itself (``paced_by_relay`` turns False).
"""

from __future__ import annotations

import contextlib
import json
import logging
import ssl
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from suite.agent.app.errors import AgentError
from suite.agent.app.relay_client import parse_relay_address
from suite.net.connect import environment_connector
from suite.net.policy import NetworkError
from suite.net.serial_tls import SerialTLSConnection
from suite.protocol import (
    PROTOCOL_VERSION,
    CaptureCredit,
    Channel,
    CloseCode,
    ErrorCode,
    Hello,
    MessageType,
    ProtocolError,
    Role,
    WireMessage,
)

logger = logging.getLogger(__name__)

OPEN_TIMEOUT_S = 10.0
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
MAX_KEPT_ERRORS = 20
# What goes to the control handover (P3, suite.agent.presenter.control), not to on_message.
CONTROL_TYPES = frozenset(
    {MessageType.CONTROL_STATE, MessageType.MOUSE_INPUT, MessageType.KEY_INPUT}
)
_CLOSE_REASONS: dict[int, str] = {
    CloseCode.SESSION_ENDED: "the support session has ended",
    CloseCode.UNAUTHORIZED: "the relay refused the agent's token: log in again",
    CloseCode.UNSUPPORTED_VERSION: "the relay speaks another protocol version: update the app",
    CloseCode.SESSION_NOT_FOUND: "the relay does not know this support session",
    CloseCode.REPLACED: "another presenter took over this session",
    CloseCode.HANDSHAKE_FAILED: "the relay refused the presenter's hello",
    CloseCode.ACCOUNT_DISABLED: "an administrator disabled this agent's account",
}


class PresenterError(AgentError):
    """The screen channel could not be opened or was closed; ``code`` says why."""


def screen_ws_url(relay: str) -> str:
    """The relay's /ws URL from a relay address ("https://host") or a ws(s):// URL."""
    if relay.startswith(("ws://", "wss://")):
        return relay
    return parse_relay_address(relay).ws_url


def with_session_hint(ws_url: str, session_id: str) -> str:
    """``ws_url`` with ``?session=<id>``: a load balancer in front of several relays sends every
    socket of one session to the node that holds it (docs/protocol.md, "GET /ws")."""
    parts = urllib.parse.urlsplit(ws_url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "session"]
    query.append(("session", session_id))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


class ScreenChannel:
    """One presenter socket: hello as the agent on ``channel: "screen"``, then frames.

    Args:
        relay: the relay's address (http(s)://... or the ws(s)://.../ws URL).
        token: the agent's bearer token.
        session_id: the support session to present in.
    """

    def __init__(self, relay: str, token: str, session_id: str) -> None:
        self.url = with_session_hint(screen_ws_url(relay), session_id)
        self.token = token
        self.session_id = session_id
        self.paced_by_relay = True
        self.close_code: int | None = None
        self.errors: list[dict[str, Any]] = []
        # Every other message from the relay (P5: drawing messages for the overlay); called on
        # the reader thread.
        self.on_message: Callable[[dict[str, Any]], None] | None = None
        self._ws: ClientConnection | None = None
        self._exits = contextlib.ExitStack()  # the entered connect(): leaving it closes _ws
        self._credit = 0
        self._credited = False  # any capture_credit seen: the relay paces us
        self._cond = threading.Condition()
        self._closed = False
        self._reader: threading.Thread | None = None
        self._send_lock = threading.Lock()
        # Control handover (P3): control_state / mouse_input / key_input go here instead, on
        # the reader thread (suite.agent.presenter.control).
        self.on_control: Callable[[dict[str, Any]], None] | None = None
        # While this presenter records (P9), the relay copies the conversation here: each
        # ``chat_message`` goes to the recorder, on the reader thread.
        self.on_chat: Callable[[dict[str, Any]], None] | None = None
        # video_codecs / request_key_frame go to the presenter loop (suite.screen.video).
        self.on_video: Callable[[dict[str, Any]], None] | None = None
        # recording_policy (P9: the admin changed it) goes to the recording, on the reader thread.
        self.on_recording_policy: Callable[[dict[str, Any]], None] | None = None
        # The last video_codecs, for a presenter made after it came (the relay sends it once).
        self.video_codecs: dict[str, Any] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def open(self) -> dict[str, Any]:
        """Connect, say hello and return the relay's ``welcome``.

        Raises:
            PresenterError: ``unreachable`` (no answer), ``refused`` (closed with a code; the
                message explains it) or ``bad_answer``.
        """
        try:
            # A7: the agent app's network settings (proxy, CA file) come in the environment.
            connector = environment_connector(OPEN_TIMEOUT_S)
            secure = self.url.startswith("wss://")
            sock = connector.open_socket(self.url)
            # websockets' current API: connect() is a context manager (legacy=False: entering
            # it opens the connection); the channel keeps it entered until close().
            self._ws = self._exits.enter_context(connect(
                self.url, sock=sock, ssl=connector.ssl_context() if secure else None,
                open_timeout=OPEN_TIMEOUT_S, max_size=MAX_MESSAGE_BYTES, compression=None,
                # wss: one thread at a time in the TLS connection (suite/net/serial_tls.py).
                create_connection=SerialTLSConnection, legacy=False,
            ))  # fmt: skip
        except NetworkError as exc:
            raise PresenterError(exc.code, exc.message, cause=exc.cause) from None
        except ssl.SSLCertVerificationError as exc:
            error = connector.certificate_error(exc, urllib.parse.urlsplit(self.url).hostname or "")
            raise PresenterError(error.code, error.message, cause=error.cause) from None
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            raise PresenterError(
                "unreachable", f"cannot reach the relay at {self.url}: {exc}"
            ) from None
        hello = Hello(PROTOCOL_VERSION, Role.AGENT, self.session_id, self.token, 0, Channel.SCREEN)
        self._ws.send(hello.to_frame())
        try:
            welcome = json.loads(self._ws.recv(timeout=OPEN_TIMEOUT_S))
        except ConnectionClosed as closed:
            raise self._refused(closed) from None
        except (TimeoutError, ValueError) as exc:
            self._ws.close()
            raise PresenterError("bad_answer", f"no welcome from the relay: {exc}") from None
        if welcome.get("type") != MessageType.WELCOME:
            self._ws.close()
            raise PresenterError("bad_answer", f"expected welcome, got {welcome.get('type')!r}")
        self._reader = threading.Thread(target=self._read_loop, name="screen-reader", daemon=True)
        self._reader.start()
        return welcome

    def _refused(self, closed: ConnectionClosed) -> PresenterError:
        code = closed.rcvd.code if closed.rcvd else None
        self.close_code = code
        reason = f"the relay closed the socket ({code})"
        if code is not None:
            reason = _CLOSE_REASONS.get(code, reason)
        close_reason = closed.rcvd.reason if closed.rcvd else ""  # wrong_node's lease hint
        return PresenterError("refused", reason, close_code=code, close_reason=close_reason)

    def close(self) -> None:
        """Close the socket (idempotent) and wake any waiter."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            exits = self._exits.pop_all()  # the first caller closes (the reader may call too)
        exits.close()
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(timeout=2)

    @property
    def closed(self) -> bool:
        return self._closed

    # -- incoming --------------------------------------------------------------------------

    def _read_loop(self) -> None:
        assert self._ws is not None
        try:
            for message in self._ws:
                if isinstance(message, bytes):
                    continue  # the relay sends the presenter no binary frames
                try:
                    body = json.loads(message)
                except ValueError:
                    logger.warning("ignoring a non-JSON frame from the relay")
                    continue
                self._handle(body)
        except ConnectionClosed as closed:
            self.close_code = closed.rcvd.code if closed.rcvd else None
        except Exception:
            logger.exception("screen channel reader failed")
        finally:
            if self.close_code is None and self._ws.close_code is not None:
                self.close_code = self._ws.close_code
            with self._cond:
                self._closed = True
                self._cond.notify_all()

    def _handle(self, body: dict[str, Any]) -> None:
        kind = body.get("type")
        if kind == MessageType.CAPTURE_CREDIT:
            try:
                frames = CaptureCredit.parse(body).frames
            except ProtocolError as error:
                logger.warning("ignoring a capture credit: %s", error.message)
                return
            with self._cond:
                self._credited = True
                self._credit += frames
                self._cond.notify_all()
        elif kind in (MessageType.VIDEO_CODECS, MessageType.REQUEST_KEY_FRAME):
            if kind == MessageType.VIDEO_CODECS:
                self.video_codecs = body
            if self.on_video is not None:
                self.on_video(body)
        elif kind in CONTROL_TYPES:
            if self.on_control is not None:
                self.on_control(body)
        elif kind == MessageType.CHAT_MESSAGE:
            if self.on_chat is not None:
                self.on_chat(body)
        elif kind == MessageType.RECORDING_POLICY:
            if self.on_recording_policy is not None:
                self.on_recording_policy(body)
        elif kind == MessageType.ERROR:
            self.errors = [*self.errors[-(MAX_KEPT_ERRORS - 1) :], body]
            preview = body.get("code") == ErrorCode.NOT_ALLOWED and body.get("in_reply_to") in (
                None, MessageType.PRESENT_START,
            )  # fmt: skip
            if preview and not self._credited and self.paced_by_relay:
                # A preview relay (before the screen fan-out) refuses every text frame and
                # never grants credit: pace ourselves.
                logger.info("the relay gives no capture credit; pacing the capture locally")
                with self._cond:
                    self.paced_by_relay = False
                    self._cond.notify_all()
            elif self.paced_by_relay:
                logger.warning("relay error on the screen channel: %s", body)
        elif self.on_message is not None:
            self.on_message(body)

    # -- credit ----------------------------------------------------------------------------

    @property
    def credit(self) -> int:
        return self._credit

    def wait_credit(self, timeout_s: float) -> bool:
        """Wait until there is credit (or the relay turned out not to give any).

        Returns:
            True when a capture may be sent now; False on timeout or once closed.
        """
        with self._cond:
            self._cond.wait_for(
                lambda: self._credit > 0 or self._closed or not self.paced_by_relay, timeout_s
            )
            return not self._closed and (self._credit > 0 or not self.paced_by_relay)

    def take_credit(self) -> None:
        """Spend one credit on the capture just sent."""
        with self._cond:
            self._credit = max(0, self._credit - 1)

    def drop_credit(self) -> None:
        """Forget any credit (after pause or stop the relay hands out fresh credit)."""
        with self._cond:
            self._credit = 0

    # -- outgoing --------------------------------------------------------------------------

    def send_message(self, message: WireMessage) -> None:
        """Send one text message (``present_start``, ``cursor``...)."""
        self._send(message.to_frame())

    def send_frame(self, frame: bytes) -> None:
        """Send one binary region frame."""
        self._send(frame)

    def _send(self, data: str | bytes) -> None:
        if self._ws is None:
            raise PresenterError("not_open", "the screen channel is not open")
        try:
            with self._send_lock:
                self._ws.send(data)
        except ConnectionClosed as closed:
            raise self._refused(closed) from None
