"""Errors of the relay.

Exception
├── Refused                    an HTTP request refused: code, message (+ wait, details); the
│                              routes map the code to its status (web/http_bodies.HTTP_STATUS)
├── chat_sockets.HandshakeRefused  a websocket hello refused: close code and reason
├── store.StoreError           the data folder cannot be used
├── hub.HubError               the hub (Redis) cannot be used: refused at start, logged after
├── accounts.AccountError      an account operation refused (mapped to Refused by the API)
└── suite.protocol.ProtocolError   a frame that breaks the protocol: answered with `error`
"""

from __future__ import annotations


class Refused(Exception):
    """An API request refused; the routes turn it into ``{"error": {...}}``.

    Cores raise it with a code only: ``relay_server.web.http_bodies.HTTP_STATUS`` is the one
    table from codes to HTTP statuses.

    Args:
        details: more fields of the error object, for a client that can act on them (e.g. the
            byte a resumed upload must start at).
        status: only for an HTTP route where one code means two things (``400 bad_offset``:
            the offset is not a number; the core's ``bad_offset`` is 409); None: the table's.
    """

    def __init__(
        self,
        code: str,
        message: str,
        retry_after_s: float = 0.0,
        details: dict | None = None,
        status: int | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s
        self.details = details or {}

    def body(self) -> dict:
        error: dict = {"code": self.code, "message": self.message, **self.details}
        if self.retry_after_s:
            error["retry_after_s"] = round(self.retry_after_s, 1)
        return {"error": error}
