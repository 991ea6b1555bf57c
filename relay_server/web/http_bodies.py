"""JSON in and out of the relay's HTTP routes.

``json_body`` reads the request's JSON object, size-capped first; ``json_route`` wraps a route
so it answers JSON (204 for nothing), turns refusals into ``{"error": ...}`` bodies with their
status (and ``Retry-After``), and is never cached. :data:`HTTP_STATUS` is the one table from an
error code to its HTTP status: the cores (file transfers, admin rules, ``Relay``, accounts)
raise codes only. Shared by the API routes (``web/app.py``),
the admin routes, the file routes and the one-time viewer routes, so each answers the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import bottle

from relay_server.accounts.registry import AccountError
from relay_server.errors import Refused
from relay_server.web.refusals import refusals
from suite import http_json
from suite.protocol import safe_json

HTTP_STATUS: dict[str, int] = {
    # any route
    "bad_request": 400, "unauthorized": 401, "request_timeout": 408, "too_large": 413,
    "throttled": 429,
    # accounts, login and profile (AccountError codes too)
    "bad_credentials": 401, "account_disabled": 403, "username_too_long": 400, "bad_photo": 400,
    "wrong_password": 403,  # the agent app's lock (A8): not 401, the token stays good
    # an agent's short messages and preferences
    "too_many_short_messages": 400, "short_messages_changed": 409,
    # an agent's favourites (A9, CH7)
    "bad_url": 400, "too_many_favourites": 400, "favourites_full": 413,
    "favourite_not_found": 404,
    # the admin site (AD1)
    "not_admin": 403, "account_not_found": 404, "account_exists": 409, "bad_username": 400,
    "weak_password": 400, "bad_role": 400, "cannot_disable_self": 409, "last_admin": 409,
    # supports and joining
    "session_not_found": 404, "no_codes_left": 503, "invalid_code": 404, "code_used": 410,
    "code_expired": 410, "icon_not_found": 404, "icons_disabled": 403,
    "session_taken": 409, "knock_not_found": 404, "too_many_knocks": 429,
    "session_full": 409, "invitation_not_found": 404, "invitation_used": 410,
    "invitation_revoked": 410, "invitation_closed": 410, "too_many_invitations": 429,
    # files both ways (P4)
    "no_customer": 409, "file_too_large": 413, "file_type_not_allowed": 415,
    "too_many_transfers": 429, "transfer_not_found": 404, "not_sender": 403,
    "not_receiver": 403, "not_participant": 403, "bad_offset": 409, "upload_busy": 409,
    "already_uploaded": 409,
    "already_finished": 409, "not_ready": 409, "transfer_cancelled": 410,
    "transfer_failed": 410, "transfer_finished": 410, "length_required": 411,
    "past_declared_size": 413, "chunk_too_large": 413, "checksum_mismatch": 422,
    "range_not_satisfiable": 416, "bad_ticket": 401,
    # the one-time viewer
    "no_viewer_build": 404, "ticket_unknown": 404, "ticket_used": 410, "ticket_expired": 410,
    "session_over": 410, "too_many_tickets": 429,
    # sign-in handoffs to the system browser (CH9)
    "handoff_unknown": 404, "handoff_used": 410, "handoff_expired": 410,
    "handoff_session_over": 410, "too_many_handoffs": 429,
    # mail (A3, AD4)
    "bad_setting": 400, "bad_address": 400, "no_recipients": 400, "too_many_recipients": 413,
    "mail_not_configured": 409, "mail_not_found": 404,
    # support and usage history (A10, AD2)
    "not_your_session": 403, "export_too_large": 413, "export_busy": 429, "export_failed": 500,
    # the shared whiteboard (CH3)
    "whiteboard_not_found": 404, "image_too_large": 413, "image_type_not_allowed": 415,
    "bad_image": 400, "image_not_found": 404,
    # reservations (A11) and the invitees' meeting links
    "bad_title": 400, "bad_start": 400, "start_in_past": 400, "bad_duration": 400,
    "unknown_time_zone": 400, "too_many_topics": 400, "bad_topic": 400,
    "reservation_not_found": 404, "not_your_reservation": 403, "reservation_not_editable": 409,
    "reservation_cancelled": 410, "reservation_done": 410, "reservation_too_early": 409,
    "reservation_missed": 410, "too_many_materials": 413, "material_not_found": 404,
    "meeting_not_found": 404, "meeting_not_open": 409, "meeting_missed": 410,
    "meeting_over": 410, "meeting_cancelled": 410, "meeting_link_used": 410,
    "meeting_link_revoked": 410,
    # several relay nodes (docs/architecture.md): the session lives on another node; the hub
    # (Redis) cannot be reached
    "wrong_node": 409, "hub_unavailable": 503,
    # unknown bearer tokens past the relay-wide budget (accounts/token_budget.py)
    "too_many_unknown_tokens": 503,
}  # fmt: skip
"""The HTTP status of every error code the relay's API answers (docs/protocol.md, *HTTP API*)."""


