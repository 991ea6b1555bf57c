"""The agent app's local API (docs/agent-local-api.md): the routes of a Bottle app on 127.0.0.1.

:func:`build_app` holds the routes: login, settings, the relay proxy, windows, the notice list,
activity; the presenting routes are in ``local_presentation.py``, the file routes in
``local_files.py`` and the attention routes in ``local_attention.py``. The app is served
through ``local_guard.guard`` (Host, Origin, token) by ``local_server.LocalServer``; the state
the routes share is ``local_state.LocalState``.
"""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.parse
from collections.abc import Callable
from typing import Any, BinaryIO, Protocol

import bottle

from suite import http_json
from suite.agent.app.errors import AgentError, RelayClientError
from suite.agent.app.local_attention import install_attention_routes
from suite.agent.app.local_calls import install_call_routes
from suite.agent.app.local_desk import DeskLock, install_desk_routes
from suite.agent.app.local_favourites import install_favourite_routes
from suite.agent.app.local_files import install_local_file_routes
from suite.agent.app.local_history import install_history_routes
from suite.agent.app.local_network import install_network_routes
from suite.agent.app.local_presentation import install_presentation_routes
from suite.agent.app.local_recordings import install_recording_routes
from suite.agent.app.local_state import LocalState, Notice, log_out
from suite.agent.app.network_settings import AgentNetwork
from suite.agent.app.presentations import Presentations
from suite.agent.app.relay_client import Readable, RelayClient, parse_relay_address
from suite.agent.app.relay_tunnel import RelayTunnel
from suite.agent.app.settings import LANGUAGES, QUALITY_PRESETS, LocalSettings
from suite.agent.app.system_notifications import SystemNotifier
from suite.errors import CodedError
from suite.resources import ui_dir

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
DRAIN_MAX_BYTES = 8 * 1024 * 1024  # a bigger refused body is cut off unread
MAX_NOTICE_SESSIONS = 50
SESSION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_TITLE_CHARS = 200
WINDOW_MESSAGE_KINDS = ("language", "short_messages", "preferences")
# Headers that go through the relay proxy, both ways (nothing that names the local origin).
PROXY_REQUEST_HEADERS = ("Authorization", "Content-Type", "Accept")
PROXY_RESPONSE_HEADERS = ("Content-Type", "Retry-After")
# Relay paths (after /api/) whose PUT bodies the proxy streams instead of reading (any size).
STREAMED_UPLOAD_RE = re.compile(r"^reservations/[A-Za-z0-9_-]{1,64}/materials$")
FAVOURITE_UPLOAD_PATH = "me/favourites/documents"  # POST: a favourite document (A9)


class _Exactly:
    """A request body's stream that gives at most ``length`` bytes (what urllib sends on)."""

    def __init__(self, stream: BinaryIO, length: int) -> None:
        self._stream = stream
        self._left = length

    def read(self, size: int = -1, /) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if size < 0 else min(size, self._left)
        data = self._stream.read(want)
        self._left -= len(data)
        return data


class Desktop(Protocol):
    """What the local API asks of the windows (``shell.AgentShell`` is the real one).

    Every method is called from a server thread and must not block on the GUI for long.
    """

    def open_chat(self, session_id: str) -> None: ...

    def show_notice(self, notice: Notice) -> None: ...

    def end_from_notice(self, session_id: str) -> bool: ...

    def close_chat(self, session_id: str) -> bool: ...

    def open_url(self, url: str) -> None: ...

    def open_help(self) -> None: ...

    def call_attention(self, session_id: str) -> dict[str, bool | None]: ...

    def media_support(self) -> dict[str, Any]: ...

    def open_in_browser(self, url: str) -> bool: ...

    def call_from_notice(self, session_id: str, media: str) -> bool: ...

    # Optional (``getattr``): every window hears ``message`` (window_sync.js); a chat window's
    # title names its customer.
    #   def broadcast(self, message: dict[str, Any]) -> None: ...
    #   def set_chat_title(self, session_id: str, title: str) -> bool: ...
    #   def set_notice_title(self, title: str) -> bool: ...


def _no_media() -> dict[str, Any]:
    return {"available": False, "reason": "this app has no windows to hold a call"}


def _refusal_reply(error: CodedError) -> dict[str, Any]:
    bottle.response.status = error.status
    return error.as_body()


MAX_LINK_CHARS = 2048  # as ui/common/chat/linkify.js


