"""The agent's local API over real HTTP: the guard, settings, login and the relay proxy.

The server is the real LocalServer with the real routes and a real relay behind it; only the
windows are replaced by a recorder (the desktop tests drive the real ones).
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator
from hashlib import sha256

import pytest

from relay_server.sessions.access_codes import CODE_DIGITS
from suite.agent.app.local_api import build_app
from suite.agent.app.local_guard import guard
from suite.agent.app.local_server import LocalServer
from suite.agent.app.settings import LocalSettings
from suite.protocol import PROTOCOL_VERSION
from tests.support.api import Api
from tests.support.local_api import SECRET, TOKEN_HEADER, LocalClient, RecordingDesktop
from tests.support.network import closed_port_url
from tests.support.relay import ALICE
from tests.support.reservations import book


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: the tests sign alice in and out (tokens of their own), read
    and refuse; the one reservation booked is read by no other test."""
    return shared_relay


@pytest.fixture
def desktop() -> RecordingDesktop:
    """Records what the API asks of the windows."""
    return RecordingDesktop()


@pytest.fixture
def local(tmp_path, desktop) -> Iterator[LocalClient]:
    """The real local server and routes, guarded by SECRET, with its settings in tmp_path."""
    settings = LocalSettings(tmp_path / "config")
    server = LocalServer()
    server.start(guard(build_app(settings, desktop), SECRET, server.port))
    yield LocalClient(server.port)
    server.stop()
    settings.close()


def test_token_is_required(local):
    """No token or a wrong one: 401 with a JSON error; the right one: the settings."""
    for token in (None, "", "nope", SECRET[:-1]):
        status, body, _ = local.request("GET", "/local/settings", token=token)
        assert (status, body["error"]["code"]) == (401, "bad_token"), token
    status, body, _ = local.request("GET", "/local/settings")
    assert status == 200 and body["settings"]["verify_tls"] is True


def test_dns_rebinding_host_is_refused(local):
    """A page whose name was rebound to 127.0.0.1 sends its own Host: 403, token or not."""
    for path in ("/local/settings", "/ui/agent/index.html"):
        status, body, _ = local.request("GET", path, host=f"evil.example:{local.port}")
        assert (status, body["error"]["code"]) == (403, "forbidden_host")
    status, _, _ = local.request("GET", "/local/settings", host=f"localhost:{local.port}")
    assert status == 200


def test_other_origins_are_refused(local):
    """A cross-origin call is refused even with the right token; the own origin passes."""
    for origin in ("http://evil.example", "null", f"http://127.0.0.1:{local.port + 1}"):
        status, body, _ = local.request(
            "PUT", "/local/settings", {"username": "mallory"}, origin=origin
        )
        assert (status, body["error"]["code"]) == (403, "forbidden_origin"), origin
    status, body, _ = local.request(
        "PUT", "/local/settings", {"username": "alice"}, origin=f"http://127.0.0.1:{local.port}"
    )
    assert status == 200 and body["settings"]["username"] == "alice"


def test_static_pages_need_no_token_and_stay_in_ui(local):
    """/ui/ files are served without the token, with a CSP; nothing outside ui/ is served."""
    status, body, response = local.request("GET", "/ui/agent/index.html", token=None)
    assert status == 200 and b"<html" in body
    assert "script-src 'self'" in response.getheader("Content-Security-Policy")
    status, _, response = local.request("GET", "/ui/common/protocol.js", token=None)
    assert status == 200 and "javascript" in response.getheader("Content-Type")
    status, body, _ = local.request("GET", "/ui/../pyproject.toml", token=None)
    assert status in (403, 404) and "[project]" not in str(body)
    assert body["error"]["code"] in ("forbidden", "not_found")


def test_settings_round_trip_and_unknown_keys(local):
    """PUT merges a partial change; an unknown key is a 400 that names it."""
    status, body, _ = local.request("PUT", "/local/settings", {"remember_id": True})
    assert status == 200 and body["settings"]["remember_id"] is True
    status, body, _ = local.request("PUT", "/local/settings", {"colour": "red"})
    assert status == 400 and "colour" in body["error"]["message"]
    status, body, _ = local.request("GET", "/local/settings")
    assert body["settings"]["remember_id"] is True


