"""Errors of the relay.

Exception
├── Refused                    an HTTP request refused: status, code, message (+ wait)
├── relay.HandshakeRefused     a websocket hello refused: close code and reason
├── store.StoreError           the data folder cannot be used
├── accounts.AccountError      an account operation refused (mapped to Refused by the API)
└── suite.protocol.ProtocolError   a frame that breaks the protocol: answered with `error`
"""

from __future__ import annotations


class Refused(Exception):
    """An API request refused; the routes turn it into ``{"error": {...}}`` with ``status``.

    ``details``: more fields of the error object, for a client that can act on them (e.g. the
    byte a resumed upload must start at).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        retry_after_s: float = 0.0,
        details: dict | None = None,
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
