"""HTTP routes of reservations (A11) and of the invitees' meeting links.

``/api/reservations...`` is the agent's (Bearer token; another agent's reservation is ``403
not_your_reservation``); ``/api/meetings/<secret>`` is the invitee's page, which long-polls
(``wait_s``) until the agent opens the meeting, then joins with ``POST .../join``. Contract in
docs/protocol.md, *Reservations*.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any
from zoneinfo import ZoneInfo

import bottle
from gevent.event import Event

from relay_server.accounts.registry import Principal
from relay_server.errors import Refused
from relay_server.reservations import rules
from relay_server.reservations.meeting_links import MeetingLinks
from relay_server.reservations.service import Reservations
from relay_server.web.authorization import bearer_principal
from relay_server.web.http_bodies import json_body, json_route

MAX_BODY_BYTES = 128 * 1024  # 200 invitees with names fit with room to spare
MAX_MEETING_WAIT_S = 25.0  # longest long poll of GET /api/meetings/<secret>
SECRET_CHARS = 64


def install_reservation_routes(
    app: bottle.Bottle,
    reservations: Reservations,
    clock: Callable[[], float],
    relay_url: Callable[[], str],
) -> None:
    """Add the reservation and meeting-link API to the relay's Bottle ``app``."""
    relay = reservations.relay
    route = json_route()
    links = MeetingLinks(reservations)
    waiters: dict[str, Event] = {}  # reservation id -> the event its waiting pages wait on

    def link_changed(reservation_id: str) -> None:
        event = waiters.pop(reservation_id, None)
        if event is not None:
            event.set()

    reservations.link_changed = link_changed

    def caller() -> Principal:
        return bearer_principal(relay.accounts, bottle.request.get_header("Authorization"), clock())

    def body() -> dict[str, Any]:
        return json_body(MAX_BODY_BYTES)

    def secret_of(secret: str) -> str:
        if not 0 < len(secret) <= SECRET_CHARS:
            raise Refused("meeting_not_found", "This invitation link is not valid.")
        return secret

    @app.get("/api/reservations")
    @route
    def list_reservations():
        query = bottle.request.query
        when = query.getunicode("when") or "upcoming"
        if when not in rules.WHEN:
            raise Refused("bad_request", "'when' is one of " + ", ".join(rules.WHEN))
        zone: ZoneInfo = rules.parse_time_zone(query.getunicode("tz") or "UTC")
        found = reservations.list(caller(), when, zone, clock(), relay_url())
        return {"reservations": found, "when": when}

    @app.post("/api/reservations")
    @route
    def create_reservation():
        reservation = reservations.create(caller(), body(), clock())
        bottle.response.status = 201
        return {"reservation": reservations.view(reservation, relay_url())}

    @app.get("/api/reservations/<reservation_id>")
    @route
    def get_reservation(reservation_id: str):
        reservation = reservations.owned(caller(), reservation_id)
        return {"reservation": reservations.view(reservation, relay_url())}

    @app.put("/api/reservations/<reservation_id>")
    @route
    def edit_reservation(reservation_id: str):
        reservation = reservations.edit(caller(), reservation_id, body(), clock())
        return {"reservation": reservations.view(reservation, relay_url())}

    @app.post("/api/reservations/<reservation_id>/cancel")
    @route
    def cancel_reservation(reservation_id: str):
        reservation = reservations.cancel(caller(), reservation_id, clock())
        return {"reservation": reservations.view(reservation, relay_url())}

    @app.post("/api/reservations/<reservation_id>/open")
    @route
    def open_reservation(reservation_id: str):
        return reservations.open(caller(), reservation_id, clock(), relay_url())

    @app.put("/api/reservations/<reservation_id>/materials")
    @route
    def add_material(reservation_id: str):
        principal = caller()
        query = bottle.request.query
        length = bottle.request.content_length
        if length < 0:
            raise Refused("length_required", "a material's upload needs a Content-Length")
        offer = {
            "name": query.getunicode("name") or "",  # decoded once by Bottle
            "size": length,
            "type": query.getunicode("type") or None,
            "sha256": query.getunicode("sha256") or None,
        }
        source = bottle.request.environ["wsgi.input"]
        material = reservations.add_material(principal, reservation_id, offer, source, clock())
        bottle.response.status = 201
        reservation = reservations.owned(principal, reservation_id)
        view = reservations.view(reservation, relay_url())
        return {"material": asdict(material), "reservation": view}

    @app.delete("/api/reservations/<reservation_id>/materials/<file_id>")
    @route
    def remove_material(reservation_id: str, file_id: str):
        reservation = reservations.remove_material(caller(), reservation_id, file_id, clock())
        return {"reservation": reservations.view(reservation, relay_url())}

    @app.get("/api/meetings/<secret>")
    @route
    def meeting(secret: str):
        secret = secret_of(secret)
        try:
            wait_s = min(float(bottle.request.query.get("wait_s") or 0), MAX_MEETING_WAIT_S)
        except ValueError:
            raise Refused("bad_request", "'wait_s' must be a number of seconds") from None
        reservation_id = links.waiting(secret, clock()) if wait_s > 0 else None
        if reservation_id is not None:
            event = waiters.setdefault(reservation_id, Event())
            event.wait(timeout=wait_s)
        return links.meeting(secret, clock())

    @app.post("/api/meetings/<secret>/join")
    @route
    def join_meeting(secret: str):
        return links.join_meeting(secret_of(secret), clock())