def safe_link(url: Any) -> str:
    """``url`` when the system browser may open it: http or https, a host, no user name or
    password (``https://bank.example@evil.example``), at most MAX_LINK_CHARS, no control or
    space characters (the chat's links obey the same rules).

    Raises:
        AgentError: 400 ``bad_link`` naming what is wrong.
    """
    if not isinstance(url, str) or not 0 < len(url) <= MAX_LINK_CHARS:
        raise AgentError("bad_link", f"'url' must be text of 1-{MAX_LINK_CHARS} characters")
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise AgentError("bad_link", "the link holds spaces or control characters")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise AgentError("bad_link", "only http:// and https:// links with a host are opened")
    if parts.username is not None or parts.password is not None:
        raise AgentError("bad_link", "a link with a user name or password is not opened")
    return url


def _too_large(length: int) -> AgentError:
    """The 413 for a body over MAX_BODY_BYTES, after reading (and dropping) up to
    DRAIN_MAX_BYTES of it: closing with the body unread resets the connection, and the page
    would see a broken pipe instead of the answer."""
    left = min(length, DRAIN_MAX_BYTES)
    source = bottle.request.environ["wsgi.input"]
    while left > 0:
        chunk = source.read(min(left, 64 * 1024))
        if not chunk:
            break
        left -= len(chunk)
    return AgentError("too_large", f"request body over {MAX_BODY_BYTES} bytes", 413)