def test_login_proxy_and_logout(local, relay):
    """Login checks the relay, remembers the ID, and the proxy forwards Authorization."""
    status, login, _ = local.request(
        "POST", "/local/login",
        {"relay_url": relay.url, "username": ALICE.username, "password": ALICE.password,
         "remember_id": True},
    )  # fmt: skip
    assert status == 200, login
    assert login["agent"]["name"] == ALICE.name
    assert (login["relay_url"], login["ws_url"]) == (relay.url, relay.ws_url)
    _, body, _ = local.request("GET", "/local/settings")
    assert (body["settings"]["relay_url"], body["settings"]["username"]) == (relay.url, "alice")
    status, current, _ = local.request("GET", "/local/login")
    assert status == 200 and current["token"] == login["token"]

    bearer = {"Authorization": f"Bearer {login['token']}"}
    status, me, _ = local.request("GET", "/local/relay/me", headers=bearer)
    assert status == 200 and me["agent"]["username"] == "alice"
    status, created, _ = local.request("POST", "/local/relay/supports", {}, headers=bearer)
    assert status == 201 and len(created["support"]["code"]) == CODE_DIGITS
    status, body, _ = local.request("GET", "/local/relay/me")
    assert (status, body["error"]["code"]) == (401, "unauthorized")

    status, _, _ = local.request("POST", "/local/logout")
    assert status == 204
    assert local.request("GET", "/local/login")[0] == 404
    assert Api(relay.url).request("GET", "/api/me", token=login["token"])[0] == 401


def test_login_forgets_the_id_unless_remembered(local, relay):
    """remember_id false clears a stored ID."""
    local.request("PUT", "/local/settings", {"username": "old"})
    status, _, _ = local.request(
        "POST", "/local/login",
        {"relay_url": relay.url, "username": "alice", "password": ALICE.password,
         "remember_id": False},
    )  # fmt: skip
    assert status == 200
    assert local.request("GET", "/local/settings")[1]["settings"]["username"] == ""


@pytest.mark.parametrize(
    ("password", "relay_url", "status", "code"),
    [
        ("wrong", None, 401, "bad_credentials"),
        (ALICE.password, "closed", 502, "unreachable"),
        (ALICE.password, "ftp://x", 400, "bad_relay_url"),
    ],
)
def test_login_errors_are_distinct(local, relay, password, relay_url, status, code):
    """Wrong credentials, an unreachable address and a bad address each have their code."""
    url = {None: relay.url, "closed": closed_port_url()}.get(relay_url, relay_url)
    got, body, _ = local.request(
        "POST", "/local/login", {"relay_url": url, "username": "alice", "password": password}
    )
    assert (got, body["error"]["code"]) == (status, code), body


def test_proxy_reports_an_unreachable_relay(local):
    """The proxy answers 502 unreachable as JSON when the relay is gone."""
    local.request("PUT", "/local/settings", {"relay_url": closed_port_url()})
    status, body, _ = local.request("GET", "/local/relay/me")
    assert (status, body["error"]["code"]) == (502, "unreachable")


