"""The local API's attention routes(docs/agent-local-api.md, *Attention*).

``POST /local/attention``: a chat window heard something the agent should see (a customer
joined, wrote, asked for control, knocked). Unless the agent is looking at that window, the
app flashes it (the urgency hint, ``window_alert.py``) and, when the agent wants them, shows
a system notification (``system_notifications.py``). The page plays the sound itself and only
when the answer says the window is not active. ``GET /local/attention`` tells the Settings
tab whether this desktop shows notifications at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import bottle

from suite.agent.app.errors import AgentError
from suite.agent.app.presentations import Presentations
from suite.agent.app.settings import LocalSettings
from suite.agent.app.system_notifications import (
    MAX_BODY_CHARS,
    MAX_TITLE_CHARS,
    NotificationUnavailable,
    SystemNotifier,
)

logger = logging.getLogger(__name__)

# "test" is Settings › Alerts' Try it: a notification even while the window is active.
ATTENTION_EVENTS = ("customer_joined", "message", "control_request", "knock", "test")


def _text(data: dict[str, Any], name: str, max_chars: int, required: bool) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or len(value) > max_chars or (required and not value.strip()):
        need = f"1-{max_chars}" if required else f"at most {max_chars}"
        raise AgentError("bad_request", f"'{name}' must be a string of {need} characters")
    return value


def install_attention_routes(
    app: bottle.Bottle,
    json_route: Callable[..., Any],
    settings: LocalSettings,
    alert: Callable[[str], dict[str, bool | None]] | None,
    presentations: Presentations,
    notifier: SystemNotifier,
    body: Callable[[], dict[str, Any]],
    session_id_of: Callable[[dict[str, Any]], str],
) -> None:
    """Add the attention routes to the local API's ``app``.

    Args:
        alert: flashes a session's window unless it is active, answering ``{active, alerted}``
            (``AgentShell.call_attention``); None when there are no windows to flash.
        presentations: while a screen is shown, notifications carry no message text (the
            popup is on the shared screen, outside the app's own windows).
    """

    @app.post("/local/attention")
    @json_route
    def call_attention():
        data = body()
        session_id = session_id_of(data)
        event = data.get("event")
        if event not in ATTENTION_EVENTS:
            raise AgentError("bad_request", f"'event' must be one of {', '.join(ATTENTION_EVENTS)}")
        title = _text(data, "title", MAX_TITLE_CHARS, required=True)
        text = _text(data, "body", MAX_BODY_CHARS, required=False)
        window = alert(session_id) if alert else {"active": None, "alerted": False}
        answer: dict[str, Any] = {**window, "notified": False, "notification_error": None}
        if window["active"] and event != "test":
            return answer  # the agent is looking at it: no flash, no popup, no sound
        if not settings.get()["attention"].get("notifications", True):
            return answer
        if presentations.any_live():
            text = ""  # the popup would be on the customer's screen too
        try:
            notifier.notify(session_id, title, text)
            answer["notified"] = True
        except NotificationUnavailable as error:
            answer["notification_error"] = str(error)
        logger.info("attention %s for %s: %s", event, session_id, answer)
        return answer

    @app.get("/local/attention")
    @json_route
    def attention_status():
        return {"notifications": notifier.status()}
