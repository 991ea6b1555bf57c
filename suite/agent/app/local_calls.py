"""The local API's call routes (CH9; docs/agent-local-api.md, *Calls*).

``GET /local/calls``: whether this app's windows can hold a call (the web engine's media
permissions are wired here) and whether the agent wants calls in the system browser instead.
``POST /local/calls``: a chat window says the agent started or accepted a call, or that it
ended; only then may that window's page use the camera and the microphone
(``call_gate.CallGate``, ``web_permissions.py``). ``POST /local/calls/browser``: open the
support in the system browser, signed in, through a one-time handoff ticket from the relay
(``relay_server/accounts/handoffs.py``); the ticket rides in the URL fragment and is never
logged here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import bottle

from suite.agent.app.call_gate import CallGate
from suite.agent.app.errors import AgentError
from suite.agent.app.relay_client import RelayClient
from suite.agent.app.settings import LocalSettings

logger = logging.getLogger(__name__)

CALL_ACTIONS = ("start", "end")
CALL_MEDIA = (None, "audio", "video")


def install_call_routes(
    app: bottle.Bottle,
    json_route: Callable[..., Any],
    settings: LocalSettings,
    gate: CallGate,
    media_support: Callable[[], dict[str, Any]],
    login: Callable[[], dict[str, Any] | None],
    client_for: Callable[[str], RelayClient],
    open_in_browser: Callable[[str], bool],
    call_from_notice: Callable[[str, str], bool],
    body: Callable[[], dict[str, Any]],
    session_id_of: Callable[[dict[str, Any]], str],
) -> None:
    """Add the call routes to the local API's ``app``.

    Args:
        media_support: ``{available, reason}``: whether the windows' engine answers camera
            and microphone requests (``AgentShell.media_support``).
        login: the current relay login (``relay_url``, ``token``), or None.
        client_for: a relay client for a relay address.
        open_in_browser: opens a URL in the system browser (``webbrowser``, which follows
            ``$BROWSER``); False when no browser could be started. Must not log the URL.
        call_from_notice: asks a support's chat window to start a call and raises it
            (``AgentShell.call_from_notice``); False when no chat window is open for it.
    """

    @app.get("/local/calls")
    @json_route
    def call_support():
        return {
            "media": media_support(),
            "open_in_browser": bool(settings.get()["calls"].get("open_in_browser", False)),
            "active": gate.sessions(),
        }

    @app.post("/local/calls")
    @json_route
    def call_state():
        data = body()
        session_id, action = session_id_of(data), data.get("action")
        if action not in CALL_ACTIONS:
            raise AgentError("bad_request", "'action' must be start or end")
        if action == "start":
            try:
                gate.start(session_id, time.monotonic())
            except ValueError as error:
                raise AgentError("too_many_calls", str(error), 429) from None
            logger.info("call started in %s: camera and microphone allowed there", session_id)
        elif gate.end(session_id):
            logger.info("call ended in %s: camera and microphone no longer allowed", session_id)
        return {"active": gate.active(session_id)}

    @app.post("/local/calls/browser")
    @json_route
    def call_in_browser():
        data = body()
        session_id, media = session_id_of(data), data.get("media")
        if media not in CALL_MEDIA:
            raise AgentError("bad_request", "'media' must be audio, video or absent")
        relay = login()
        if relay is None:
            raise AgentError("not_logged_in", "not logged in to a relay", 409)
        answer = client_for(relay["relay_url"]).call(
            "POST", "/api/handoffs", {"session_id": session_id}, token=relay["token"]
        )
        if not isinstance(answer, dict) or not isinstance(answer.get("url"), str):
            raise AgentError("not_a_relay", "the relay gave no sign-in link", 502)
        url: str = answer["url"]
        if "#handoff=" not in url:
            raise AgentError("not_a_relay", "the relay gave no sign-in link", 502)
        if media:
            url += f"&call={media}"  # the page starts the call once it is signed in
        if not open_in_browser(url):
            raise AgentError(
                "no_browser",
                "no web browser could be started here; set one as the system's default",
                502,
            )
        logger.info("support %s opened in the system browser (sign-in link not logged)", session_id)
        return {"opened": True, "expires_at": answer.get("expires_at")}

    @app.post("/local/notice/call")
    @json_route
    def call_from_the_notice():
        data = body()
        session_id, media = session_id_of(data), data.get("media", "video")
        if media not in ("audio", "video"):
            raise AgentError("bad_request", "'media' must be audio or video")
        if not call_from_notice(session_id, media):
            raise AgentError("window_not_found", "no chat window is open for that session", 404)
