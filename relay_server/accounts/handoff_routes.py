"""HTTP routes of sign-in handoffs (CH9): issue a ticket for one of the agent's supports, and
exchange it once for a sign-in in the system browser; the same for a customer's seat, whose
one-time viewer program cannot hold a call (its WebKitGTK has no WebRTC) and opens the
customer's page in the system browser, in the same seat.

The thin shell around ``handoffs.Handoffs`` (rules). Contract in docs/protocol.md, *Sign-in
handoff*; why it exists in docs/architecture.md, *Calls in the desktop app*.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import bottle

from relay_server.accounts.handoffs import HandoffProblem as HandoffProblemCode
from relay_server.accounts.handoffs import HandoffRefused, Handoffs
from relay_server.errors import Refused
from relay_server.sessions.relay import Relay
from relay_server.sessions.supports import SessionState
from relay_server.throttle import FailureThrottle
from relay_server.web.authorization import bearer_principal
from relay_server.web.http_bodies import json_body, json_route

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 4096
REDEEM_FAILURES_LIMIT = 20  # refused tickets per address and window, then 429
REDEEM_WINDOW_S = 600.0
HANDOFF_PAGE = "/agent"
CUSTOMER_HANDOFF_PAGE = "/"
MAX_TOKEN_CHARS = 128  # a customer token is 43 characters


def _issued(
    ticket: str, record: Any, base: str, page: str, session_id: str, handoffs: Handoffs
) -> dict[str, Any]:
    """The answer to an issue: the ticket, the page's link that carries it, its expiry."""
    return {
        "ticket": ticket,
        "url": f"{base}{page}#handoff={ticket}",
        "session_id": session_id,
        "expires_at": record.expires_at,
        "lifetime_s": handoffs.lifetime_s,
    }


def _ticket_to_redeem(throttle: FailureThrottle, ip: str, now: float, what: str) -> str:
    """The body's ticket, once the address is not throttled for refused ``what``.

    Raises:
        Refused: ``throttled`` (too many refused links from ``ip``), ``bad_request``.
    """
    wait = throttle.retry_after(ip, now)
    if wait > 0:
        raise Refused("throttled", f"too many refused {what}; try again in {int(wait) + 1} s", wait)
    ticket = json_body(MAX_BODY_BYTES).get("ticket")
    if not isinstance(ticket, str) or not ticket:
        raise Refused("bad_request", "redeem requires 'ticket' (text)")
    return ticket


def install_handoff_routes(
    app: bottle.Bottle,
    relay: Relay,
    clock: Callable[[], float],
    client_ip: Callable[[], str],
    relay_url: Callable[[], str],
    handoffs: Handoffs | None = None,
) -> Handoffs:
    """Add ``POST /api/handoffs`` and ``POST /api/handoffs/redeem``; returns the registry."""
    handoffs = handoffs if handoffs is not None else Handoffs(relay.options.handoff_lifetime_s)
    throttle = FailureThrottle(REDEEM_FAILURES_LIMIT, REDEEM_WINDOW_S)
    api = json_route()

    def owns_live(username: str, session_id: str) -> bool:
        session = relay.directory.sessions.get(session_id)
        return (
            session is not None
            and session.agent_username == username
            and session.state is not SessionState.ENDED
        )

    def refuse(error: HandoffRefused) -> Refused:
        return Refused(str(error.problem), str(error))

    @app.post("/api/handoffs")
    @api
    def issue() -> dict[str, Any]:
        now = clock()
        header = bottle.request.get_header("Authorization")
        principal = bearer_principal(relay.accounts, header, now)
        session_id = json_body(MAX_BODY_BYTES).get("session_id")
        if not isinstance(session_id, str) or not session_id:
            raise Refused("bad_request", "a handoff requires 'session_id' (text)")
        if not owns_live(principal.username, session_id):
            raise Refused("session_not_found", "no such live support session of yours")
        try:
            ticket, record = handoffs.issue(principal.username, session_id, now)
        except HandoffRefused as error:
            raise refuse(error) from None
        bottle.response.status = 201
        base = (relay.options.public_url or relay_url()).rstrip("/")
        # Never logged: the ticket is a sign-in. Only who asked, for which support.
        logger.info(
            "sign-in handoff issued",
            extra={"username": principal.username, "session_id": session_id},
        )
        return _issued(ticket, record, base, HANDOFF_PAGE, session_id, handoffs)

    @app.post("/api/handoffs/redeem")
    @api
    def redeem() -> dict[str, Any]:
        ip, now = client_ip(), clock()
        ticket = _ticket_to_redeem(throttle, ip, now, "sign-in links")
        try:
            record = handoffs.redeem(ticket, owns_live, now)
        except HandoffRefused as error:
            throttle.record_failure(ip, now)
            logger.info("sign-in handoff refused", extra={"ip": ip, "code": str(error.problem)})
            raise refuse(error) from None
        account = relay.accounts.get(record.username)
        if account is None:
            raise Refused("unauthorized", "this account no longer exists")
        token, expires_at = relay.accounts.issue_token(account, now)
        relay.wait_durable()
        logger.info(
            "sign-in handoff redeemed",
            extra={"username": record.username, "session_id": record.session_id, "ip": ip},
        )
        return {
            "token": token,
            "expires_at": expires_at,
            "agent": relay.profile(account),
            "session_id": record.session_id,
        }

    return handoffs


