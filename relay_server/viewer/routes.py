"""HTTP routes of the one-time viewer: issue a ticket, download the viewer with it, redeem it.

The thin shell around ``viewer_tickets.ViewerTickets`` (rules) and ``viewer_builds.ViewerBuilds``
(files). Contract in docs/protocol.md, "One-time viewer".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import bottle

from relay_server.errors import Refused
from relay_server.sessions.relay import Relay
from relay_server.sessions.supports import SessionState
from relay_server.throttle import FailureThrottle
from relay_server.viewer.builds import PLATFORMS, ViewerBuilds, platform_from_user_agent
from relay_server.viewer.tickets import TicketRefused, ViewerTickets
from relay_server.web.authorization import bearer_token
from relay_server.web.http_bodies import error_reply, json_body, json_route
from suite.resources import ui_dir
from suite.viewer.ticket_trailer import encode_trailer

logger = logging.getLogger(__name__)

REDEEM_FAILURES_LIMIT = 20
REDEEM_WINDOW_S = 600.0
MAX_BODY_BYTES = 4096
CHUNK_BYTES = 256 * 1024
_NATIVE_PAGE = "remotesales.native_viewer_page"
NATIVE_VIEWER_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'{sockets}; frame-ancestors 'none'"
)
# The page's own host (as the Host header names it) for the native viewer's connect-src.
_HOST_RE = re.compile(r"[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]{2,45}\](:[0-9]{1,5})?")


def install_viewer_routes(
    app: bottle.Bottle,
    relay: Relay,
    builds: ViewerBuilds,
    clock: Callable[[], float],
    client_ip: Callable[[], str],
    relay_url: Callable[[], str],
    tickets: ViewerTickets | None = None,
) -> ViewerTickets:
    """Add the viewer routes to ``app``; returns the ticket registry (tests inspect it)."""
    tickets = tickets or ViewerTickets()
    throttle = FailureThrottle(REDEEM_FAILURES_LIMIT, REDEEM_WINDOW_S)
    api = json_route()

    def is_live(session_id: str, customer_token: str) -> bool:
        session = relay.directory.by_customer_token(customer_token)
        return (
            session is not None
            and session.id == session_id
            and session.state is SessionState.ACTIVE
        )

    def refuse(error: TicketRefused) -> Refused:
        return Refused(str(error.problem), str(error))

    @app.get("/view/native")
    def native_viewer_page():
        """The viewer page for the viewer program's window (``suite/viewer/app.py``).

        The same page as ``/view``, with ``'unsafe-eval'`` added to ``script-src``: WebKitGTK
        counts the host program's ``evaluate_javascript`` (how pywebview installs
        ``window.pywebview.api``) as ``eval``. Our scripts never evaluate strings, and
        ``script-src 'self'`` still refuses every script from elsewhere.
        """
        bottle.request.environ[_NATIVE_PAGE] = True
        response = bottle.static_file("viewer/index.html", root=str(ui_dir()))
        if isinstance(response, bottle.HTTPResponse):
            response.set_header("Cache-Control", "no-cache")
        return response

    # after_request hooks run in reverse order of registration: this one, registered before
    # web/app.py's security headers hook, runs after it and has the last word on this page.
    @app.hook("after_request")
    def native_viewer_policy():
        if bottle.request.environ.get(_NATIVE_PAGE):
            # Its websocket goes to this relay only. Chromium's 'self' covers ws(s) to the
            # page's own host (CSP 3); the program's WebKitGTK is given the host by name, in
            # case its version does not.
            host = bottle.request.get_header("Host", "")
            sockets = f" ws://{host} wss://{host}" if _HOST_RE.fullmatch(host) else ""
            bottle.response.set_header(
                "Content-Security-Policy", NATIVE_VIEWER_CSP.format(sockets=sockets)
            )

    @app.post("/api/viewer/tickets")
    @api
    def issue():
        token = bearer_token(bottle.request.get_header("Authorization"))
        session = relay.directory.by_customer_token(token) if token is not None else None
        if session is None or session.state is not SessionState.ACTIVE:
            raise Refused("unauthorized", "join a session first (unknown customer token)")
        data = _body()
        platform = data.get("platform")
        if platform is None:
            platform = platform_from_user_agent(bottle.request.get_header("User-Agent", ""))
        elif platform not in PLATFORMS:
            raise Refused("bad_request", f"'platform' must be one of {', '.join(PLATFORMS)}")
        build = builds.find(platform) if platform else None
        if build is None or not platform:
            available = builds.available()
            what = f"for {platform}" if platform else "for this device"
            raise Refused(
                "no_viewer_build",
                f"no viewer app {what} on this relay; use the browser viewer"
                + (f" (available: {', '.join(available)})" if available else ""),
            )
        now = clock()
        try:
            ticket = tickets.issue(session.id, token or "", platform, now)
        except TicketRefused as error:
            raise refuse(error) from None
        bottle.response.status = 201
        logger.info("viewer ticket issued", extra={"session_id": session.id, "platform": platform})
        return {
            "download_url": f"/viewer/download/{ticket.download_id}",
            "file_name": build.download_name,
            "platform": platform,
            "size": build.size,
            "expires_at": ticket.expires_at,
        }

    @app.get("/viewer/download/<download_id>")
    def download(download_id: str):
        bottle.response.set_header("Cache-Control", "no-store")
        try:
            ticket = tickets.for_download(download_id, is_live, clock())
        except TicketRefused as error:
            return error_reply(refuse(error))
        build = builds.find(ticket.platform)
        if build is None:
            return error_reply(
                Refused("no_viewer_build", "the viewer app was removed from this relay")
            )
        trailer = encode_trailer(relay.options.public_url or relay_url(), ticket.ticket)
        size = build.size
        bottle.response.content_type = "application/octet-stream"
        bottle.response.set_header(
            "Content-Disposition", f'attachment; filename="{build.download_name}"'
        )
        bottle.response.set_header("Content-Length", str(size + len(trailer)))
        return _stream(build.path, size, trailer)

    @app.post("/api/viewer/redeem")
    @api
    def redeem():
        ip = client_ip()
        now = clock()
        wait = throttle.retry_after(ip, now)
        if wait > 0:
            raise Refused(
                "throttled", f"too many refused tickets; try again in {int(wait) + 1} s", wait
            )
        secret = _body().get("ticket")
        if not isinstance(secret, str) or not secret or len(secret) > 200:
            raise Refused("bad_request", "redeem requires 'ticket' (text)")
        try:
            ticket = tickets.redeem(secret, is_live, now)
        except TicketRefused as error:
            throttle.record_failure(ip, now)
            raise refuse(error) from None
        session = relay.directory.sessions[ticket.session_id]
        logger.info("viewer ticket redeemed", extra={"session_id": session.id, "ip": ip})
        return {
            "session_id": session.id,
            "customer_token": ticket.customer_token,
            "agent_name": session.agent.get("name", ""),
        }

    return tickets


def _stream(path: Path, size: int, trailer: bytes) -> Iterator[bytes]:
    """The build's bytes as they were when the download started, then the trailer."""
    left = size
    with open(path, "rb") as file:
        while left > 0:
            chunk = file.read(min(CHUNK_BYTES, left))
            if not chunk:
                raise OSError(f"{path} shrank during a download")
            left -= len(chunk)
            yield chunk
    yield trailer


def _body() -> dict[str, Any]:
    return json_body(MAX_BODY_BYTES)
