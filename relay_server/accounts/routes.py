"""HTTP routes of an agent's own data: ``/api/me/short_messages`` and ``/api/me/preferences``.

A thin shell over :class:`agent_data.AgentData`: each route authenticates the bearer token,
reads its JSON body (size-capped), changes the account's document and answers once the change
is durable. Contract in docs/protocol.md, *HTTP API*.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import bottle

from relay_server.accounts.agent_data import AGENT_DATA, AgentData
from relay_server.accounts.agent_data_rules import AgentDataError
from relay_server.errors import Refused
from relay_server.hub.changes import Listen
from relay_server.sessions.relay import Relay
from relay_server.web.authorization import bearer_principal
from relay_server.web.http_bodies import json_body, json_route

logger = logging.getLogger(__name__)

# 200 messages of 4,000 characters, each up to 6 bytes as a JSON \uXXXX escape (a client that
# escapes Korean), with room for the keys and brackets.
MAX_SHORT_MESSAGES_BODY_BYTES = 5 * 1024 * 1024
MAX_PREFERENCES_BODY_BYTES = 4 * 1024


def install_agent_data_routes(
    app: bottle.Bottle,
    relay: Relay,
    clock: Callable[[], float],
    listen: Listen | None = None,
) -> AgentData:
    """Add the routes to the relay's Bottle ``app``; returns the store-backed data."""
    data = AgentData(relay.store)
    if listen is not None:  # several nodes: another node changed rows of the table
        listen(AGENT_DATA, data.changed)
    api = json_route()

    def username() -> str:
        return bearer_principal(
            relay.accounts, bottle.request.get_header("Authorization"), clock()
        ).username

    def refused(error: AgentDataError) -> Refused:
        return Refused(error.code, error.message, details=error.details)

    @app.get("/api/me/short_messages")
    @api
    def get_short_messages():
        return data.short_messages(username())

    @app.put("/api/me/short_messages")
    @api
    def put_short_messages():
        who = username()
        body = json_body(MAX_SHORT_MESSAGES_BODY_BYTES)
        try:
            saved = data.put_short_messages(
                who, body.get("short_messages"), body.get("revision"), clock()
            )
        except AgentDataError as error:
            raise refused(error) from None
        relay.wait_durable()
        return saved

    @app.post("/api/me/short_messages/import")
    @api
    def import_short_messages():
        who = username()
        body = json_body(MAX_SHORT_MESSAGES_BODY_BYTES)
        try:
            saved = data.import_short_messages(who, body.get("short_messages"), clock())
        except AgentDataError as error:
            raise refused(error) from None
        relay.wait_durable()
        if saved["added"]:
            logger.info("short messages imported", extra={"username": who, "n": saved["added"]})
        return saved

    def preferences_answer(preferences: dict[str, Any]) -> dict[str, Any]:
        # P9: the admin's recording policy, which bounds the app's "Record automatically";
        # AD4: the admin's idle sign-out (0 = none), which bounds the app's own idle time.
        policy = getattr(relay.options, "recording_policy", "off")
        idle_s = float(getattr(relay.options, "idle_timeout_s", 0.0))
        return {
            "preferences": preferences,
            "recording_policy": policy,
            "idle_timeout_minutes": round(idle_s / 60.0),
        }

    @app.get("/api/me/preferences")
    @api
    def get_preferences():
        return preferences_answer(data.preferences(username()))

    @app.put("/api/me/preferences")
    @api
    def put_preferences():
        who = username()
        body = json_body(MAX_PREFERENCES_BODY_BYTES)
        try:
            preferences = data.update_preferences(who, body, clock())
        except AgentDataError as error:
            raise refused(error) from None
        relay.wait_durable()
        return preferences_answer(preferences)  # the same answer as GET

    return data