def test_windows_and_notice(local, desktop, relay):
    """Chat windows, the notice list and its end button reach the desktop; a chat link opens
    in the system browser only when it is a plain http(s) URL."""
    assert local.request("POST", "/local/windows/chat", {"session_id": "abc_DEF-123"})[0] == 204
    assert local.request("POST", "/local/windows/chat", {"session_id": "../x"})[0] == 400
    sessions = [{"session_id": "abc_DEF-123", "customer_name": "Chris", "started_at": 1.5}]
    assert local.request("POST", "/local/notice", {"sessions": sessions})[0] == 204
    assert local.request("GET", "/local/notice")[1] == {"sessions": sessions, "revision": 1}
    assert local.request("POST", "/local/notice", {"sessions": [{"x": 1}]})[0] == 400
    assert local.request("POST", "/local/notice", {"source": "../", "sessions": []})[0] == 400
    assert local.request("POST", "/local/notice/end", {"session_id": "abc_DEF-123"})[0] == 204
    status, body, _ = local.request("POST", "/local/notice/end", {"session_id": "other"})
    assert (status, body["error"]["code"]) == (404, "window_not_found")
    status, body, _ = local.request("POST", "/local/open_admin")
    assert (status, body["error"]["code"]) == (409, "no_relay")
    local.request("PUT", "/local/settings", {"relay_url": relay.url})
    assert local.request("POST", "/local/open_admin")[0] == 204
    assert local.request("POST", "/local/open_help")[0] == 204
    link = "https://prices.example/plan?id=7"
    assert local.request("POST", "/local/open_link", {"url": link})[0] == 204
    for bad in (
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https://a.example@evil.example",
        "https://",
        "https://x.example/a b",
        "https://x.example/" + "a" * 2048,
        7,
    ):
        status, body, _ = local.request("POST", "/local/open_link", {"url": bad})
        assert (status, body["error"]["code"]) == (400, "bad_link"), bad
    assert desktop.calls == [
        ("open_chat", "abc_DEF-123"),
        ("show_notice", sessions),
        ("end_from_notice", "abc_DEF-123"),
        ("end_from_notice", "other"),
        ("open_url", relay.url + "/admin"),
        ("open_help", None),
        ("open_url", link),
    ]


def test_an_ended_supports_chat_window_closes(local, desktop):
    """The end card's "Close window" closes that support's chat window once; a session
    without a window (or closed already) answers window_not_found, a bad id bad_request."""
    assert local.request("POST", "/local/windows/chat", {"session_id": "abc_DEF-123"})[0] == 204
    close = {"session_id": "abc_DEF-123"}
    assert local.request("POST", "/local/windows/chat/close", close)[0] == 204
    status, body, _ = local.request("POST", "/local/windows/chat/close", close)
    assert (status, body["error"]["code"]) == (404, "window_not_found")
    status, body, _ = local.request("POST", "/local/windows/chat/close", {"session_id": "../x"})
    assert (status, body["error"]["code"]) == (400, "bad_request")
    assert desktop.calls == [
        ("open_chat", "abc_DEF-123"),
        ("close_chat", "abc_DEF-123"),
        ("close_chat", "abc_DEF-123"),
    ]


def test_notice_merges_the_windows_reports(local, desktop):
    """Each window reports its own sessions; the notice shows them all, each once."""
    one = {"session_id": "one", "customer_name": "Chris", "started_at": 1.0}
    two = {"session_id": "two", "customer_name": "Dana", "started_at": 2.0}
    local.request("POST", "/local/notice", {"source": "one", "sessions": [one]})
    local.request("POST", "/local/notice", {"source": "two", "sessions": [two]})
    local.request("POST", "/local/notice", {"sessions": [one, two]})
    assert local.request("GET", "/local/notice")[1] == {"sessions": [one, two], "revision": 3}
    local.request("POST", "/local/notice", {"source": "one", "sessions": []})
    local.request("POST", "/local/notice", {"sessions": []})
    assert local.request("GET", "/local/notice")[1] == {"sessions": [two], "revision": 5}
    assert desktop.calls[-1] == ("show_notice", [two])
    # Each change has a higher revision, so the notice page can drop a late, older answer.
    assert desktop.revisions == [1, 2, 3, 4, 5]


def test_unknown_paths_are_json_errors(local):
    """Unknown routes answer JSON, not Bottle's HTML page."""
    status, body, _ = local.request("GET", "/local/nothing")
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_activity_reports_and_their_bad_shapes(local):
    """A4: windows report input and live supports; the main window reads the merged state.
    Malformed reports are refused with 400 and change nothing."""
    assert local.request("GET", "/local/activity")[1] == {"idle_s": None, "live": False}
    assert local.request("POST", "/local/activity", {"source": "one", "input": True,
                                                     "live": True})[0] == 204  # fmt: skip
    status, state, _ = local.request("GET", "/local/activity")
    assert status == 200 and state["live"] is True and 0 <= state["idle_s"] < 5
    for bad in (
        {"source": "one", "input": "yes", "live": False},
        {"source": "one", "input": True},
        {"source": "../x", "input": True, "live": False},
        {"input": True, "live": False},
        [1],
    ):
        status, body, _ = local.request("POST", "/local/activity", bad)
        assert (status, body["error"]["code"]) == (400, "bad_request"), bad
    assert local.request("GET", "/local/activity")[1]["live"] is True
    local.request("POST", "/local/activity", {"source": "one", "input": False, "live": False})
    assert local.request("GET", "/local/activity")[1]["live"] is False
    assert local.request("GET", "/local/activity", token=None)[0] == 401


