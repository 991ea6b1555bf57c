"""HTTP routes of the admin site (AD1): the page at ``/admin`` and the ``/api/admin/...`` API.

A thin shell: each route authenticates an admin token, asks :mod:`relay_server.admin.rules`
whether the change is allowed, and changes the account through :class:`accounts.Accounts`.
Each change to an account (created, profile changed, disabled, enabled, password reset) goes
into the admin's audit log with the admin, the time and the client's address (``Options.record``,
the options' ``audit`` table on either store).
*Online* (AD5): ``GET /api/admin/online`` (agents signed in, sessions waiting and in progress;
the page polls it every few seconds) and ``POST /api/admin/sessions/<id>/end``, which ends a
session through the agent's own end path (``Relay.end``): everyone gets ``session_ended`` with
``ended_by: "admin"``, the history record names the admin.

Admins log in through the agents' ``POST /api/login`` (same throttle); the page then calls
``GET /api/admin/me``, which tells an agent ``403 not_admin``. Contract in docs/protocol.md,
"Admin site".

Disabling an account or resetting its password revokes its tokens at once (``Accounts``), and
here also closes its agent websockets (``4007 account_disabled`` for a disabled account, so the
page says why; ``4001 unauthorized`` after a password reset), so its chat windows stop at once
instead of at their next API call. With several nodes the admin's node also announces it
through the hub (``AGENT_SOCKETS_TOPIC``): every other node closes that agent's sockets it holds
(``follow_agent_socket_notices``), so a session on another node stops at once as well.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import bottle

from relay_server.accounts.fields import USERNAME_RE
from relay_server.accounts.registry import Principal
from relay_server.admin import rules
from relay_server.admin.online import online_view
from relay_server.errors import Refused
from relay_server.hub import HubError
from relay_server.sessions.relay import Relay
from relay_server.web.authorization import bearer_principal
from relay_server.web.http_bodies import json_body, json_route
from suite.protocol import CloseCode, Role
from suite.resources import ui_dir

logger = logging.getLogger(__name__)

# The hub notice that closes an agent's sockets on every node: {username, reason, code}.
AGENT_SOCKETS_TOPIC = "close_agent_sockets"

MAX_BODY_BYTES = 8 * 1024


def install_admin_routes(
    app: bottle.Bottle,
    relay: Relay,
    clock: Callable[[], float],
    client_ip: Callable[[], str] = lambda: "",
) -> None:
    """Add the admin page and the admin API to the relay's Bottle ``app``.

    Args:
        client_ip: the calling client's address (behind trusted proxies: the forwarded one),
            kept in the audit log with each change to an account.
    """
    accounts = relay.accounts

    def audit(what: str, actor: Principal, username: str, **details: Any) -> None:
        """The change in the admin's audit log (who, when, from where), durable on return."""
        relay.settings.record(
            f"account.{what}", actor.username, clock(), account=username, address=client_ip(),
            **details,
        )  # fmt: skip
        relay.wait_durable()

    def admin() -> Principal:
        """The calling admin. Raises Refused 401 without a live token, 403 for an agent."""
        found = bearer_principal(accounts, bottle.request.get_header("Authorization"), clock())
        rules.require_admin(found.role)
        return found

    def target(username: str) -> dict[str, Any]:
        account = accounts.get(username) if USERNAME_RE.match(username) else None
        if account is None:
            raise Refused("account_not_found", f"no account named '{username}'")
        return account

    def view(username: str) -> dict[str, Any]:
        return {"account": rules.account_view(target(username))}

    def close_websockets(username: str, reason: str, code: CloseCode) -> int:
        closed = close_agent_sockets(relay, username, reason, code)
        announce_agent_sockets_closed(relay, username, reason, code)
        return closed

    route = json_route()

    @app.get("/admin")
    @app.get("/admin/")  # as typed by hand; the page links only absolute /ui/ paths
    def admin_page():
        response = bottle.static_file("admin/index.html", root=str(ui_dir()))
        if isinstance(response, bottle.HTTPResponse):
            response.set_header("Cache-Control", "no-cache")
        return response

    @app.get("/api/admin/me")
    @route
    def me():
        return {"admin": rules.account_view(target(admin().username))}

    @app.get("/api/admin/accounts")
    @route
    def list_accounts():
        admin()
        return {"accounts": rules.sorted_views(accounts.list())}

    @app.post("/api/admin/accounts")
    @route
    def create_account():
        actor = admin()
        username, password, role, profile = rules.check_new_account(json_body(MAX_BODY_BYTES))
        accounts.create(username, password, role=role, **profile)
        audit("created", actor, username, new=role)
        logger.info("account created", extra={"username": username, "by": actor.username})
        bottle.response.status = 201
        return view(username)

    @app.put("/api/admin/accounts/<username>")
    @route
    def update_account(username: str):
        actor = admin()
        profile = rules.check_profile(json_body(MAX_BODY_BYTES))
        accounts.update_profile(target(username)["username"], profile)
        audit("profile_changed", actor, username)
        return view(username)

    @app.post("/api/admin/accounts/<username>/disable")
    @route
    def disable_account(username: str):
        actor = admin()
        account = target(username)
        rules.check_disable(actor.username, account, accounts.list())
        accounts.set_disabled(username, True)  # revokes its tokens and syncs
        audit("disabled", actor, username)
        closed = close_websockets(username, "account disabled", CloseCode.ACCOUNT_DISABLED)
        logger.info(
            "account disabled",
            extra={"username": username, "by": actor.username, "sockets_closed": closed},
        )
        return view(username)

    @app.post("/api/admin/accounts/<username>/enable")
    @route
    def enable_account(username: str):
        actor = admin()
        accounts.set_disabled(target(username)["username"], False)
        audit("enabled", actor, username)
        logger.info("account enabled", extra={"username": username, "by": actor.username})
        return view(username)

    @app.put("/api/admin/accounts/<username>/password")
    @route
    def reset_password(username: str):
        actor = admin()
        account = target(username)
        password = rules.check_password(json_body(MAX_BODY_BYTES).get("password"))
        accounts.set_password(account["username"], password)  # revokes its tokens and syncs
        audit("password_reset", actor, username)
        close_websockets(username, "password changed", CloseCode.UNAUTHORIZED)
        logger.info("password reset", extra={"username": username, "by": actor.username})
        return view(username)

    @app.get("/api/admin/online")
    @route
    def online():
        admin()
        now = clock()

        def online_of(session_id: str) -> set[str]:
            room = relay.rooms.find(session_id)
            return room.online() if room is not None else set()

        return online_view(
            list(relay.directory.sessions.values()), online_of, accounts.signed_in(now),
            accounts.get, relay.options.icons_enabled, now,
        )  # fmt: skip

    @app.post("/api/admin/sessions/<session_id>/end")
    @route
    def end_session(session_id: str):
        actor = admin()
        session = relay.directory.sessions.get(session_id[:64])
        if session is None:
            raise Refused("session_not_found", "no such live session (it may have just ended)")
        summary = relay.end(session, "admin", clock(), admin=actor.username)
        logger.info(
            "session ended by admin", extra={"session_id": session_id, "by": actor.username}
        )
        return {"ended": summary}