def http_status(refused: Refused) -> int:
    """The status to answer ``refused`` with: its code's, unless the route set one."""
    return refused.status or HTTP_STATUS[refused.code]


def json_body(max_bytes: int) -> dict[str, Any]:
    """The request's JSON object (``{}`` for an empty body).

    Raises:
        Refused: 413 ``too_large`` over ``max_bytes`` (read no further), 400 ``bad_request``
            for a body that is not JSON (``safe_json.loads``: also nested deeper than 32, or
            ``NaN``) or not an object.
    """
    if bottle.request.content_length > max_bytes:
        raise Refused("too_large", f"request body over {max_bytes} bytes")
    raw = bottle.request.body.read(max_bytes + 1)
    try:
        # The size check again: a chunked body has no Content-Length to check first.
        data = safe_json.loads(raw or b"{}", max_bytes=max_bytes)
    except safe_json.JsonRefused as refused:
        if refused.too_large:
            raise Refused("too_large", f"request body over {max_bytes} bytes") from None
        refused_input("http body", f"the request body is {refused.message}")
        raise Refused("bad_request", f"the request body is {refused.message}") from None
    if not isinstance(data, dict):
        raise Refused("bad_request", "the request body must be a JSON object")
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


def json_route() -> Callable[[Callable], Callable]:
    """A decorator for Bottle routes: JSON out (``None``: 204), refusals (``Refused``, and the
    accounts' ``AccountError``) as error bodies with their :data:`HTTP_STATUS`.

    The shared decorator of ``suite/http_json.py``, with the relay's refusals.
    """

    def reply(error: AccountError | Refused) -> dict[str, Any]:
        if isinstance(error, AccountError):
            error = Refused(error.code, error.message, error.retry_after_s, error.details)
        return refusal(error)

    return http_json.json_route((AccountError, Refused), reply)


def error_reply(refused: Refused) -> str:
    """The whole JSON reply for ``refused``, for routes whose success is not JSON (downloads)."""
    body = refusal(refused)
    bottle.response.content_type = "application/json"
    return json.dumps(body, ensure_ascii=False)


def refusal(refused: Refused) -> dict[str, Any]:
    """Set the response's status (and ``Retry-After``) for ``refused``; its body."""
    bottle.response.status = http_status(refused)
    if refused.retry_after_s:
        bottle.response.set_header("Retry-After", str(int(refused.retry_after_s) + 1))
    return refused.body()


def undecodable_header(environ: dict[str, Any]) -> str | None:
    """The name of the first request header whose bytes are not UTF-8 (None: all are).

    The WSGI server hands header values over as latin-1 text; bottle decodes them as UTF-8 on
    first read and would raise there, in whichever route reads the header.
    """
    for key, value in environ.items():
        if not key.startswith("HTTP_") or not isinstance(value, str) or value.isascii():
            continue
        try:
            value.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return key[5:].replace("_", "-").title()
    return None