def test_an_address_without_a_scheme_of_a_plain_http_relay_gets_a_helpful_error(local, relay):
    """An address "127.0.0.1:port" (no scheme) of a relay without SSL is tried as https; the
    answer is not a raw certificate error but relay_uses_http with the http:// address to type
    (never a silent switch to plain http); with that address the login works."""
    login = {"username": "alice", "password": ALICE.password}
    typed = relay.url.removeprefix("http://")
    status, body, _ = local.request("POST", "/local/login", {"relay_url": typed, **login})
    assert (status, body["error"]["code"]) == (502, "relay_uses_http"), body
    assert body["error"]["url"] == relay.url
    assert local.request("GET", "/local/login")[0] == 404  # not logged in over http by itself
    status, body, _ = local.request("POST", "/local/login", {"relay_url": relay.url, **login})
    assert status == 200, body


def test_login_tls_failure_and_version_mismatch(local, relay_factory, certificate, impostor):
    """/local/login names an untrusted certificate (tls_failed, with the reason) and a relay of
    another protocol version (version_mismatch, with both versions) before sending a password."""
    cert, key = certificate
    tls_relay = relay_factory("--tls-cert", str(cert), "--tls-key", str(key))
    login = {"username": "alice", "password": ALICE.password}
    status, body, _ = local.request("POST", "/local/login", {"relay_url": tls_relay.url, **login})
    assert (status, body["error"]["code"]) == (502, "tls_failed"), body
    assert "self-signed certificate" in body["error"]["message"]
    assert "self-signed certificate" in body["error"]["reason"]

    other = PROTOCOL_VERSION + 1
    answer = json.dumps({"status": "ok", "protocol_version": other}).encode()
    url = impostor(200, "application/json", answer)
    status, body, _ = local.request("POST", "/local/login", {"relay_url": url, **login})
    assert (status, body["error"]["code"]) == (502, "version_mismatch"), body
    assert (body["error"]["relay_version"], body["error"]["app_version"]) == (
        other, PROTOCOL_VERSION,
    )  # fmt: skip
    assert local.request("GET", "/local/login")[0] == 404


def test_windows_hear_sign_in_sign_out_and_the_language(local, desktop, relay):
    """Every window hears signed_in, signed_out and a language change (which the settings keep
    for new windows); bad messages are refused and reach no window."""
    status, _, _ = local.request(
        "POST", "/local/login",
        {"relay_url": relay.url, "username": ALICE.username, "password": ALICE.password},
    )  # fmt: skip
    assert status == 200
    status, _, _ = local.request(
        "POST", "/local/broadcast", {"kind": "language", "language": "ko", "from": "w1"}
    )
    assert status == 204
    assert local.request("GET", "/local/settings")[1]["settings"]["language"] == "ko"
    local.request("POST", "/local/broadcast", {"kind": "short_messages", "from": "w1"})
    local.request("POST", "/local/logout")
    heard = [message for call, message in desktop.calls if call == "broadcast"]
    assert heard == [
        {"kind": "signed_in", "from": "app"},
        {"kind": "language", "from": "w1", "language": "ko", "save": False},
        {"kind": "short_messages", "from": "w1"},
        {"kind": "signed_out", "from": "app"},
    ]
    for bad in (
        {"kind": "signed_out"},  # only the app says who is signed in
        {"kind": "language", "language": "fr"},
        {"kind": "language"},
        {"kind": "preferences", "from": "bad id!"},
        {"kind": 3},
    ):
        status, body, _ = local.request("POST", "/local/broadcast", bad)
        assert (status, body["error"]["code"]) == (400, "bad_request"), bad
    assert len([call for call, _ in desktop.calls if call == "broadcast"]) == 4


