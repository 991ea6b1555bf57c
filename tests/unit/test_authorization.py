"""The relay's one reader of ``Authorization`` headers (relay_server/web/authorization.py)."""

from __future__ import annotations

import pytest

from relay_server.errors import Refused
from relay_server.web.authorization import bearer_principal, bearer_token, parse_authorization
from relay_server.web.http_bodies import http_status


@pytest.mark.parametrize(
    ("header", "parsed", "bearer"),
    [
        ("Bearer abc", ("Bearer", "abc"), "abc"),
        ("Bearer  abc ", ("Bearer", "abc"), "abc"),
        ("Customer xyz", ("Customer", "xyz"), None),
        ("bearer abc", ("bearer", "abc"), None),  # the scheme is compared as sent, as before
        ("Bearer", ("Bearer", ""), None),
        ("Bearer ", ("Bearer", ""), None),
        ("", ("", ""), None),
        (None, ("", ""), None),
    ],
)
def test_headers_parse_into_scheme_and_token(header, parsed, bearer):
    """Each header gives its scheme and stripped token; only a non-empty Bearer token counts."""
    assert parse_authorization(header) == parsed
    assert bearer_token(header) == bearer


class Tokens:
    """An account registry with one live token, as ``Accounts.authenticate`` answers."""

    def authenticate(self, token: str, now: float) -> str | None:
        return "alice" if token == "good" and now < 100 else None


def test_bearer_principal_is_the_token_holder():
    """A live bearer token names its account."""
    assert bearer_principal(Tokens(), "Bearer good", 1.0) == "alice"


@pytest.mark.parametrize(
    ("header", "now"),
    [(None, 1.0), ("Customer good", 1.0), ("Bearer bad", 1.0), ("Bearer good", 100.0)],
)
def test_bearer_principal_refuses_everything_else(header, now):
    """No header, another scheme, an unknown or expired token: 401 unauthorized."""
    with pytest.raises(Refused) as refused:
        bearer_principal(Tokens(), header, now)
    assert (http_status(refused.value), refused.value.code) == (401, "unauthorized")
