"""The error every HTTP-facing part of the suite raises: a code, a message and an HTTP status.

::

    CodedError                     code, message, status (what a local API answers), details
     ├── suite.agent.app.errors.AgentError     the agent app's refusals (and its subclasses)
     └── suite.files.client.FileTransferError  a file transfer the relay refused or that broke

Shared by the agent app and the one-time viewer (``suite/files/client.py`` raises it), so that
neither the viewer nor the shared modules import ``suite.agent``. The agent's local API turns
every ``CodedError`` into ``{"error": {code, message, ...}}`` with its status.
"""

from __future__ import annotations

from typing import Any


class CodedError(Exception):
    """A refusal with a machine-readable ``code`` and a message that says what to do next."""

    def __init__(self, code: str, message: str, status: int = 400, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details

    def as_body(self) -> dict[str, Any]:
        """The ``{"error": {...}}`` body, with extra details such as ``retry_after_s``."""
        return {"error": {"code": self.code, "message": self.message, **self.details}}
