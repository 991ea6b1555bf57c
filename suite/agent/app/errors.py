"""Errors of the agent app; the local API turns each into ``{"error": {code, message}}``.

::

    AgentError                 code, message, status (the HTTP status the local API answers)
     ├── RelayClientError      the relay could not be asked (unreachable, tls_failed,
     │                         not_a_relay, version_mismatch) or refused (its own code)
     └── SettingsError         a settings change was refused (unknown key, wrong type)
"""

from __future__ import annotations

from typing import Any


class AgentError(Exception):
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


class RelayClientError(AgentError):
    """The relay did not give the answer asked for; ``code`` tells why (see relay_client)."""

    @property
    def retry_after_s(self) -> float | None:
        return self.details.get("retry_after_s")


class SettingsError(AgentError):
    """A settings change was refused; nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__("bad_request", message, status=400)