def close_agent_sockets(relay: Relay, username: str, reason: str, code: CloseCode) -> int:
    """Close the agent sockets (chat and screen) of ``username``'s live sessions on this
    node; returns how many."""
    closed = 0
    for member in relay.rooms.members() + relay.screens.members():
        if member.role is not Role.AGENT:
            continue
        session = relay.directory.sessions.get(member.session_id)
        if session is not None and session.agent_username == username:
            member.close(code, reason)
            closed += 1
    return closed


def announce_agent_sockets_closed(
    relay: Relay, username: str, reason: str, code: CloseCode
) -> None:
    """Several nodes: tell the others to close ``username``'s agent sockets too (one
    ``PUBLISH``). A hub that cannot be reached loses the notice (logged): the other nodes'
    sockets then stop at the agent's next request (its tokens are gone from the database)."""
    if relay.hub.kind == "local":
        return
    text = json.dumps({"username": username, "reason": reason, "code": int(code)})
    try:
        relay.hub.announce(AGENT_SOCKETS_TOPIC, text)
    except HubError as error:
        logger.warning("agent sockets not closed on the other nodes: %s", error,
                       extra={"username": username})  # fmt: skip


def follow_agent_socket_notices(relay: Relay) -> None:
    """Close the agent sockets another node's admin closed (a password reset, a disabled
    account), as that node did."""

    def heard(topic: str, text: str) -> None:
        if topic != AGENT_SOCKETS_TOPIC:
            return
        notice = json.loads(text)
        code = CloseCode(int(notice["code"]))
        if code not in (CloseCode.UNAUTHORIZED, CloseCode.ACCOUNT_DISABLED):
            return  # a notice names only these two
        closed = close_agent_sockets(relay, str(notice["username"]), str(notice["reason"]), code)
        if closed:
            logger.info("agent sockets closed for another node", extra={
                "username": notice["username"], "sockets_closed": closed})  # fmt: skip

    relay.hub.on_announce(heard)
