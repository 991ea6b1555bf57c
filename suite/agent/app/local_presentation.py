"""The local API's presenting routes (docs/agent-local-api.md): ``/local/presentation``
(start, pause, resume, stop, monitor, windows; P2, P6), ``/local/screens``, ``/local/control``
(who holds control, take it back; P3), ``/local/drawing`` (the agent's tools; P5) and
``/local/presentation/audio`` (the call's sound into the recording; P9).

Each drives the session's presenter child through :class:`suite.agent.app.presentations.
Presentations`; the checks of what a page may ask are here.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

import bottle

from suite.agent.app.errors import AgentError
from suite.agent.app.local_recordings import recording_options
from suite.agent.app.presentations import Presentations, presenter_options
from suite.agent.app.settings import LocalSettings
from suite.agent.presenter.commands import MAX_AUDIO_BYTES, draw_command
from suite.net.policy import NetworkPolicy

PRESENTATION_ACTIONS = ("start", "pause", "resume", "stop", "monitor", "windows")
MAX_MONITOR = 64
MAX_WINDOWS = 64
MAX_WINDOW_ID = 2**32 - 1


def _window_ids(data: dict[str, Any]) -> list[int] | None:
    if "window_ids" not in data:
        raise AgentError("bad_request", "'windows' needs 'window_ids': a list of ids or null")
    ids = data["window_ids"]
    if ids is None:
        return None
    if (
        not isinstance(ids, list) or not 1 <= len(ids) <= MAX_WINDOWS
        or any(isinstance(i, bool) or not isinstance(i, int) or not 0 < i <= MAX_WINDOW_ID
               for i in ids)
    ):  # fmt: skip
        raise AgentError(
            "bad_request",
            f"'window_ids' must be null (the whole screen) or 1-{MAX_WINDOWS} window ids",
        )
    return list(dict.fromkeys(ids))


def install_presentation_routes(
    app: bottle.Bottle,
    json_route: Callable[..., Any],
    settings: LocalSettings,
    presentations: Presentations,
    login: Callable[[], dict[str, Any] | None],
    body: Callable[[], dict[str, Any]],
    session_id_of: Callable[[dict[str, Any]], str],
    network_policy: Callable[[], NetworkPolicy] | None = None,
) -> None:
    """Add the presenting routes to the local API's ``app``.

    Args:
        login: the current relay login (``ws_url``, ``token``), or None.
        body: the request's JSON object; ``session_id_of`` checks a session id in one.
    """

    def query_session() -> str:
        return session_id_of({"session_id": bottle.request.query.session_id})

    @app.get("/local/presentation")
    @json_route
    def presentation_status():
        return presentations.status(query_session())

    @app.post("/local/presentation")
    @json_route
    def presentation():
        data = body()
        session_id, action, monitor = session_id_of(data), data.get("action"), data.get("monitor")
        if action not in PRESENTATION_ACTIONS:
            raise AgentError(
                "bad_request", "'action' must be start, pause, resume, stop, monitor or windows"
            )
        if monitor is not None and (
            isinstance(monitor, bool) or not isinstance(monitor, int)
            or not 1 <= monitor <= MAX_MONITOR
        ):  # fmt: skip
            raise AgentError("bad_request", f"'monitor' must be 1-{MAX_MONITOR}")
        if action == "pause":
            return presentations.pause(session_id)
        if action == "resume":
            return presentations.resume(session_id)
        if action == "stop":
            return presentations.stop(session_id)
        if action == "windows":
            return presentations.share_windows(session_id, _window_ids(data))
        if action == "monitor":
            if monitor is None:
                raise AgentError("bad_request", "'monitor' needs 'monitor': 1 is the first")
            if presentations.status(session_id)["state"] == "idle":  # before the slow listing
                raise AgentError("not_presenting", "no presentation runs for that session", 409)
            count = len(presentations.screens()["monitors"])
            if monitor > count:
                raise AgentError("bad_request", f"no monitor {monitor}: this display has {count}")
            return presentations.switch_monitor(session_id, monitor)
        relay = login()
        if relay is None:
            raise AgentError("not_logged_in", "not logged in to a relay", 409)
        remote_support = settings.get().get("remote_support") or {}
        # What to share may be chosen before the customer accepts: it comes with "start".
        window_ids = _window_ids(data) if "window_ids" in data else None
        policy = network_policy() if network_policy is not None else None
        return presentations.start(
            session_id, relay.get("relay_ws_url", relay["ws_url"]), relay["token"], monitor,
            presenter_options(remote_support) + recording_options(settings), window_ids,
            policy=policy,
        )  # fmt: skip

    # -- drawing over the shared screen (P5): the chat window's tools -> the presenter's overlay
    @app.get("/local/drawing")
    @json_route
    def drawing_status():
        return presentations.drawing(query_session())

    @app.post("/local/drawing")
    @json_route
    def drawing():
        data = body()
        try:
            command = draw_command(data)
        except ValueError as error:
            raise AgentError("bad_request", str(error)) from None
        return presentations.draw(session_id_of(data), command)

    @app.get("/local/control")
    @json_route
    def control_status():
        session_id = query_session()
        return presentations.control(session_id)

    @app.post("/local/control")
    @json_route
    def control():
        data = body()
        if data.get("action") != "revoke":
            raise AgentError("bad_request", "'action' must be revoke")
        mouse, keyboard = data.get("mouse", True), data.get("keyboard", True)
        if not isinstance(mouse, bool) or not isinstance(keyboard, bool) or not (mouse or keyboard):
            raise AgentError(
                "bad_request", "'mouse' and 'keyboard' are true or false, and one must be true"
            )
        return presentations.revoke_control(session_id_of(data), mouse, keyboard)

    # -- the call's audio into the recording (P9): the chat window's call_audio_tap.js
    @app.get("/local/presentation/audio")
    @json_route
    def call_audio_status():
        return {"recording": presentations.recording(query_session())}

    @app.post("/local/presentation/audio")
    @json_route
    def call_audio():
        data = body()
        session_id, at_ms, pcm = session_id_of(data), data.get("at_ms"), data.get("pcm")
        if isinstance(at_ms, bool) or not isinstance(at_ms, int) or at_ms <= 0:
            raise AgentError("bad_request", "'at_ms' must be the first sample's Unix time in ms")
        try:
            samples = base64.b64decode(pcm if isinstance(pcm, str) else "", validate=True)
        except binascii.Error:
            samples = b""
        if not 0 < len(samples) <= MAX_AUDIO_BYTES or len(samples) % 2:
            raise AgentError(
                "bad_request",
                f"'pcm' must be base64 of 2 to {MAX_AUDIO_BYTES} bytes of 48 kHz mono 16-bit "
                "samples",
            )
        return {"recording": presentations.call_audio(session_id, at_ms, samples)}

    @app.get("/local/screens")
    @json_route
    def screens():
        return presentations.screens()