def _body() -> dict[str, Any]:
    length = bottle.request.content_length
    if length > MAX_BODY_BYTES:
        raise _too_large(length)
    raw = bottle.request.body.read(MAX_BODY_BYTES + 1)
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise AgentError("bad_request", "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise AgentError("bad_request", "the request body must be a JSON object")
    return data


def _session_id(data: dict[str, Any]) -> str:
    session_id = data.get("session_id")
    if not isinstance(session_id, str) or not SESSION_ID_RE.match(session_id):
        raise AgentError("bad_request", "'session_id' must be 1-64 url-safe characters")
    return session_id


def _notice_sessions(data: dict[str, Any]) -> list[dict[str, Any]]:
    sessions = data.get("sessions")
    if not isinstance(sessions, list) or len(sessions) > MAX_NOTICE_SESSIONS:
        raise AgentError(
            "bad_request", f"'sessions' must be a list of at most {MAX_NOTICE_SESSIONS}"
        )
    clean = []
    for item in sessions:
        if not isinstance(item, dict):
            raise AgentError("bad_request", "each notice session must be an object")
        name, started = item.get("customer_name"), item.get("started_at")
        if name is not None and not isinstance(name, str):
            raise AgentError("bad_request", "'customer_name' must be a string or null")
        if started is not None and (
            isinstance(started, bool) or not isinstance(started, int | float)
        ):
            raise AgentError("bad_request", "'started_at' must be UNIX seconds or null")
        clean.append(
            {
                "session_id": _session_id(item),
                "customer_name": (name or "")[:80],
                "started_at": started,
            }
        )
    return clean


def _broadcast_message(data: dict[str, Any]) -> dict[str, Any]:
    """What a window may tell the others (window_sync.js): ``{kind, from, language?}``.
    ``signed_in`` and ``signed_out`` come only from the app itself (login and logout)."""
    kind, sender = data.get("kind"), data.get("from", "")
    if kind not in WINDOW_MESSAGE_KINDS:
        allowed = ", ".join(WINDOW_MESSAGE_KINDS)
        raise AgentError("bad_request", f"'kind' must be one of {allowed}")
    if not isinstance(sender, str) or not (sender == "" or SESSION_ID_RE.match(sender)):
        raise AgentError("bad_request", "'from' must be 1-64 url-safe characters")
    message: dict[str, Any] = {"kind": kind, "from": sender}
    if kind == "language":
        language = data.get("language")
        if language not in LANGUAGES:
            raise AgentError("bad_request", f"'language' must be one of {', '.join(LANGUAGES)}")
        message["language"] = language
        message["save"] = data.get("save") is True
    return message


def _window_title(data: dict[str, Any]) -> str:
    title = data.get("title")
    if not isinstance(title, str) or not 1 <= len(title) <= MAX_TITLE_CHARS:
        raise AgentError("bad_request", f"'title' must be 1-{MAX_TITLE_CHARS} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in title):
        raise AgentError("bad_request", "'title' must not contain control characters")
    return title


def build_app(
    settings: LocalSettings,
    desktop: Desktop,
    client_factory: Callable[[str, bool], RelayClient] | None = None,
    state: LocalState | None = None,
    presentations: Presentations | None = None,
    notifier: SystemNotifier | None = None,
    network: AgentNetwork | None = None,
    tunnel: RelayTunnel | None = None,
) -> bottle.Bottle:
    """The routes of docs/agent-local-api.md, unguarded: serve it through :func:`guard`.

    Args:
        settings: the settings file.
        desktop: the windows.
        client_factory: makes a relay client from ``(base_url, verify_tls)``; by default one
            that follows the network settings (A7).
        state: the login and notice list (a fresh one by default).
        presentations: the presenter children (a fresh set by default).
        notifier: the desktop's notifications (D-Bus on Linux; a fresh one by default).
        network: the network settings and the proxy password (A7; from ``settings`` by default).
        tunnel: carries the windows' websocket to the relay under those settings; without it
            the pages connect to the relay's own ``ws_url``.
    """
    app = bottle.Bottle()
    network = network if network is not None else AgentNetwork(settings)
    if client_factory is None:
        agent_network = network

        def client_factory(url: str, verify_tls: bool) -> RelayClient:
            return RelayClient(url, policy=agent_network.policy())

    state = state if state is not None else LocalState()
    presentations = presentations if presentations is not None else Presentations()

    # Refusals (any CodedError: the app's own, a file transfer's, the screen listing's) answer
    # with their status; anything else is logged and answers 500 in JSON.
    json_route = http_json.json_route((CodedError,), _refusal_reply, log_failures=logger)

    def client(relay_url: str | None = None) -> RelayClient:
        with state.lock:
            logged_in = state.login["relay_url"] if state.login else None
        url = relay_url or logged_in or settings.get()["relay_url"]
        if not url:
            raise AgentError("no_relay", "enter the relay's address first", 409)
        return client_factory(url, settings.get()["verify_tls"])

    # Presenting (P2, P6), control (P3), drawing (P5): suite/agent/app/local_presentation.py.
    install_presentation_routes(
        app, json_route, settings, presentations, login=lambda: state.login,
        body=_body, session_id_of=_session_id, network_policy=network.policy,
    )  # fmt: skip
    # Files both ways (P4): /local/files/* (suite/agent/app/local_files.py).
    install_local_file_routes(
        app, json_route, settings, login=lambda: state.login, connector=network.connector,
        choose_files=getattr(desktop, "choose_files", None),
        body=_body, session_id_of=_session_id,
    )  # fmt: skip

    # Favourite folders and programs of this PC (A9, CH7): suite/agent/app/local_favourites.py.
    install_favourite_routes(
        app, json_route, settings, body=_body, choose_path=getattr(desktop, "choose_path", None)
    )

    # Recordings of presentations (P9): suite/agent/app/local_recordings.py.
    install_recording_routes(app, json_route, settings, body=_body)

    # The history's Excel export (A10): suite/agent/app/local_history.py.
    install_history_routes(app, json_route, login=lambda: state.login, client=client, body=_body)

    # Calling the agent's attention: suite/agent/app/local_attention.py.
    install_attention_routes(
        app, json_route, settings, alert=getattr(desktop, "call_attention", None),
        presentations=presentations, notifier=notifier or SystemNotifier(),
        body=_body, session_id_of=_session_id,
    )  # fmt: skip

    # Calls (CH9): the camera and microphone gate, the system-browser fallback.
    install_call_routes(
        app, json_route, settings, state.calls,
        media_support=getattr(desktop, "media_support", _no_media),
        login=lambda: state.login,
        client_for=lambda url: client_factory(url, settings.get()["verify_tls"]),
        open_in_browser=getattr(desktop, "open_in_browser", lambda url: False),
        call_from_notice=getattr(desktop, "call_from_notice", lambda session_id, media: False),
        body=_body, session_id_of=_session_id,
    )  # fmt: skip

    # Network settings, their test and the first run (A7): suite/agent/app/local_network.py.
    install_network_routes(
        app, json_route, network, body=_body, choose_path=getattr(desktop, "choose_path", None)
    )
    # The lock and the text size (A8): suite/agent/app/local_desk.py.
    desk = DeskLock()
    install_desk_routes(
        app, json_route, settings, desk, login=lambda: state.login, client=client,
        broadcast=lambda message: broadcast(message), body=_body,
    )  # fmt: skip

    @app.get("/local/settings")
    @json_route
    def get_settings():
        # A8: the quality presets' options, so the settings tab shows what each one sets.
        return {"settings": settings.get(), "quality_presets": QUALITY_PRESETS}

    @app.put("/local/settings")
    @json_route
    def put_settings():
        changes = _body()
        updated = settings.update(changes)
        if isinstance(changes, dict) and "text_size" in changes:  # A8: every window at once
            broadcast({"kind": "text_size", "percent": updated["text_size"], "from": "app"})
        return {"settings": updated}

    @app.post("/local/login")
    @json_route
    def login():
        data = _body()
        username, password = data.get("username"), data.get("password")
        relay_url, remember = data.get("relay_url"), data.get("remember_id", False)
        if not isinstance(username, str) or not username or not isinstance(password, str):
            raise AgentError("bad_request", "login requires 'username' and 'password'")
        if relay_url is not None and not isinstance(relay_url, str):
            raise AgentError("bad_request", "'relay_url' must be a string")
        if not isinstance(remember, bool):
            raise AgentError("bad_request", "'remember_id' must be true or false")
        relay = client(parse_relay_address(relay_url).base_url if relay_url else None)
        try:
            relay.check_health()
        except RelayClientError as error:
            raise _plain_http_hint(error, relay_url) from None
        answer = relay.login(username, password)
        settings.update(
            {"relay_url": relay.base_url, "remember_id": remember,
             "username": username if remember else ""}
        )  # fmt: skip
        login = {
            "token": answer["token"],
            "expires_at": answer.get("expires_at"),
            "agent": answer.get("agent"),
            "relay_url": relay.base_url,
            # The pages' websocket: through the app's tunnel, which follows A7's settings.
            "ws_url": tunnel.target(relay.address.ws_url) if tunnel else relay.address.ws_url,
            "relay_ws_url": relay.address.ws_url,  # the presenter's (it follows them itself)
        }
        with state.lock:
            state.login = login
        logger.info("logged in to %s as %s", relay.base_url, username)
        broadcast({"kind": "signed_in", "from": "app"})  # every window uses this sign-in
        return login

    def _plain_http_hint(error: RelayClientError, typed: str | None) -> RelayClientError:
        """A typed address without a scheme is tried as https; when that fails but the same
        address answers as a relay over plain http, say so (``relay_uses_http``, with the
        ``url`` to type) instead of showing a certificate error. Never switches by itself:
        the person decides to use an unencrypted address."""
        typed = (typed or "").strip()
        if error.code != "tls_failed" or not typed or "://" in typed:
            return error
        try:
            plain = client(parse_relay_address("http://" + typed).base_url)
            plain.check_health()
        except RelayClientError:
            return error
        return RelayClientError(
            "relay_uses_http",
            f"{plain.base_url} is a RemoteSales relay without SSL; if your administrator gave "
            f"you that address, type it with http:// in front",
            status=502,
            url=plain.base_url,
        )

    @app.get("/local/login")
    @json_route
    def current_login():
        with state.lock:
            login = state.login
        if login is None:
            raise AgentError("not_logged_in", "not logged in to a relay", 404)
        return login

    @app.post("/local/logout")
    @json_route
    def logout():
        log_out(state, lambda url: client_factory(url, settings.get()["verify_tls"]))
        desk.set(False)  # A8: signed out, the windows show nothing to hide
        broadcast({"kind": "signed_out", "from": "app"})  # every window signs out

    def broadcast(message: dict[str, Any]) -> None:
        tell = getattr(desktop, "broadcast", None)
        if tell is not None:
            tell(message)

    @app.post("/local/broadcast")
    @json_route
    def window_message():
        message = _broadcast_message(_body())
        if message["kind"] == "language":
            # New windows open in it, and the login form shows it next time (per PC too).
            settings.update({"language": message["language"]})
        broadcast(message)

    @app.post("/local/windows/title")
    @json_route
    def window_title():
        data = _body()
        title = _window_title(data)
        if data.get("window") == "notice":  # the notice's title follows the language
            set_notice_title = getattr(desktop, "set_notice_title", None)
            if set_notice_title is None or not set_notice_title(title):
                raise AgentError("window_not_found", "the notice window is not open", 404)
            return
        session_id = _session_id(data)
        set_title = getattr(desktop, "set_chat_title", None)
        if set_title is None or not set_title(session_id, title):
            raise AgentError("window_not_found", "no chat window is open for that session", 404)

    @app.route("/local/relay/<path:path>", method=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def relay_proxy(path: str):
        try:
            relay = client()
            length = bottle.request.content_length
            headers = {
                name: bottle.request.get_header(name)
                for name in PROXY_REQUEST_HEADERS
                if bottle.request.get_header(name)
            }
            body: bytes | Readable | None
            streamed = (bottle.request.method == "PUT" and STREAMED_UPLOAD_RE.match(path)) or (
                bottle.request.method == "POST" and path == FAVOURITE_UPLOAD_PATH
            )
            if streamed and length > 0:
                # A reservation's material (A11) or a favourite document (A9): streamed
                # through, never held here; the relay applies its file rules to the length.
                body = _Exactly(bottle.request.environ["wsgi.input"], length)
                headers["Content-Length"] = str(length)
            elif length > MAX_BODY_BYTES:
                raise _too_large(length)
            else:
                body = bottle.request.body.read(MAX_BODY_BYTES + 1) if length > 0 else None
            query = bottle.request.query_string
            target = "/api/" + path + (f"?{query}" if query else "")
            answer = relay.request(bottle.request.method, target, body, headers)
        except AgentError as error:
            return bottle.HTTPResponse(
                json.dumps(error.as_body()), error.status,
                {"Content-Type": "application/json", "Cache-Control": "no-store"},
            )  # fmt: skip
        out = {"Cache-Control": "no-store"}
        for name in PROXY_RESPONSE_HEADERS:
            value = answer.headers.get(name)
            if value:
                out[name] = value
        return bottle.HTTPResponse(answer.body, answer.status, out)

    @app.post("/local/windows/chat")
    @json_route
    def open_chat():
        desktop.open_chat(_session_id(_body()))

    @app.post("/local/windows/chat/close")
    @json_route
    def close_chat():
        # The end card's "Close window": the chat window goes, the main window comes forward.
        if not desktop.close_chat(_session_id(_body())):
            raise AgentError("window_not_found", "no chat window is open for that session", 404)

    @app.get("/local/notice")
    @json_route
    def get_notice():
        notice = state.notice()
        return {"sessions": notice.sessions, "revision": notice.revision}

    @app.post("/local/notice")
    @json_route
    def set_notice():
        data = _body()
        source = data.get("source", "main")
        if not isinstance(source, str) or not SESSION_ID_RE.match(source):
            raise AgentError("bad_request", "'source' must be 1-64 url-safe characters")
        before = {session["session_id"] for session in state.notice().sessions}
        notice = state.set_notice(source, _notice_sessions(data))
        # A support that left the list has ended (or lost its customer): stop presenting it.
        for gone in before - {session["session_id"] for session in notice.sessions}:
            presentations.stop(gone)
        logger.info(
            "notice: %d live session(s) after a report from %s", len(notice.sessions), source
        )
        desktop.show_notice(notice)

    @app.post("/local/notice/end")
    @json_route
    def end_from_notice():
        session_id = _session_id(_body())
        if not desktop.end_from_notice(session_id):
            raise AgentError("window_not_found", "no chat window is open for that session", 404)

    # A4 automatic logout: the other windows' input and live supports (suite/agent/app/activity.py).
    @app.post("/local/activity")
    @json_route
    def report_activity():
        data = _body()
        source, input_seen, live = data.get("source"), data.get("input"), data.get("live")
        if not isinstance(source, str) or not SESSION_ID_RE.match(source):
            raise AgentError("bad_request", "'source' must be 1-64 url-safe characters")
        if not isinstance(input_seen, bool) or not isinstance(live, bool):
            raise AgentError("bad_request", "'input' and 'live' must be true or false")
        state.activity.report(source, input_seen=input_seen, live=live, now=time.monotonic())

    @app.get("/local/activity")
    @json_route
    def get_activity():
        return state.activity.state(time.monotonic())

    @app.post("/local/open_admin")
    @json_route
    def open_admin():
        desktop.open_url(client().base_url + "/admin")

    @app.post("/local/open_link")
    @json_route
    def open_link():
        """A link from the chat opens in the system browser, never inside the app's window."""
        desktop.open_url(safe_link(_body().get("url")))

    @app.post("/local/open_help")
    @json_route
    def open_help():
        desktop.open_help()

    @app.get("/ui/<path:path>")
    def ui_file(path: str):
        response = bottle.static_file(path, root=str(ui_dir()))
        response.set_header("Cache-Control", "no-cache")
        return response

    http_json.add_security_headers(app, http_json.AGENT_APP_CONNECT_SRC)

    def json_error(error: bottle.HTTPError) -> str:
        bottle.response.content_type = "application/json"
        code = {403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
            error.status_code, "error"
        )
        return json.dumps({"error": {"code": code, "message": str(error.body or code)}})

    app.error(403)(json_error)
    app.error(404)(json_error)
    app.error(405)(json_error)
    return app
