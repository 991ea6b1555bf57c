"""JSON in and out of the relay's HTTP routes.

``json_body`` reads the request's JSON object, size-capped first; ``json_route`` wraps a route
so it answers JSON (204 for nothing), turns refusals into ``{"error": ...}`` bodies with their
status (and ``Retry-After``), and is never cached. Shared by the API routes (``http_api.py``),
the admin routes, the file routes and the one-time viewer routes, so each answers the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import bottle

from relay_server.accounts.registry import AccountError
from relay_server.errors import Refused


def json_body(max_bytes: int) -> dict[str, Any]:
    """The request's JSON object (``{}`` for an empty body).

    Raises:
        Refused: 413 ``too_large`` over ``max_bytes`` (read no further), 400 ``bad_request``
            for a body that is not JSON or not an object.
    """
    if bottle.request.content_length > max_bytes:
        raise Refused(413, "too_large", f"request body over {max_bytes} bytes")
    raw = bottle.request.body.read(max_bytes + 1)
    if len(raw) > max_bytes:  # a chunked body has no Content-Length to check first
        raise Refused(413, "too_large", f"request body over {max_bytes} bytes")
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise Refused(400, "bad_request", "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, "bad_request", "the request body must be a JSON object")
    return data


def json_route(account_statuses: Mapping[str, int] | None = None) -> Callable[[Callable], Callable]:
    """A decorator for Bottle routes: JSON out (``None``: 204), refusals as error bodies.

    Args:
        account_statuses: the HTTP status of each ``AccountError`` code the routes may raise
            (others: 400).
    """
    account_statuses = account_statuses or {}

    def decorate(handler: Callable) -> Callable:
        def wrapped(*args: Any, **kwargs: Any) -> str:
            bottle.response.set_header("Cache-Control", "no-store")
            try:
                result = handler(*args, **kwargs)
            except AccountError as error:
                status = account_statuses.get(error.code, 400)
                result = refusal(
                    Refused(status, error.code, error.message, error.retry_after_s, error.details)
                )
            except Refused as refused:
                result = refusal(refused)
            if result is None:
                bottle.response.status = 204
                return ""
            bottle.response.content_type = "application/json"
            return json.dumps(result, ensure_ascii=False)

        return wrapped

    return decorate


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
