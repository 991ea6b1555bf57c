"""A real websocket client for the relay's /ws endpoint (the `websockets` library, sync API)."""

from __future__ import annotations

import json
import time
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from suite.protocol import PROTOCOL_VERSION, Channel, MessageType, Role, encode

RECV_TIMEOUT_S = 5.0


def hello_fields(
    role: Role | str,
    session_id: str,
    token: str,
    channel: Channel | str = Channel.CHAT,
    last_seen_id: int | None = None,
) -> dict[str, Any]:
    """The fields of a ``hello`` (without its type): this protocol version, the role, the
    session and its token; ``last_seen_id`` only when given (the screen channel has none)."""
    fields: dict[str, Any] = {
        "protocol_version": PROTOCOL_VERSION,
        "role": str(role),
        "session_id": session_id,
        "token": token,
    }
    if last_seen_id is not None:
        fields["last_seen_id"] = last_seen_id
    if channel != Channel.CHAT:
        fields["channel"] = str(channel)
    return fields


def hello_frame(
    role: Role | str,
    session_id: str,
    token: str,
    channel: Channel | str = Channel.CHAT,
    last_seen_id: int | None = None,
) -> str:
    """The ``hello`` frame that opens a socket, built with the protocol's encoder."""
    return encode(MessageType.HELLO, **hello_fields(role, session_id, token, channel, last_seen_id))


def open_socket(ws_url: str) -> ClientConnection:
    """A connected websocket, owned by the caller (who closes it)."""
    return connect(ws_url, open_timeout=RECV_TIMEOUT_S, max_size=2**22, legacy=True)


class ChatClient:
    """One participant: `hello` on connect, then JSON frames both ways."""

    def __init__(
        self, ws_url: str, role: Role | str, session_id: str, token: str, last_seen_id: int = 0
    ):
        self.ws_url = ws_url
        # A dict, so that handshake tests can send it with fields changed or left out.
        self.hello: dict[str, Any] = {
            "type": str(MessageType.HELLO),
            **hello_fields(role, session_id, token, last_seen_id=last_seen_id),
        }
        self.ws: ClientConnection | None = None
        self.received: list[dict[str, Any]] = []

    def connect(self, **hello_overrides: Any) -> dict[str, Any]:
        """Open the socket, send hello, return the first frame the relay answers with."""
        self.ws = open_socket(self.ws_url)
        self.send({**self.hello, **hello_overrides})
        return self.recv()

    def connect_raw(self) -> None:
        """Open the socket without sending hello (to test handshakes)."""
        self.ws = open_socket(self.ws_url)

    def send(self, message: dict[str, Any] | str | bytes) -> None:
        assert self.ws is not None
        self.ws.send(message if isinstance(message, str | bytes) else json.dumps(message))

    def chat(self, text: str, client_id: str) -> None:
        self.send({"type": "send_chat", "client_id": client_id, "text": text})

    def recv(self, timeout: float = RECV_TIMEOUT_S) -> dict[str, Any]:
        assert self.ws is not None
        message = json.loads(self.ws.recv(timeout=timeout))
        self.received.append(message)
        return message

    def recv_type(self, message_type: str, timeout: float = RECV_TIMEOUT_S) -> dict[str, Any]:
        """The next frame of `message_type`, skipping others (kept in `received`)."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.recv(timeout=max(0.01, deadline - time.monotonic()))
            if message["type"] == message_type:
                return message

    def recv_binary(self, timeout: float = RECV_TIMEOUT_S) -> bytes:
        """The next binary frame (a region frame); text frames before it go to `received`."""
        assert self.ws is not None
        while True:
            frame = self.ws.recv(timeout=timeout)
            if isinstance(frame, bytes):
                return frame
            self.received.append(json.loads(frame))

    def close_code(self, timeout: float = RECV_TIMEOUT_S) -> int | None:
        """Wait until the relay closes the socket; returns its close code."""
        assert self.ws is not None
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                frame = self.ws.recv(timeout=deadline - time.monotonic())
                if isinstance(frame, str):  # binary screen frames are skipped
                    self.received.append(json.loads(frame))
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        except TimeoutError:
            raise AssertionError("the relay did not close the socket in time") from None
        raise AssertionError("the relay did not close the socket in time")

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()


def end_session_as_agent(ws_url: str, session_id: str, agent_token: str) -> None:
    """The agent ends the support from a chat socket of its own, and the relay confirms it."""
    agent = ChatClient(ws_url, "agent", session_id, agent_token)
    try:
        assert agent.connect()["type"] == "welcome"
        agent.send({"type": "end_session"})
        agent.recv_type("session_ended")
    finally:
        agent.close()