def install_customer_handoff_routes(
    app: bottle.Bottle,
    relay: Relay,
    clock: Callable[[], float],
    client_ip: Callable[[], str],
    relay_url: Callable[[], str],
    handoffs: Handoffs | None = None,
) -> Handoffs:
    """Add ``POST /api/customer-handoffs`` and ``POST /api/customer-handoffs/redeem``.

    The same rules as the agent's tickets (one minute, once, only the hash kept), bound to one
    customer's seat: the holder is the customer's participant id, and the answer is that
    seat's customer token (the browser then holds the seat as the viewer did). Returns the
    registry.
    """
    handoffs = handoffs if handoffs is not None else Handoffs(relay.options.handoff_lifetime_s)
    throttle = FailureThrottle(REDEEM_FAILURES_LIMIT, REDEEM_WINDOW_S)
    api = json_route()

    def seated(customer_id: str, session_id: str) -> Any:
        session = relay.directory.sessions.get(session_id)
        if session is None or session.state is SessionState.ENDED:
            return None
        return session.customer(customer_id)

    @app.post("/api/customer-handoffs")
    @api
    def issue() -> dict[str, Any]:
        now = clock()
        token = json_body(MAX_BODY_BYTES).get("customer_token")
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            raise Refused("bad_request", "a handoff requires 'customer_token' (text)")
        session = relay.directory.by_customer_token(token)
        customer = (
            next((c for c in session.customers if c.token == token), None) if session else None
        )
        if session is None or customer is None or session.state is SessionState.ENDED:
            raise Refused("unauthorized", "this customer token is not seated in a live session")
        try:
            ticket, record = handoffs.issue(customer.id, session.id, now)
        except HandoffRefused as error:
            raise Refused(str(error.problem), str(error)) from None
        bottle.response.status = 201
        base = (relay.options.public_url or relay_url()).rstrip("/")
        logger.info("customer handoff issued", extra={"session_id": session.id})
        return _issued(ticket, record, base, CUSTOMER_HANDOFF_PAGE, session.id, handoffs)

    @app.post("/api/customer-handoffs/redeem")
    @api
    def redeem() -> dict[str, Any]:
        ip, now = client_ip(), clock()
        ticket = _ticket_to_redeem(throttle, ip, now, "handoff links")
        try:
            record = handoffs.redeem(
                ticket, lambda holder, session_id: seated(holder, session_id) is not None, now
            )
        except HandoffRefused as error:
            throttle.record_failure(ip, now)
            logger.info("customer handoff refused", extra={"ip": ip, "code": str(error.problem)})
            raise Refused(str(error.problem), str(error)) from None
        customer = seated(record.username, record.session_id)
        if customer is None:  # removed in the same instant
            raise Refused(str(HandoffProblemCode.SESSION_OVER), "the seat of this link is gone")
        logger.info("customer handoff redeemed", extra={"session_id": record.session_id})
        return {
            "session_id": record.session_id,
            "customer_token": customer.token,
            "participant_id": customer.id,
        }

    return handoffs
