"""JSON routes and security headers for the suite's two Bottle apps: the relay and the agent app.

Both answer the same way: JSON bodies that are never cached, ``204`` for a route that returns
nothing, refusals as ``{"error": {"code", "message", ...}}`` with their status, and every
response with the same Content-Security-Policy. Each app says which exceptions are refusals
and how a refusal becomes a reply (the relay: ``relay_server/web/http_bodies.py``; the agent
app: ``suite/agent/app/local_api.py``); this module is the one copy of the rest. A shell
(Bottle), importable by the relay (tests/support/layers.py: ``RELAY_MAY_IMPORT``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import bottle

# What a page may connect to: the relay's pages only to the relay itself; the agent app's pages
# to their own local server and to the relay, another origin (``AGENT_APP_CONNECT_SRC``).
RELAY_CONNECT_SRC = "'self'"
AGENT_APP_CONNECT_SRC = "'self' ws: wss:"


def security_headers(connect_src: str) -> Mapping[str, str]:
    """The headers every response carries, with ``connect-src`` set to ``connect_src``."""
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data: blob:; connect-src {connect_src}; frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


class JsonText(str):
    """A route's answer already in JSON, passed through as it is: a long answer built in parts
    by a route that lets the event loop serve others between them (the relay's invitation
    mails: ``relay_server/mail/routes.py``)."""


INTERNAL_ERROR_BODY = {"error": {"code": "internal", "message": "the app failed; see its log"}}

# Sets the response's status (and headers) for a refusal and returns its JSON body.
RefusalReply = Callable[[Any], dict[str, Any]]


def add_security_headers(app: bottle.Bottle, connect_src: str) -> None:
    """Send :func:`security_headers` (``connect-src`` as given) with every response of ``app``.

    ``after_request`` hooks run in reverse order of registration: a hook registered before this
    call runs after it and may still change a header (the relay's native viewer page does).
    """

    headers = security_headers(connect_src)

    @app.hook("after_request")
    def set_security_headers() -> None:
        for name, value in headers.items():
            bottle.response.set_header(name, value)


def json_route(
    refusals: tuple[type[BaseException], ...],
    reply: RefusalReply,
    log_failures: logging.Logger | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., str]]:
    """A decorator for Bottle routes: JSON out (``None``: 204), never cached, refusals as errors.

    Args:
        refusals: the exception classes that are refusals (a client's error, not ours).
        reply: turns one of them into the reply's status and body (see :data:`RefusalReply`).
        log_failures: when given, any other exception is logged there with its traceback and
            answered ``500 internal`` in JSON (Bottle would answer an HTML page and swallow the
            traceback); when None, it propagates to Bottle.
    """

    def decorate(handler: Callable[..., Any]) -> Callable[..., str]:
        def wrapped(*args: Any, **kwargs: Any) -> str:
            bottle.response.set_header("Cache-Control", "no-store")
            try:
                result = handler(*args, **kwargs)
            except refusals as error:
                result = reply(error)
            except Exception:
                if log_failures is None:
                    raise
                log_failures.exception("%s %s failed", bottle.request.method, bottle.request.path)
                bottle.response.status = 500
                result = INTERNAL_ERROR_BODY
            return json_reply(result)

        return wrapped

    return decorate


def json_reply(result: dict[str, Any] | list[Any] | JsonText | None) -> str:
    """The response text for ``result``: its JSON, or an empty ``204`` for None."""
    if result is None:
        bottle.response.status = 204
        return ""
    bottle.response.content_type = "application/json"
    if isinstance(result, JsonText):
        return str(result)
    return json.dumps(result, ensure_ascii=False)
