"""The local API's guard: the one place that decides who may call (docs/agent-local-api.md).

The ``Host`` must be this server's own (DNS rebinding), an ``Origin``, when sent, must be this
server's own (other web pages), and everything outside ``/ui/`` needs the per-launch secret in
``X-RemoteSales-Token``. :func:`check_request` is the rule; :func:`guard` wraps a WSGI app in it.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-RemoteSales-Token"
LOCAL_HOSTS = ("127.0.0.1", "localhost")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str


def check_request(
    path: str, host: str | None, origin: str | None, token: str | None, secret: str, port: int
) -> Refusal | None:
    """Decide whether a request may reach the routes; None means yes.

    Args:
        path: the request path.
        host, origin, token: the ``Host``, ``Origin`` and ``X-RemoteSales-Token`` headers
            (None when absent).
        secret: this launch's secret.
        port: the port this server listens on.
    """
    own_hosts = {f"{name}:{port}" for name in LOCAL_HOSTS}
    if host not in own_hosts:
        return Refusal(403, "forbidden_host", f"the Host header must be 127.0.0.1:{port}")
    if origin is not None and origin not in {f"http://{h}" for h in own_hosts}:
        return Refusal(403, "forbidden_origin", "requests from other origins are refused")
    if path.startswith("/ui/"):
        return None
    if not token or not hmac.compare_digest(token.encode(), secret.encode()):
        return Refusal(401, "bad_token", f"missing or wrong {TOKEN_HEADER} header")
    return None


def guard(app: WsgiApp, secret: str, port: int) -> WsgiApp:
    """Wrap ``app`` so that only this launch's own pages can call it (see check_request)."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        refusal = check_request(
            environ.get("PATH_INFO", ""),
            environ.get("HTTP_HOST"),
            environ.get("HTTP_ORIGIN"),
            environ.get("HTTP_X_REMOTESALES_TOKEN"),
            secret,
            port,
        )
        if refusal is None:
            return app(environ, start_response)
        logger.warning(
            "refused %s %s: %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"),
            refusal.code,
        )  # fmt: skip
        body = json.dumps({"error": {"code": refusal.code, "message": refusal.message}}).encode()
        start_response(
            f"{refusal.status} {'Unauthorized' if refusal.status == 401 else 'Forbidden'}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
             ("Cache-Control", "no-store")],
        )  # fmt: skip
        return [body]

    return guarded
