"""The agent app's local API (docs/agent-local-api.md): a Bottle app on 127.0.0.1.

:func:`guard` is the one place that decides who may call: the ``Host`` must be this server's
own (DNS rebinding), an ``Origin``, when sent, must be this server's own (other web pages),
and everything outside ``/ui/`` needs the per-launch secret in ``X-RemoteSales-Token``.
:func:`build_app` holds the routes; :class:`LocalServer` serves them from a background
thread with the standard library's threaded WSGI server (the GUI process must never be
monkey-patched by gevent).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import socketserver
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import bottle

from suite.agent.app.activity import ActivityLog
from suite.agent.app.errors import AgentError, RelayClientError
from suite.agent.app.local_files import install_local_file_routes
from suite.agent.app.local_presentation import install_presentation_routes
from suite.agent.app.presentations import Presentations
from suite.agent.app.relay_client import RelayClient, parse_relay_address
from suite.agent.app.settings import LocalSettings
from suite.resources import ui_dir

logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-RemoteSales-Token"
LOCAL_HOSTS = ("127.0.0.1", "localhost")
MAX_BODY_BYTES = 1024 * 1024
MAX_NOTICE_SESSIONS = 50
SESSION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Headers that go through the relay proxy, both ways (nothing that names the local origin).
PROXY_REQUEST_HEADERS = ("Authorization", "Content-Type", "Accept")
PROXY_RESPONSE_HEADERS = ("Content-Type", "Retry-After")
SECURITY_HEADERS = {
    # The pages talk to this server and open websockets to the relay (another origin).
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self' ws: wss:; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Desktop(Protocol):
    """What the local API asks of the windows (``shell.AgentShell`` is the real one).

    Every method is called from a server thread and must not block on the GUI for long.
    """

    def open_chat(self, session_id: str) -> None: ...

    def show_notice(self, notice: Notice) -> None: ...

    def end_from_notice(self, session_id: str) -> bool: ...

    def open_url(self, url: str) -> None: ...

    def open_help(self) -> None: ...


# ---------- the guard: one place for Host, Origin and token ----------


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str


def check_request(
    path: str, host: str | None, origin: str | None, token: str | None, secret: str, port: int
) -> Refusal | None:
    """Decide whether a request may reach the routes; None means yes.

    Args:
        path: the request path.
        host, origin, token: the ``Host``, ``Origin`` and ``X-RemoteSales-Token`` headers
            (None when absent).
        secret: this launch's secret.
        port: the port this server listens on.
    """
    own_hosts = {f"{name}:{port}" for name in LOCAL_HOSTS}
    if host not in own_hosts:
        return Refusal(403, "forbidden_host", f"the Host header must be 127.0.0.1:{port}")
    if origin is not None and origin not in {f"http://{h}" for h in own_hosts}:
        return Refusal(403, "forbidden_origin", "requests from other origins are refused")
    if path.startswith("/ui/"):
        return None
    if not token or not hmac.compare_digest(token.encode(), secret.encode()):
        return Refusal(401, "bad_token", f"missing or wrong {TOKEN_HEADER} header")
    return None


def guard(app: WsgiApp, secret: str, port: int) -> WsgiApp:
    """Wrap ``app`` so that only this launch's own pages can call it (see check_request)."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        refusal = check_request(
            environ.get("PATH_INFO", ""),
            environ.get("HTTP_HOST"),
            environ.get("HTTP_ORIGIN"),
            environ.get("HTTP_X_REMOTESALES_TOKEN"),
            secret,
            port,
        )
        if refusal is None:
            return app(environ, start_response)
        logger.warning(
            "refused %s %s: %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"),
            refusal.code,
        )  # fmt: skip
        body = json.dumps({"error": {"code": refusal.code, "message": refusal.message}}).encode()
        start_response(
            f"{refusal.status} {'Unauthorized' if refusal.status == 401 else 'Forbidden'}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
             ("Cache-Control", "no-store")],
        )  # fmt: skip
        return [body]

    return guarded


# ---------- state the routes share ----------


@dataclass(frozen=True)
class Notice:
    """The merged list of live sessions, numbered so a window can drop an older copy.

    The notice page reads the list once (GET) while the app pushes each change to it: the GET's
    answer can arrive after a newer push, and the revision is how the page tells them apart.
    """

    revision: int
    sessions: list[dict[str, Any]]


@dataclass
class LocalState:
    """The relay login and the notice list, shared by every window of this launch."""

    login: dict[str, Any] | None = None
    notice_by_source: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notice_revision: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    activity: ActivityLog = field(default_factory=ActivityLog)  # A4: input in other windows

    def notice(self) -> Notice:
        """Every window's live sessions, merged (first report of a session wins)."""
        with self.lock:
            return Notice(self.notice_revision, self._merged())

    def _merged(self) -> list[dict[str, Any]]:
        merged: dict[str, dict[str, Any]] = {}
        for sessions in self.notice_by_source.values():
            for session in sessions:
                merged.setdefault(session["session_id"], session)
        return list(merged.values())

    def set_notice(self, source: str, sessions: list[dict[str, Any]]) -> Notice:
        """Replace what ``source`` (a window) reported; returns the new merged list."""
        with self.lock:
            if sessions:
                self.notice_by_source[source] = sessions
            else:
                self.notice_by_source.pop(source, None)
            self.notice_revision += 1
            return Notice(self.notice_revision, self._merged())


