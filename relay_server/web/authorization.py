"""The ``Authorization`` header of the relay's HTTP API, read in one place (pure).

Agents send ``Authorization: Bearer <agent token>``; a customer's one-time viewer ticket request
sends ``Bearer <customer token>``; the file routes also take ``Customer <customer token>``.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from relay_server.errors import Refused

PrincipalT = TypeVar("PrincipalT", covariant=True)


class Authenticator(Protocol[PrincipalT]):
    """What finds the holder of a bearer token (``accounts.registry.Accounts``)."""

    def authenticate(self, token: str, now: float) -> PrincipalT | None: ...


def parse_authorization(header: str | None) -> tuple[str, str]:
    """``(scheme, token)`` of ``<scheme> <token>``: ``("", "")`` for no header; the token is
    stripped, and empty when the header has no space."""
    scheme, _, token = (header or "").partition(" ")
    return scheme, token.strip()


def bearer_token(header: str | None) -> str | None:
    """The token of ``Bearer <token>``, or None for another scheme or an empty token."""
    scheme, token = parse_authorization(header)
    return token if scheme == "Bearer" and token else None


def bearer_principal(
    accounts: Authenticator[PrincipalT], header: str | None, now: float
) -> PrincipalT:
    """The logged-in account that ``Authorization: Bearer <token>`` names.

    Raises:
        Refused: 401 ``unauthorized`` without a bearer token, or for an unknown or expired one.
    """
    token = bearer_token(header)
    found = accounts.authenticate(token, now) if token is not None else None
    if found is None:
        raise Refused("unauthorized", "log in first (missing or expired token)")
    return found