def test_a_chat_windows_title_is_set_and_checked(local, desktop):
    """The title goes to the session's chat window (or the notice); a missing window is 404, a
    bad title 400."""
    desktop.chat_windows.add("s1")
    status, _, _ = local.request(
        "POST", "/local/windows/title", {"session_id": "s1", "title": "Chris Park · RemoteSales"}
    )
    assert status == 204
    assert ("set_chat_title", ("s1", "Chris Park · RemoteSales")) in desktop.calls
    status, body, _ = local.request(
        "POST", "/local/windows/title", {"session_id": "s2", "title": "Dana"}
    )
    assert (status, body["error"]["code"]) == (404, "window_not_found")
    status, _, _ = local.request(
        "POST", "/local/windows/title", {"window": "notice", "title": "RemoteSales · 연결됨"}
    )
    assert status == 204 and ("set_notice_title", "RemoteSales · 연결됨") in desktop.calls
    for title in ("", "x" * 201, "a\nb", 7):
        status, body, _ = local.request(
            "POST", "/local/windows/title", {"session_id": "s1", "title": title}
        )
        assert (status, body["error"]["code"]) == (400, "bad_request"), title


def test_history_export_refuses_other_paths_and_relays_refusals(local, relay):
    """POST /local/history/export: 401 before login, 400 for a path that is not the export,
    and the relay's own refusal (a bad filter) as it is."""
    export = "/api/history/export.xlsx?presented=yes"
    status, body, _ = local.request("POST", "/local/history/export", {"path": export})
    assert (status, body["error"]["code"]) == (401, "not_logged_in")
    login = {"relay_url": relay.url, "username": ALICE.username, "password": ALICE.password}
    assert local.request("POST", "/local/login", login)[0] == 200
    for path in ("/api/me", "/api/history/export.xlsx/../../me", "https://evil/x", 7):
        status, body, _ = local.request("POST", "/local/history/export", {"path": path})
        assert (status, body["error"]["code"]) == (400, "bad_request"), path
    bad = "/api/history/export.xlsx?presented=maybe"
    status, body, _ = local.request("POST", "/local/history/export", {"path": bad})
    assert (status, body["error"]["code"]) == (400, "bad_request")
    assert "presented" in body["error"]["message"]


def test_a_reservation_material_streams_through_the_proxy_past_its_body_limit(local, relay):
    """A 3 MiB material goes through /local/relay/reservations/<id>/materials whole (the
    proxy's 1 MiB body limit holds for every other path) and arrives with its sha256."""
    status, login, _ = local.request(
        "POST", "/local/login",
        {"relay_url": relay.url, "username": ALICE.username, "password": ALICE.password},
    )  # fmt: skip
    assert status == 200, login
    reservation = book(Api(relay.url), login["token"])
    data = bytes(range(256)) * (3 * 4096)  # 3 MiB
    query = urllib.parse.urlencode({"name": "catalogue.pdf", "sha256": sha256(data).hexdigest()})
    conn = http.client.HTTPConnection("127.0.0.1", local.port, timeout=30)
    try:
        conn.request(
            "PUT",
            f"/local/relay/reservations/{reservation['id']}/materials?{query}",
            data,
            {"Host": f"127.0.0.1:{local.port}", TOKEN_HEADER: SECRET,
             "Authorization": f"Bearer {login['token']}",
             "Content-Type": "application/octet-stream"},
        )  # fmt: skip
        response = conn.getresponse()
        answer = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 201, answer
    assert answer["material"]["size"] == len(data)
    assert answer["material"]["sha256"] == sha256(data).hexdigest()
    status, body, _ = local.request(
        "PUT", "/local/relay/me", {"name": "x" * (1024 * 1024)},
        headers={"Authorization": f"Bearer {login['token']}"},
    )  # fmt: skip
    assert (status, body["error"]["code"]) == (413, "too_large")
