"""Errors of the agent app; the local API turns each into ``{"error": {code, message}}``.

::

    suite.errors.CodedError    code, message, status (the HTTP status the local API answers)
     └── AgentError            a refusal of the agent app
          ├── RelayClientError the relay could not be asked (unreachable, tls_failed,
          │                    not_a_relay, version_mismatch) or refused (its own code)
          └── SettingsError    a settings change was refused (unknown key, wrong type)

The shared modules (``suite.files.client``, ``suite.screen.sources``) raise ``CodedError``
itself, so that they need nothing of ``suite.agent``.
"""

from __future__ import annotations

from suite.errors import CodedError


class AgentError(CodedError):
    """A refusal of the agent app with a machine-readable ``code`` (see :class:`CodedError`)."""


class RelayClientError(AgentError):
    """The relay did not give the answer asked for; ``code`` tells why (see relay_client)."""

    @property
    def retry_after_s(self) -> float | None:
        return self.details.get("retry_after_s")


class SettingsError(AgentError):
    """A settings change was refused; nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__("bad_request", message, status=400)