def log_out(state: LocalState, client_for: Callable[[str], RelayClient]) -> None:
    """Forget the relay login and revoke its token on the relay (best effort).

    Used by ``POST /local/logout`` and when the app quits, so no valid token outlives it.
    """
    with state.lock:
        login, state.login = state.login, None
    if login is None:
        return
    try:
        client_for(login["relay_url"]).logout(login["token"])
    except RelayClientError as error:
        # Logged out here either way; the token expires on the relay by itself.
        logger.warning("logout on the relay failed: %s", error.message)


def _body() -> dict[str, Any]:
    length = bottle.request.content_length
    if length > MAX_BODY_BYTES:
        raise AgentError("too_large", f"request body over {MAX_BODY_BYTES} bytes", 413)
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


def build_app(
    settings: LocalSettings,
    desktop: Desktop,
    client_factory: Callable[[str, bool], RelayClient] = RelayClient,
    state: LocalState | None = None,
    presentations: Presentations | None = None,
) -> bottle.Bottle:
    """The routes of docs/agent-local-api.md, unguarded: serve it through :func:`guard`.

    Args:
        settings: the settings file.
        desktop: the windows.
        client_factory: makes a relay client from ``(base_url, verify_tls)``.
        state: the login and notice list (a fresh one by default).
        presentations: the presenter children (a fresh set by default).
    """
    app = bottle.Bottle()
    state = state if state is not None else LocalState()
    presentations = presentations if presentations is not None else Presentations()

    def json_route(handler: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            bottle.response.set_header("Cache-Control", "no-store")
            try:
                result = handler(*args, **kwargs)
            except AgentError as error:
                bottle.response.status = error.status
                result = error.as_body()
            except Exception:
                # Bottle would answer with an HTML page and swallow the traceback.
                logger.exception(
                    "local API %s %s failed", bottle.request.method, bottle.request.path
                )
                bottle.response.status = 500
                result = {"error": {"code": "internal", "message": "the app failed; see its log"}}
            if result is None:
                bottle.response.status = 204
                return ""
            bottle.response.content_type = "application/json"
            return json.dumps(result, ensure_ascii=False)

        return wrapped

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
        body=_body, session_id_of=_session_id,
    )  # fmt: skip
    # Files both ways (P4): /local/files/* (suite/agent/app/local_files.py).
    install_local_file_routes(
        app, json_route, settings, login=lambda: state.login,
        choose_files=getattr(desktop, "choose_files", None),
        body=_body, session_id_of=_session_id,
    )  # fmt: skip

    @app.get("/local/settings")
    @json_route
    def get_settings():
        return {"settings": settings.get()}

    @app.put("/local/settings")
    @json_route
    def put_settings():
        return {"settings": settings.update(_body())}

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
        relay.check_health()
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
            "ws_url": relay.address.ws_url,
        }
        with state.lock:
            state.login = login
        logger.info("logged in to %s as %s", relay.base_url, username)
        return login

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

    @app.route("/local/relay/<path:path>", method=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def relay_proxy(path: str):
        try:
            relay = client()
            length = bottle.request.content_length
            if length > MAX_BODY_BYTES:
                raise AgentError("too_large", f"request body over {MAX_BODY_BYTES} bytes", 413)
            body = bottle.request.body.read(MAX_BODY_BYTES + 1) if length > 0 else None
            headers = {
                name: bottle.request.get_header(name)
                for name in PROXY_REQUEST_HEADERS
                if bottle.request.get_header(name)
            }
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

    @app.post("/local/open_help")
    @json_route
    def open_help():
        desktop.open_help()

    @app.get("/ui/<path:path>")
    def ui_file(path: str):
        response = bottle.static_file(path, root=str(ui_dir()))
        response.set_header("Cache-Control", "no-cache")
        return response

    @app.hook("after_request")
    def security_headers():
        for name, value in SECURITY_HEADERS.items():
            bottle.response.set_header(name, value)

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


# ---------- the server ----------


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = False


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        logger.debug("%s %s", self.address_string(), format % args)


class LocalServer:
    """The local API on 127.0.0.1 and a random port, served from a daemon thread.

    The socket is bound at construction, so :attr:`port` and :attr:`url` are known before the
    app (whose guard needs the port) is built and handed to :meth:`start`.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        def not_ready(environ: Any, start_response: Any) -> list[bytes]:
            start_response("503 Service Unavailable", [("Content-Length", "0")])
            return []

        self._server = make_server(
            host, 0, not_ready, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self.port: int = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="local-api", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, app: WsgiApp) -> LocalServer:
        """Serve ``app`` (already wrapped in :func:`guard`) from a background thread."""
        self._server.set_app(app)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
