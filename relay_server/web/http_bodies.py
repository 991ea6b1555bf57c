"""JSON in and out of the relay's HTTP routes.

``json_body`` reads the request's JSON object, size-capped first; ``json_route`` wraps a route
so it answers JSON (204 for nothing), turns refusals into ``{"error": ...}`` bodies with their
status (and ``Retry-After``), and is never cached. Shared by the API routes (``web/app.py``),
the admin routes, the file routes and the one-time viewer routes, so each answers the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import bottle

from relay_server.accounts.registry import AccountError
from relay_server.errors import Refused
from relay_server.web.refusals import refusals
from suite import http_json
from suite.protocol import safe_json


def json_body(max_bytes: int) -> dict[str, Any]:
    """The request's JSON object (``{}`` for an empty body).

    Raises:
        Refused: 413 ``too_large`` over ``max_bytes`` (read no further), 400 ``bad_request``
            for a body that is not JSON (``safe_json.loads``: also nested deeper than 32, or
            ``NaN``) or not an object.
    """
    if bottle.request.content_length > max_bytes:
        raise Refused(413, "too_large", f"request body over {max_bytes} bytes")
    raw = bottle.request.body.read(max_bytes + 1)
    try:
        # The size check again: a chunked body has no Content-Length to check first.
        data = safe_json.loads(raw or b"{}", max_bytes=max_bytes)
    except safe_json.JsonRefused as refused:
        if refused.too_large:
            raise Refused(413, "too_large", f"request body over {max_bytes} bytes") from None
        refused_input("http body", f"the request body is {refused.message}")
        raise Refused(400, "bad_request", f"the request body is {refused.message}") from None
    if not isinstance(data, dict):
        raise Refused(400, "bad_request", "the request body must be a JSON object")
    return data


def refused_input(where: str, reason: str) -> None:
    """Log (rate-limited, no traceback) a request refused for malformed input."""
    request = bottle.request
    refusals.refused(
        where,
        reason,
        ip=request.environ.get("REMOTE_ADDR", ""),
        method=request.method,
        path=request.path[:200],
    )


def json_route(account_statuses: Mapping[str, int] | None = None) -> Callable[[Callable], Callable]:
    """A decorator for Bottle routes: JSON out (``None``: 204), refusals as error bodies.

    The shared decorator of ``suite/http_json.py``, with the relay's refusals.

    Args:
        account_statuses: the HTTP status of each ``AccountError`` code the routes may raise
            (others: 400).
    """
    account_statuses = account_statuses or {}

    def reply(error: AccountError | Refused) -> dict[str, Any]:
        if isinstance(error, AccountError):
            status = account_statuses.get(error.code, 400)
            error = Refused(status, error.code, error.message, error.retry_after_s, error.details)
        return refusal(error)

    return http_json.json_route((AccountError, Refused), reply)


def error_reply(refused: Refused) -> str:
    """The whole JSON reply for ``refused``, for routes whose success is not JSON (downloads)."""
    body = refusal(refused)
    bottle.response.content_type = "application/json"
    return json.dumps(body, ensure_ascii=False)


def refusal(refused: Refused) -> dict[str, Any]:
    """Set the response's status (and ``Retry-After``) for ``refused``; its body."""
    bottle.response.status = refused.status
    if refused.retry_after_s:
        bottle.response.set_header("Retry-After", str(int(refused.retry_after_s) + 1))
    return refused.body()
