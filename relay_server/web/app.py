"""Bottle routes of the relay: the JSON API, the websocket endpoint and the UI files.

Thin: each route parses its input, calls :class:`relay.Relay`, and turns refusals into
``{"error": {...}}`` replies. Slow work (password hashing) runs in the hub's thread pool.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import bottle
import gevent
from gevent.event import Event

from relay_server.accounts.favourites_routes import install_favourites_routes
from relay_server.accounts.fields import USERNAME_RE
from relay_server.accounts.handoff_routes import (
    install_customer_handoff_routes,
    install_handoff_routes,
)
from relay_server.accounts.photos import MAX_PHOTO_BYTES, PhotoError
from relay_server.accounts.registry import Principal
from relay_server.accounts.routes import install_agent_data_routes
from relay_server.admin.routes import install_admin_routes
from relay_server.errors import Refused
from relay_server.files.routes import install_file_routes
from relay_server.history.routes import install_history_routes
from relay_server.history.statistics_routes import install_statistics_routes
from relay_server.hub import HubError
from relay_server.hub.changes import Listen
from relay_server.reservations.routes import install_reservation_routes
from relay_server.reservations.service import Reservations
from relay_server.sessions.access_codes import CODE_DIGITS, normalize_code
from relay_server.sessions.relay import Relay
from relay_server.viewer.builds import ViewerBuilds
from relay_server.viewer.routes import install_viewer_routes
from relay_server.web import proxy_headers
from relay_server.web.authorization import bearer_principal
from relay_server.web.connection_limits import RequestTimedOut
from relay_server.web.http_bodies import (
    http_status,
    json_body,
    json_route,
    refused_input,
    undecodable_header,
)
from relay_server.web.pages import PageFiles
from relay_server.web.ws_endpoint import serve_websocket
from relay_server.whiteboard.routes import install_whiteboard_routes
from suite.http_json import RELAY_CONNECT_SRC, add_security_headers
from suite.protocol import PROTOCOL_VERSION, CloseCode
from suite.protocol.wrong_node import lease_hint_of_error, wrong_node_close_reason
from suite.resources import ui_dir
from suite.version import VERSION

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
MAX_KNOCK_WAIT_S = 25.0  # longest long poll of GET /api/knocks/<secret>


def build_app(
    relay: Relay,
    clock: Callable[[], float] = time.time,
    trusted_proxy_hops: int = 0,
    viewer_builds: ViewerBuilds | None = None,
    health_details: bool = False,
    reservations: Reservations | None = None,
    commit_stats: Callable[[], dict[str, Any]] | None = None,
    listen: Listen | None = None,
) -> bottle.Bottle:
    """The relay's Bottle app.

    Args:
        trusted_proxy_hops: how many proxies in front of the relay append to
            ``X-Forwarded-For`` (``--trust-proxy``); 0 reads no ``X-Forwarded-*`` header.
        health_details: ``GET /health`` shows its counters to anyone (``--health-details``);
            without it only to an admin's bearer token.
        reservations: the reservation store (A11); the server passes its own so that the
            mailer and the reminders follow it, else one is made here.
        listen: several nodes: ``SharedChanges.listen`` (hub/changes.py), so that the agent
            data and favourites follow another node's changes of their rows.
        commit_stats: the group committer's counters (``store`` in ``/health``'s details).
    """
    app = bottle.Bottle()
    started = clock()
    pool = gevent.get_hub().threadpool

    def client_ip() -> str:
        return proxy_headers.client_ip(bottle.request.environ, trusted_proxy_hops)

    def request_ip() -> str:
        """The client's address at a token check: "" outside a request (a tick, the CLI)."""
        try:
            return client_ip()
        except RuntimeError:
            return ""

    relay.accounts.address_of = request_ip  # the unknown-token budget (token_budget.py)

    def relay_url() -> str:
        # Not bottle's urlparts: it believes X-Forwarded-Proto/Host from anyone.
        return proxy_headers.base_url(bottle.request.environ, trusted_proxy_hops)

    def body() -> dict[str, Any]:
        return json_body(MAX_BODY_BYTES)

    def principal() -> Principal:
        return bearer_principal(relay.accounts, bottle.request.get_header("Authorization"), clock())

    api = json_route()

    def is_admin() -> bool:
        scheme, _, token = bottle.request.get_header("Authorization", "").partition(" ")
        found = relay.accounts.authenticate(token.strip(), clock()) if scheme == "Bearer" else None
        return found is not None and found.role == "admin"

    @app.get("/health")
    @api
    def health():
        # Public: liveness and the protocol version (the agent app checks it before login).
        # How busy the relay is (sessions, sockets, presentations) is for its operators.
        public = {"status": "ok", "protocol_version": PROTOCOL_VERSION}
        if not (health_details or is_admin()):
            return public
        return {
            **public,
            "version": VERSION,
            "uptime_s": round(clock() - started, 1),
            "sessions": len(relay.directory.sessions),
            "websockets": relay.rooms.connection_count(),
            "screen": relay.screens.stats(),
            **({"store": commit_stats()} if commit_stats is not None else {}),
        }

    @app.get("/ready")
    def ready():
        # Readiness (a load balancer's check), apart from liveness: the store and the hub
        # (Redis, with several relays) answer. No details for anyone: the reason is in the
        # relay's log.
        problem = relay.store.check() or relay.hub.check()
        kinds = {"store": relay.store.kind, "hub": relay.hub.kind}
        if problem is not None:
            logger.warning("not ready: %s", problem)
            bottle.response.status = 503
            return {"status": "not_ready", **kinds}
        return {"status": "ready", **kinds}

    @app.post("/api/login")
    @api
    def login():
        data = body()
        username, password = data.get("username"), data.get("password")
        if not isinstance(username, str) or not isinstance(password, str) or not username:
            raise Refused("bad_request", "login requires 'username' and 'password'")
        ip = client_ip()
        relay.accounts.begin_login(username, ip, clock())  # holds the attempt while it yields
        try:
            account = pool.apply(relay.accounts.verify, (username, password))
        except BaseException:
            relay.accounts.abandon_login(username, ip)
            raise
        token, expires_at = relay.accounts.record_login(account, username, ip, clock())
        relay.wait_durable()
        logger.info("agent logged in", extra={"username": username, "ip": ip})
        return {"token": token, "expires_at": expires_at, "agent": relay.profile(account)}

    @app.post("/api/me/verify_password")
    @api
    def verify_own_password():
        # A8: the agent app's lock asks whether the person at the desk knows the password;
        # throttled exactly as a login of this ID from this address.
        username = principal().username
        password = body().get("password")
        if not isinstance(password, str) or not password:
            raise Refused("bad_request", "verify_password requires 'password'")
        ip = client_ip()
        relay.accounts.begin_login(username, ip, clock())
        try:
            account = pool.apply(relay.accounts.verify, (username, password))
        except BaseException:
            relay.accounts.abandon_login(username, ip)
            raise
        relay.accounts.record_password_check(account, username, ip, clock())
        return {"verified": True}

    @app.post("/api/logout")
    @api
    def logout():
        relay.accounts.revoke(principal().token_hash)
        relay.wait_durable()

    def profile_of(username: str) -> dict[str, Any]:
        """The agent's profile as /api/me answers it; 401 when the account has gone."""
        account = relay.accounts.get(username)
        if account is None:
            raise Refused("unauthorized", "this account no longer exists")
        return relay.profile(account)

    @app.get("/api/me")
    @api
    def me():
        return {"agent": profile_of(principal().username)}

    @app.put("/api/me")
    @api
    def update_me():
        username = principal().username
        relay.accounts.update_profile(username, body())
        relay.wait_durable()
        return {"agent": profile_of(username)}

    @app.put("/api/me/photo")
    @api
    def put_photo():
        username = principal().username
        if bottle.request.content_length > MAX_PHOTO_BYTES:
            raise Refused("too_large", f"a photo may be at most {MAX_PHOTO_BYTES // 1024} KiB")
        try:
            relay.photos.put(username, bottle.request.body.read(MAX_PHOTO_BYTES + 1))
        except PhotoError as error:
            raise Refused("bad_photo", str(error)) from None
        return {"agent": profile_of(username)}

    @app.delete("/api/me/photo")
    @api
    def delete_photo():
        username = principal().username
        relay.photos.delete(username)
        return {"agent": profile_of(username)}

    @app.get("/api/agents/<username>/photo")
    def agent_photo(username: str):
        """``?v=<version>`` (the profile's ``photo_url``) names one content: kept for good by
        browsers, served from this node's memory when it served it lately; without it (or an
        older version), the current photo, revalidated by its ETag (304: no bytes read)."""
        if not USERNAME_RE.match(username):
            return _no_photo()
        asked = bottle.request.query.get("v", "")
        known = bottle.request.get_header("If-None-Match", "")
        kept = relay.photos.served(username, asked) if asked else None
        if kept is not None:
            data, mime, version = kept[0], kept[1], asked
        else:
            if known:
                current = relay.photos.version(username)
                if current is not None and _etag(current) in known:
                    return _photo_reply(b"", "", current, current == asked, 304)
            found = relay.photos.get(username)  # at most MAX_PHOTO_BYTES
            if found is None:
                return _no_photo()
            data, mime, version = found
        if _etag(version) in known:
            return _photo_reply(b"", "", version, version == asked, 304)
        return _photo_reply(data, mime, version, version == asked, 200)

    @app.get("/api/sessions/<session_id>/notes")
    @api
    def get_notes(session_id: str):
        return relay.get_notes(principal(), session_id)

    @app.put("/api/sessions/<session_id>/notes")
    @api
    def put_notes(session_id: str):
        return relay.set_notes(principal(), session_id, body().get("notes"), clock())

    @app.post("/api/supports")
    @api
    def new_support():
        bottle.response.status = 201
        support = relay.new_support(principal(), clock(), relay_url())
        # Behind several relays, the balancer learns that this session lives here.
        bottle.response.set_header(proxy_headers.AFFINITY_HEADER, support["session_id"])
        return {"support": support}

    @app.get("/api/supports/<session_id>")
    @api
    def get_support(session_id: str):
        return {"support": relay.get_support(principal(), session_id)}

    # Personal invitation links (several customers per session): one seat each, revocable.
    @app.post("/api/supports/<session_id>/links")
    @api
    def invite(session_id: str):
        bottle.response.status = 201
        return relay.invite(principal(), session_id, body().get("label"), clock())

    @app.get("/api/supports/<session_id>/links")
    @api
    def invitations(session_id: str):
        return relay.list_invitations(principal(), session_id)

    @app.delete("/api/supports/<session_id>/links/<invitation_id>")
    @api
    def revoke_invitation(session_id: str, invitation_id: str):
        return relay.revoke_invitation(principal(), session_id, invitation_id, clock())

    @app.get("/api/waiting")
    @api
    def waiting():
        return relay.waiting_agents()

    @app.post("/api/join")
    @api
    def join():
        data = body()
        code, icon, name = data.get("code"), data.get("icon"), data.get("name") or ""
        if not isinstance(name, str):
            raise Refused("bad_request", "'name' must be text")
        invitation = data.get("invitation")
        if invitation is not None:  # a personal invitation link: one seat, no knock
            if not isinstance(invitation, str) or not 0 < len(invitation) <= 64:
                raise Refused("bad_request", "'invitation' must be the secret of the link")
            return _join_answer(relay.join_invited(invitation, name, clock()))
        if code is not None:
            digits = normalize_code(code[:40]) if isinstance(code, str) else None
            if digits is None:
                raise Refused(
                    "bad_request", f"an access code is {CODE_DIGITS} digits, like 482 913 706"
                )
            return _join_answer(relay.join(digits, None, name, client_ip(), clock()))
        if isinstance(icon, int) and not isinstance(icon, bool):
            return _join_answer(relay.join(None, icon, name, client_ip(), clock()))
        raise Refused(
            "bad_request", f"join requires 'code' ({CODE_DIGITS} digits) or 'icon' (a number)"
        )

    # Long polls of knocking customers wait on these; the relay sets them when a knock settles.
    knock_events: dict[str, Event] = {}

    def knock_settled(secret: str) -> None:
        event = knock_events.pop(secret, None)
        if event is not None:
            event.set()

    relay.knock_settled = knock_settled

    @app.get("/api/knocks/<secret>")
    @api
    def knock_status(secret: str):
        try:
            wait_s = min(float(bottle.request.query.get("wait_s") or 0), MAX_KNOCK_WAIT_S)
        except ValueError:
            raise Refused("bad_request", "'wait_s' must be a number of seconds") from None
        if wait_s > 0 and relay.knock_pending(secret):
            event = knock_events.setdefault(secret, Event())
            event.wait(timeout=wait_s)
        return relay.knock_status(secret)

    @app.delete("/api/knocks/<secret>")
    @api
    def withdraw_knock(secret: str):
        return relay.withdraw_knock(secret, clock())

    @app.get("/ws")
    def websocket():
        ws = bottle.request.environ.get("wsgi.websocket")
        if ws is None:
            bottle.response.status = 400
            return "websocket upgrade required"
        serve_websocket(ws, client_ip(), relay, clock)
        return ""

    @app.install
    def refuse_undecodable_headers(callback: Callable) -> Callable:
        """A header whose bytes are not UTF-8 is ``400 bad_request`` naming it, before any
        route reads it (bottle's header decoding raised UnicodeDecodeError: a 500)."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            name = undecodable_header(bottle.request.environ)
            if name is not None:
                refused = Refused("bad_request", f"the {name} header is not UTF-8 text")
                refused_input("header", refused.message)
                return bottle.HTTPResponse(
                    json.dumps(refused.body()),
                    status=http_status(refused),
                    headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
                )
            return callback(*args, **kwargs)

        return wrapper

    @app.install
    def serve_on_owner(callback: Callable) -> Callable:
        """Several relay nodes: a request naming a session (``/api/supports/<id>``,
        ``/api/sessions/<id>/...``, ``?session=`` on ``/ws``) is served by its owner; this
        node takes it over when its node is gone, else answers ``409 wrong_node`` (a
        websocket: closed ``going_away``, reconnect). A hub that cannot be reached answers
        ``503 hub_unavailable``, here and in every route (never a bare 500)."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            session_id = kwargs.get("session_id") or bottle.request.query.get("session")
            try:
                if session_id:
                    relay.ensure_owned(str(session_id)[:64])
                    if session_id in relay.directory.sessions:  # the balancer learns it
                        bottle.response.set_header(proxy_headers.AFFINITY_HEADER, session_id)
                return callback(*args, **kwargs)
            except (Refused, HubError) as error:
                refused = (
                    error
                    if isinstance(error, Refused)
                    else Refused("hub_unavailable", "the relay's hub cannot be reached; try again")
                )
                if isinstance(error, HubError):
                    logger.warning("%s", error)
                ws = bottle.request.environ.get("wsgi.websocket")
                if ws is not None:  # upgraded already: the close says why, the client retries
                    ws.close(int(CloseCode.GOING_AWAY), _close_reason(refused))
                    return ""
                return bottle.HTTPResponse(
                    json.dumps(refused.body()),
                    status=http_status(refused),
                    headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
                )

        return wrapper

    @app.install
    def answer_timeouts(callback: Callable) -> Callable:
        """A body the client stopped sending in time: 408, and the connection is closed."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return callback(*args, **kwargs)
            except RequestTimedOut as error:
                logger.info("request body timed out", extra={"ip": client_ip()})
                refused = Refused("request_timeout", str(error))
                return bottle.HTTPResponse(
                    json.dumps(refused.body()),
                    status=http_status(refused),
                    headers={"Content-Type": "application/json", "Connection": "close"},
                )

        return wrapper

    install_file_routes(app, relay, clock)  # files both ways (P4)
    # Short messages and preferences follow the account (A9): /api/me/short_messages, ...
    install_agent_data_routes(app, relay, clock, listen)
    # Favourite links and documents follow the account too (A9, CH7): /api/me/favourites/...
    install_favourites_routes(app, relay, clock, listen)
    # One-time viewer (P1, P10): tickets, downloads with the ticket inside, redemption.
    install_viewer_routes(
        app, relay, viewer_builds or ViewerBuilds(None), clock, client_ip, relay_url
    )

    # The admin site (AD1): /admin and /api/admin/...
    install_admin_routes(app, relay, clock, client_ip)
    # CH9: the desktop app opens a support in the system browser, signed in (one-time tickets).
    install_handoff_routes(app, relay, clock, client_ip, relay_url)
    install_customer_handoff_routes(app, relay, clock, client_ip, relay_url)
    install_history_routes(app, relay, clock)  # support and usage history (A10, AD2)
    install_whiteboard_routes(app, relay, clock)  # the whiteboard as BMP, old boards (CH3)
    # Reservations (A11) and the invitees' meeting links; the mailer plugs into on_change.
    reservations = reservations or Reservations(relay)
    install_reservation_routes(app, reservations, clock, relay_url)
    # Usage statistics (AD3): reservations kept and cancelled are read from the same store.
    install_statistics_routes(app, relay, clock, reservations.every)

    root = str(ui_dir())
    # The pages name their whole module graph in their head (modulepreload): web/pages.py.
    pages = PageFiles(ui_dir())

    @app.get("/")
    def relay_page():
        return pages.reply("customer/index.html")

    @app.get("/agent")
    def agent_page():
        return pages.reply("agent/index.html")

    @app.get("/view")
    def viewer_page():
        return pages.reply("viewer/index.html")

    @app.get("/ui/<path:path>")
    def ui_file(path: str):
        return _static(path, root)

    add_security_headers(app, RELAY_CONNECT_SRC)

    @app.error(404)
    def not_found(error):
        bottle.response.content_type = "application/json"
        return json.dumps({"error": {"code": "not_found", "message": "no such page"}})

    @app.error(405)
    def not_allowed(error):
        bottle.response.content_type = "application/json"
        return json.dumps(
            {"error": {"code": "method_not_allowed", "message": "method not allowed"}}
        )

    return app


def _close_reason(refused: Refused) -> str:
    """A refused websocket's close reason: ``code: message``, and for ``wrong_node`` with
    the owner's lease's remaining ms first (suite/protocol/wrong_node.py)."""
    hint = lease_hint_of_error(refused.body()["error"])
    if hint is not None:
        return wrong_node_close_reason(hint, refused.message)
    return f"{refused.code}: {refused.message}"


def _no_photo() -> bottle.HTTPResponse:
    body = json.dumps({"error": {"code": "not_found", "message": "no photo"}})
    return bottle.HTTPResponse(body, 404, {"Content-Type": "application/json"})


def _etag(version: str) -> str:
    return f'"{version}"'


def _photo_reply(
    data: bytes, mime: str, version: str, versioned: bool, status: int
) -> bottle.HTTPResponse:
    """A photo (or 304): an address that names its version is kept for good; the bare one
    is asked again each time (a 304 while it has not changed)."""
    headers = {
        "ETag": _etag(version),
        "Cache-Control": "public, max-age=31536000, immutable" if versioned else "no-cache",
    }
    if mime:
        headers["Content-Type"] = mime
    return bottle.HTTPResponse(data, status, headers)


def _join_answer(answer: dict[str, Any]) -> dict[str, Any]:
    """``202 Accepted`` for a knock (the agent has yet to admit), ``200`` for a join."""
    if answer.get("status") == "knocking":
        bottle.response.status = 202
    return answer


def _static(path: str, root: str):
    response = bottle.static_file(path, root=root)
    if isinstance(response, bottle.HTTPResponse):
        response.set_header("Cache-Control", "no-cache")
        if path.endswith(".js"):
            response.set_header("Content-Type", "text/javascript; charset=utf-8")
    return response
